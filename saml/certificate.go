package saml

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
)

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
