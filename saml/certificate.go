package saml

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
)

// MinRSAKeyBits is the size of the smallest RSA key this package trusts
// to sign: a [Verifier] or [LogoutVerifier] given a certificate with a
// smaller one refuses its configuration. Go's crypto/rsa refuses such keys
// too, unless GODEBUG=rsa1024min=0 is set; this package refuses them
// whatever GODEBUG says.
const MinRSAKeyBits = 1024

// WeakKey says why cert's public key is too weak to trust for signatures
// (an RSA key under [MinRSAKeyBits]), or returns "" when it is not.
func WeakKey(cert *x509.Certificate) string {
	if k, ok := cert.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < MinRSAKeyBits {
		return fmt.Sprintf("has a %d-bit RSA key; keys under %d bits are refused, "+
			"have the IdP sign with a 2048-bit key", k.N.BitLen(), MinRSAKeyBits)
	}
	return ""
}

// weakKeyProblems describes each of certs (nil ones skipped) whose key
// [WeakKey] refuses, for a verifier's configuration error.
func weakKeyProblems(certs []*x509.Certificate) []string {
	var problems []string
	for i, c := range certs {
		if c == nil {
			continue
		}
		if why := WeakKey(c); why != "" {
			problems = append(problems, fmt.Sprintf("IDPCertificates[%d] (%s) %s", i,
				c.Subject.CommonName, why))
		}
	}
	return problems
}

// ParseCertificate parses one X.509 certificate as found in metadata,
// configuration files or an admin form: PEM armour ("-----BEGIN
// CERTIFICATE-----"), or bare standard base64 of the DER bytes. Whitespace
// anywhere (line breaks, indentation, spaces) and the character reference
// "&#13;" (and "&#xd;") left behind by XML serialisers are ignored.
//
// Anything that is not exactly one certificate (no certificate, several PEM
// blocks, a private key, trailing bytes after the DER structure) is a
// *[ValidationError] with [CheckCertificate] that says what was found.
// ParseCertificate does not check the certificate's validity period, its
// issuer or its key usage: SAML trusts the key itself, pinned by
// configuration.
func ParseCertificate(s string) (*x509.Certificate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fail(CheckCertificate, "no certificate: the text is empty")
	}

	if strings.Contains(s, "-----BEGIN") {
		return parsePEMCertificate(s)
	}

	der, err := base64.StdEncoding.DecodeString(stripCertText(s))
	if err != nil {
		return nil, wrapFail(CheckCertificate,
			"not a certificate: neither PEM nor base64-encoded DER", err)
	}
	return parseDERCertificate(der)
}

// parsePEMCertificate accepts exactly one CERTIFICATE block and nothing
// else but whitespace around it.
func parsePEMCertificate(s string) (*x509.Certificate, error) {
	s = strings.NewReplacer("&#13;", "", "&#xd;", "", "&#xD;", "").Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	data := []byte(strings.Join(lines, "\n"))
	var blocks []*pem.Block
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}

	switch {
	case len(blocks) == 0:
		return nil, fail(CheckCertificate, "no certificate: malformed PEM block")
	case len(bytes.TrimSpace(data)) != 0:
		return nil, fail(CheckCertificate, "not exactly one certificate: "+
			"unreadable text outside the PEM blocks")
	case len(blocks) > 1:
		return nil, fail(CheckCertificate,
			fmt.Sprintf("not exactly one certificate: found %d PEM blocks", len(blocks)))
	case blocks[0].Type != "CERTIFICATE":
		return nil, mismatch(CheckCertificate, "not a certificate: wrong PEM block type",
			"CERTIFICATE", blocks[0].Type)
	}
	return parseDERCertificate(blocks[0].Bytes)
}

// parseDERCertificate parses DER bytes that must hold exactly one
// certificate.
func parseDERCertificate(der []byte) (*x509.Certificate, error) {
	certs, err := x509.ParseCertificates(der)
	if err != nil {
		return nil, wrapFail(CheckCertificate, "not an X.509 certificate", err)
	}
	if len(certs) != 1 {
		return nil, fail(CheckCertificate,
			fmt.Sprintf("not exactly one certificate: found %d", len(certs)))
	}
	return certs[0], nil
}

// stripCertText removes whitespace and the carriage-return character
// references that XML serialisers leave in base64 text.
func stripCertText(s string) string {
	s = strings.NewReplacer("&#13;", "", "&#xd;", "", "&#xD;", "").Replace(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			return -1
		}
		return r
	}, s)
}
