package samltest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/internal/xmlenc"
	"github.com/secureshare/secureshare/saml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden pins the exact output under a fixed clock, a fixed Rand and an
// RSA key. Run `go test ./saml/samltest -run TestGolden -update` after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		make func(p *IDP) ([]byte, error)
	}{
		{"response-signed-assertion.xml", func(p *IDP) ([]byte, error) {
			o := baseOptions()
			o.SignAssertion = true
			return p.Response(o)
		}},
		{"response-signed-both.xml", func(p *IDP) ([]byte, error) {
			o := baseOptions()
			o.SignAssertion, o.SignResponse = true, true
			o.SessionNotOnOrAfter = testNow.Add(8 * 3600e9)
			return p.Response(o)
		}},
		{"response-encrypted.xml", func(p *IDP) ([]byte, error) {
			o := baseOptions()
			o.SignAssertion, o.SignResponse = true, true
			o.EncryptFor = loadCert(t, "sp")
			o.EncryptionAlgorithm = string(xmlenc.AES128CBC)
			return p.Response(o)
		}},
		{"response-failed.xml", func(p *IDP) ([]byte, error) {
			return p.Response(ResponseOptions{
				Destination: "https://sp.example.com/saml/acs", InResponseTo: "id-4f1c",
				Status: saml.StatusResponder, SubStatus: "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
				StatusMessage: "no such user", SignResponse: true,
			})
		}},
		{"metadata.xml", func(p *IDP) ([]byte, error) {
			return p.Metadata("https://idp.example.com/sso", "https://idp.example.com/slo")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestIDP(t, "idp-rsa", nil)
			got, err := tt.make(p)
			require.NoError(t, err)
			r := parseDoc(t, got)
			for _, el := range append(childNS(r, nsAssertion, "Assertion"), r) {
				if len(childNS(el, nsDSig, "Signature")) > 0 {
					_, err := validate(t, el, p.Certificate())
					require.NoError(t, err, "golden output must verify")
				}
			}

			file := filepath.Join("testdata", "golden", tt.name)
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
				require.NoError(t, os.WriteFile(file, got, 0o644))
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "run with -update to create")
			assert.Equal(t, string(want), string(got))
		})
	}
}
