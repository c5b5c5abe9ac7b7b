package saml

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCertificate(t *testing.T) {
	pemText := string(readTestFile(t, "testdata/metadata/sp-rsa-cert.pem"))
	block, _ := pem.Decode([]byte(pemText))
	require.NotNil(t, block)
	b64 := base64.StdEncoding.EncodeToString(block.Bytes)
	wrapped := wrapLines(b64, 64, "\n")

	tests := []struct {
		name string
		in   string
	}{
		{"PEM", pemText},
		{"PEM with CRLF and indentation", "  " + strings.ReplaceAll(pemText, "\n", "\r\n    ")},
		{"PEM with &#13;", strings.ReplaceAll(pemText, "\n", "&#13;\n")},
		{"bare base64", b64},
		{"base64 wrapped at 64", wrapped},
		{"base64 wrapped at 76 with spaces", wrapLines(b64, 76, " ")},
		{"base64 with &#13; line ends", wrapLines(b64, 64, "&#13;\n")},
		{"base64 with &#xd; and tabs", "\t\t" + wrapLines(b64, 64, "&#xd;\n\t\t")},
		{"base64 indented with leading newline",
			"\n        " + wrapLines(b64, 64, "\n        ") + "\n   "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCertificate(tc.in)
			require.NoError(t, err)
			assert.Equal(t, block.Bytes, c.Raw)
			assert.Equal(t, "sp.example.com", c.Subject.CommonName)
		})
	}
}

func TestParseCertificateRefuses(t *testing.T) {
	pemText := string(readTestFile(t, "testdata/metadata/sp-rsa-cert.pem"))
	other := string(readTestFile(t, "testdata/metadata/sp-ec-cert.pem"))
	key := string(readTestFile(t, "testdata/metadata/sp-rsa-key.pem"))
	block, _ := pem.Decode([]byte(pemText))
	twoDER := append(append([]byte{}, block.Bytes...), block.Bytes...)

	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "empty"},
		{"only whitespace", " \n\t", "empty"},
		{"two PEM certificates", pemText + other, "found 2 PEM blocks"},
		{"private key", key, "wrong PEM block type"},
		{"certificate and key", pemText + key, "found 2 PEM blocks"},
		{"truncated PEM", pemText[:len(pemText)/2], "malformed PEM"},
		{"text after PEM", pemText + "trailing junk", "outside the PEM blocks"},
		{"not base64", "this is not a certificate!", "neither PEM nor base64"},
		{"base64 of garbage", base64.StdEncoding.EncodeToString([]byte("garbage bytes")),
			"not an X.509 certificate"},
		{"two DER certificates", base64.StdEncoding.EncodeToString(twoDER), "found 2"},
		{"truncated DER", base64.StdEncoding.EncodeToString(block.Bytes[:200]),
			"not an X.509 certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCertificate(tc.in)
			assert.Nil(t, c)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "want *ValidationError, got %v", err)
			assert.Equal(t, CheckCertificate, ve.Check)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// readTestFile reads a file under the package directory.
func readTestFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// wrapLines splits s into lines of n characters joined by sep.
func wrapLines(s string, n int, sep string) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}
