package saml

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeRedirect(t *testing.T) {
	el := testLogoutRequestElement(requestClock)
	q := redirectQuery(t, el, "SAMLRequest", "state/ü &1", nil)

	m, err := decodeRedirect(q, "SAMLRequest", 0)
	require.NoError(t, err)
	assert.Equal(t, "state/ü &1", m.relayState)
	assert.Nil(t, m.signature)
	root, err := parseXML(m.xml, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, "LogoutRequest", root.Tag)
	assert.Equal(t, "_lr1", root.SelectAttrValue("ID", ""))
}

func TestDecodeRedirectUnescapedPlus(t *testing.T) {
	// An encoder that left "+" unescaped in the base64 value.
	var xml []byte
	var b64 string
	for i := 0; i < 10000 && !strings.Contains(b64, "+"); i++ {
		xml = []byte(fmt.Sprintf(`<a n="%d">??~~~</a>`, i))
		b64 = deflateBase64(xml)
	}
	require.Contains(t, b64, "+")
	m, err := decodeRedirect("SAMLRequest="+b64, "SAMLRequest", 0)
	require.NoError(t, err)
	assert.Equal(t, xml, m.xml)
}

func TestDecodeRedirectRefuses(t *testing.T) {
	good := redirectQuery(t, testLogoutRequestElement(requestClock), "SAMLRequest", "rs", nil)
	msg := rawParam(t, good, "SAMLRequest")
	bomb := deflateBase64(bytes.Repeat([]byte("<a>"), 2<<20))
	zlibbed := base64.StdEncoding.EncodeToString([]byte{0x78, 0x9c, 0xff, 0xff, 0x00, 0x01})

	tests := []struct {
		name  string
		query string
		check Check
		msg   string
	}{
		{"no message", "RelayState=x", CheckEncoding, "no SAMLRequest"},
		{"empty message", "SAMLRequest=&RelayState=x", CheckEncoding, "no SAMLRequest"},
		{"wrong parameter", strings.Replace(good, "SAMLRequest=", "SAMLResponse=", 1),
			CheckEncoding, "no SAMLRequest"},
		{"message twice", good + "&SAMLRequest=" + msg, CheckEncoding, "more than once"},
		{"relay state twice", good + "&RelayState=y", CheckEncoding, "more than once"},
		{"signature twice", good + "&SigAlg=a&Signature=AA==&Signature=AA==", CheckEncoding,
			"more than once"},
		{"SigAlg without Signature", good + "&SigAlg=" + url.QueryEscape(AlgRSASHA256),
			CheckSignature, "only one of"},
		{"Signature without SigAlg", good + "&Signature=AAAA", CheckSignature, "only one of"},
		{"bad URL escape", "SAMLRequest=%zz", CheckEncoding, "URL-encoded"},
		{"bad relay state escape", "SAMLRequest=" + msg + "&RelayState=%g", CheckEncoding,
			"RelayState"},
		{"not base64", "SAMLRequest=***", CheckEncoding, "base64"},
		{"signature not base64", good + "&SigAlg=x&Signature=***", CheckEncoding,
			"Signature is not base64"},
		{"zlib wrapped", "SAMLRequest=" + url.QueryEscape(zlibbed), CheckEncoding, "DEFLATE"},
		{"DEFLATE bomb", "SAMLRequest=" + url.QueryEscape(bomb), CheckSize,
			"inflated message too large"},
		{"query too long", "SAMLRequest=" + strings.Repeat("A", 200<<10), CheckSize, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := decodeRedirect(tc.query, "SAMLRequest", 0)
			assert.Nil(t, m)
			requireCheck(t, err, tc.check)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	t.Run("bomb stays small in memory", func(t *testing.T) {
		require.Less(t, len(bomb), 20<<10, "the bomb is small compressed")
		_, err := inflateMessage(url.QueryEscape(bomb), 1000)
		requireCheck(t, err, CheckSize)
	})
}

func TestRedirectSignature(t *testing.T) {
	key, cert := idpRSAKey(t)
	ecKey, ecCert := spECKey(t)
	other := loadTestCert(t, "testdata/logout/other-cert.pem")
	el := testLogoutRequestElement(requestClock)
	signer, err := newMessageSigner(key, cert, "", rand.Reader)
	require.NoError(t, err)
	signed := redirectQuery(t, el, "SAMLRequest", "rs", signer)
	policy := sigPolicy{Now: requestClock}

	ecSigner, err := newMessageSigner(ecKey, ecCert, "", rand.Reader)
	require.NoError(t, err)
	ecSigned := redirectQuery(t, el, "SAMLRequest", "", ecSigner)

	// A query another encoder produced: lower-case escapes and no RelayState.
	lower := lowerEscapes(redirectQuery(t, el, "SAMLRequest", "", nil)) +
		"&SigAlg=" + strings.ToLower(url.QueryEscape(AlgRSASHA256))
	lower += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(
		signRaw(t, key, crypto.SHA256, lower)))

	sha1Query := redirectQuery(t, el, "SAMLRequest", "rs", nil) +
		"&SigAlg=" + url.QueryEscape(AlgRSASHA1)
	sha1Query += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(
		signRaw(t, key, crypto.SHA1, sha1Query)))

	unknownAlg := redirectQuery(t, el, "SAMLRequest", "", nil) + "&SigAlg=" +
		url.QueryEscape("http://www.w3.org/2000/09/xmldsig#dsa-sha1") + "&Signature=AAAA"

	idp := []*x509.Certificate{cert}
	later := time.Date(2060, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		query  string
		certs  []*x509.Certificate
		policy sigPolicy
		check  Check // empty: accepted
	}{
		{"RSA accepted", signed, []*x509.Certificate{cert}, policy, ""},
		{"RSA accepted among several certificates", signed, []*x509.Certificate{other, cert},
			policy, ""},
		{"ECDSA accepted", ecSigned, []*x509.Certificate{ecCert}, policy, ""},
		{"other encoder's escaping accepted", lower, []*x509.Certificate{cert}, policy, ""},
		{"wrong certificate", signed, []*x509.Certificate{other}, policy, CheckSignature},
		{"no certificate", signed, nil, policy, CheckSignature},
		{"unsigned", redirectQuery(t, el, "SAMLRequest", "rs", nil), idp, policy, CheckSignature},
		{"relay state changed", strings.Replace(signed, "RelayState=rs", "RelayState=rt", 1),
			[]*x509.Certificate{cert}, policy, CheckSignature},
		{"relay state removed", strings.Replace(signed, "&RelayState=rs", "", 1),
			[]*x509.Certificate{cert}, policy, CheckSignature},
		{"escaping changed", strings.Replace(signed, "%2F", "%2f", 1), idp, policy, CheckSignature},
		{"SHA-1 refused", sha1Query, []*x509.Certificate{cert}, policy, CheckAlgorithm},
		{"SHA-1 allowed", sha1Query, idp, sigPolicy{Now: requestClock, AllowSHA1: true}, ""},
		{"unknown algorithm", unknownAlg, []*x509.Certificate{cert}, policy, CheckAlgorithm},
		{"certificate expired", signed, idp, sigPolicy{Now: later}, CheckCertificate},
		{"expiry ignored", signed, idp, sigPolicy{Now: later, IgnoreCertExpiry: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := decodeRedirect(tc.query, "SAMLRequest", 0)
			require.NoError(t, err)
			alg, err := m.verifySignature(tc.certs, tc.policy)
			if tc.check == "" {
				require.NoError(t, err)
				assert.Equal(t, m.sigAlg, alg)
				return
			}
			requireCheck(t, err, tc.check)
		})
	}
}

