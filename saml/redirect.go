package saml

import (
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/beevik/etree"
)

// defaultRedirectMaxSize bounds an inflated Redirect-binding message when
// the caller sets no limit.
const defaultRedirectMaxSize = 64 << 10

// redirectMessage is a Redirect-binding message taken apart: the raw
// (still URL-encoded) parameters the signature covers, and the decoded XML.
type redirectMessage struct {
	// param is "SAMLRequest" or "SAMLResponse".
	param string
	// rawMessage, rawRelayState, rawSigAlg are the values exactly as they
	// appeared in the query; hasRelayState tells an empty RelayState from
	// none.
	rawMessage, rawRelayState, rawSigAlg string
	hasRelayState                        bool
	// sigAlg and signature are decoded; signature is nil when unsigned.
	sigAlg     string
	signature  []byte
	relayState string
	// xml is the inflated message.
	xml []byte
}

// encodeRedirect serialises el, deflates it (raw DEFLATE, RFC 1951, no zlib
// header), base64-encodes it and returns base with the query of SAML 2.0
// Bindings section 3.4.4.1, signed when s is non-nil.
func encodeRedirect(base, param string, el *etree.Element, relayState string,
	s *messageSigner) (string, error) {
	doc := etree.NewDocumentWithRoot(el)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return "", fmt.Errorf("saml: serialising %s: %w", el.Tag, err)
	}
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression) // error only for a bad level
	fw.Write(raw)
	fw.Close()

	q := param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	if s != nil {
		q += "&SigAlg=" + url.QueryEscape(s.alg)
		sig, err := s.sign([]byte(q))
		if err != nil {
			return "", err
		}
		q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	}

	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q, nil
}

// decodeRedirect takes the raw query of a Redirect-binding request apart,
// keeping the raw parameter values the signature covers, and inflates the
// message (param: "SAMLRequest" or "SAMLResponse") to at most maxSize
// bytes. A parameter given twice is refused.
func decodeRedirect(rawQuery, param string, maxSize int) (*redirectMessage, error) {
	if maxSize <= 0 {
		maxSize = defaultRedirectMaxSize
	}
	if len(rawQuery) > 2*maxSize {
		return nil, mismatch(CheckSize, "query string too long",
			fmt.Sprint(2*maxSize), fmt.Sprint(len(rawQuery)))
	}

	m := &redirectMessage{param: param}
	var hasMsg, hasSigAlg, hasSig bool
	var rawSig string
	for _, part := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		var dup bool
		switch k {
		case param:
			dup, hasMsg, m.rawMessage = hasMsg, true, v
		case "RelayState":
			dup, m.hasRelayState, m.rawRelayState = m.hasRelayState, true, v
		case "SigAlg":
			dup, hasSigAlg, m.rawSigAlg = hasSigAlg, true, v
		case "Signature":
			dup, hasSig, rawSig = hasSig, true, v
		}
		if dup {
			return nil, fail(CheckEncoding, "query parameter "+k+" appears more than once")
		}
	}
	if !hasMsg || m.rawMessage == "" {
		return nil, fail(CheckEncoding, "query has no "+param+" parameter")
	}
	if hasSigAlg != hasSig {
		return nil, fail(CheckSignature, "query has only one of SigAlg and Signature")
	}

	if err := m.decodeParams(rawSig, hasSig); err != nil {
		return nil, err
	}
	xml, err := inflateMessage(m.rawMessage, maxSize)
	if err != nil {
		return nil, err
	}
	m.xml = xml
	return m, nil
}

// decodeParams URL-decodes RelayState, SigAlg and Signature.
func (m *redirectMessage) decodeParams(rawSig string, hasSig bool) error {
	var err error
	if m.relayState, err = url.QueryUnescape(m.rawRelayState); err != nil {
		return wrapFail(CheckEncoding, "RelayState is not URL-encoded", err)
	}
	if !hasSig {
		return nil
	}
	if m.sigAlg, err = url.QueryUnescape(m.rawSigAlg); err != nil {
		return wrapFail(CheckEncoding, "SigAlg is not URL-encoded", err)
	}
	sig, err := url.QueryUnescape(rawSig)
	if err != nil {
		return wrapFail(CheckEncoding, "Signature is not URL-encoded", err)
	}
	if m.signature, err = base64.StdEncoding.DecodeString(unplus(sig)); err != nil {
		return wrapFail(CheckEncoding, "Signature is not base64", err)
	}
	return nil
}

// inflateMessage URL-decodes, base64-decodes and inflates a Redirect-binding
// message, refusing output over maxSize bytes (a DEFLATE bomb) before it is
// all produced.
func inflateMessage(raw string, maxSize int) ([]byte, error) {
	s, err := url.QueryUnescape(raw)
	if err != nil {
		return nil, wrapFail(CheckEncoding, "message is not URL-encoded", err)
	}
	compressed, err := base64.StdEncoding.DecodeString(unplus(s))
	if err != nil {
		return nil, wrapFail(CheckEncoding, "message is not base64", err)
	}

	fr := flate.NewReader(bytes.NewReader(compressed))
	defer fr.Close()
	out, err := io.ReadAll(io.LimitReader(fr, int64(maxSize)+1))
	if err != nil {
		return nil, wrapFail(CheckEncoding, "message is not raw DEFLATE data", err)
	}
	if len(out) > maxSize {
		return nil, mismatch(CheckSize, "inflated message too large",
			fmt.Sprintf("at most %d bytes", maxSize), fmt.Sprintf("more than %d", maxSize))
	}
	return out, nil
}

// verifySignature checks the query-string signature of SAML 2.0 Bindings
// section 3.4.4.1 with the given certificates only: the signed octets are
// "param=…&RelayState=…&SigAlg=…" with the values exactly as received, in
// that order. RSA-SHA1 is refused unless p.AllowSHA1, and the certificate
// that verifies must be valid at p.Now unless p.IgnoreCertExpiry. It
// returns the signature algorithm URI.
func (m *redirectMessage) verifySignature(certs []*x509.Certificate, p sigPolicy) (string, error) {
	if m.signature == nil {
		return "", fail(CheckSignature, "message is not signed")
	}
	alg, ok := signatureAlgs[m.sigAlg]
	switch {
	case !ok:
		return "", mismatch(CheckAlgorithm, "signature algorithm not allowed",
			"RSA or ECDSA with SHA-256, SHA-384 or SHA-512", m.sigAlg)
	case alg.sha1 && !p.AllowSHA1:
		return "", mismatch(CheckAlgorithm, "SHA-1 signatures are not allowed for this IdP",
			AlgRSASHA256, m.sigAlg)
	}

	signed := m.param + "=" + m.rawMessage
	if m.hasRelayState {
		signed += "&RelayState=" + m.rawRelayState
	}
	signed += "&SigAlg=" + m.rawSigAlg
	h := alg.hash.New()
	h.Write([]byte(signed))
	sum := h.Sum(nil)

	if len(certs) == 0 {
		return "", fail(CheckSignature, "no IdP signing certificate is configured")
	}
	for _, c := range certs {
		if !verifyWithKey(c.PublicKey, alg, sum, m.signature) {
			continue
		}
		if !p.IgnoreCertExpiry {
			if err := checkCertValidity(c, p.Now); err != nil {
				return "", err
			}
		}
		return m.sigAlg, nil
	}
	return "", fail(CheckSignature, fmt.Sprintf(
		"query signature does not verify with any of the %d configured IdP certificates",
		len(certs)))
}

// unplus undoes the damage of an encoder that left "+" unescaped in base64,
// which query decoding turned into spaces. The signature covers the raw
// value, so this leniency changes nothing about what is trusted.
func unplus(s string) string {
	return strings.ReplaceAll(s, " ", "+")
}