func FuzzDecodeRedirect(f *testing.F) {
	files, _ := filepath.Glob("testdata/logout/*.query")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(strings.TrimSpace(string(b)))
		}
	}
	f.Add("SAMLRequest=" + url.QueryEscape(deflateBase64([]byte("<a/>"))) + "&RelayState=x")
	f.Add("SAMLRequest=%zz&SigAlg=a&Signature=b")
	_, cert := idpRSAKey(f)
	f.Fuzz(func(t *testing.T, q string) {
		m, err := decodeRedirect(q, "SAMLRequest", 4096)
		if err != nil {
			return
		}
		if len(m.xml) > 4096 {
			t.Fatalf("inflated %d bytes past the limit", len(m.xml))
		}
		_, _ = m.verifySignature([]*x509.Certificate{cert}, sigPolicy{Now: requestClock})
		_, _ = parseXML(m.xml, 4096)
	})
}

// redirectQuery encodes el for the Redirect binding and returns the raw
// query, signed when s is non-nil.
func redirectQuery(t *testing.T, el *etree.Element, param, relayState string,
	s *messageSigner) string {
	t.Helper()
	u, err := encodeRedirect("https://sp.example.com/slo", param, el.Copy(), relayState, s)
	require.NoError(t, err)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	return parsed.RawQuery
}

// deflateBase64 compresses data with raw DEFLATE and base64-encodes it.
func deflateBase64(data []byte) string {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(data)
	w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// signRaw signs s with an RSA key and the given hash.
func signRaw(t *testing.T, key crypto.Signer, h crypto.Hash, s string) []byte {
	t.Helper()
	hh := h.New()
	hh.Write([]byte(s))
	sig, err := rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), h, hh.Sum(nil))
	require.NoError(t, err)
	return sig
}

// lowerEscapes rewrites every %XX escape in lower case, as some encoders
// (AD FS, for one) write them.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = bytes.ToLower(b[i+1 : i+2])[0]
			b[i+2] = bytes.ToLower(b[i+2 : i+3])[0]
		}
	}
	return string(b)
}
