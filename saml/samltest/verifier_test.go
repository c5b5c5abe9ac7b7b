package samltest

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/internal/xmlenc"
	"github.com/secureshare/secureshare/saml"
)

// TestAcceptedBySAMLVerifier checks that the saml package's Verifier
// accepts what this IdP issues, in every signing mode, key type and
// encryption shape, and returns the values that went in.
func TestAcceptedBySAMLVerifier(t *testing.T) {
	spKey := loadSigner(t, "sp").(*rsa.PrivateKey)
	modes := []struct {
		name                        string
		signResponse, signAssertion bool
	}{
		{"response signed", true, false},
		{"assertion signed", false, true},
		{"both signed", true, true},
	}
	for _, key := range []string{"idp-rsa", "idp-ecdsa", "idp-ecdsa-p384"} {
		for _, m := range modes {
			for _, encrypt := range []bool{false, true} {
				name := fmt.Sprintf("%s %s encrypted %v", key, m.name, encrypt)
				t.Run(name, func(t *testing.T) {
					p := newTestIDP(t, key, nil)
					o := baseOptions()
					o.SignResponse, o.SignAssertion = m.signResponse, m.signAssertion
					o.SessionIndex = "sess-9"
					if encrypt {
						o.EncryptFor = loadCert(t, "sp")
						o.EncryptNameID = true
						o.EncryptionAlgorithm = string(xmlenc.AES128CBC)
					}
					v64, err := p.PostValue(o)
					require.NoError(t, err)

					a, err := newVerifier(t, p, spKey).Verify(context.Background(), []byte(v64),
						[]string{o.InResponseTo})
					require.NoError(t, err)
					assert.Equal(t, "bob@example.com", a.Subject.Value)
					assert.Equal(t, saml.NameIDFormatEmailAddress, a.Subject.Format)
					assert.Equal(t, "sess-9", a.SessionIndex)
					assert.Equal(t, o.Attributes, a.Attributes)
					assert.Equal(t, m.signResponse, a.ResponseSigned)
					assert.Equal(t, m.signAssertion, a.AssertionSigned)
					assert.Equal(t, encrypt, a.Encrypted)
				})
			}
		}
	}
	t.Run("another IdP's certificate is refused", func(t *testing.T) {
		p := newTestIDP(t, "idp-rsa", nil)
		impostor := newTestIDP(t, "idp-ecdsa", nil)
		o := baseOptions()
		o.SignAssertion = true
		v64, err := impostor.PostValue(o)
		require.NoError(t, err)
		_, err = newVerifier(t, p, spKey).Verify(context.Background(), []byte(v64),
			[]string{o.InResponseTo})
		var ve *saml.ValidationError
		require.True(t, errors.As(err, &ve), "error: %v", err)
		assert.Equal(t, saml.CheckSignature, ve.Check)
	})
}

// newVerifier returns a saml.Verifier for the SP of baseOptions that
// trusts p, at one second after testNow.
func newVerifier(t *testing.T, p *IDP, spKey *rsa.PrivateKey) *saml.Verifier {
	t.Helper()
	v, err := saml.NewVerifier(saml.VerifierConfig{
		SPEntityID:      "https://sp.example.com/saml/metadata",
		ACSURLs:         []string{"https://sp.example.com/saml/acs"},
		IDPEntityID:     p.EntityID(),
		IDPCertificates: []*x509.Certificate{p.Certificate()},
		DecryptionKeys:  []*rsa.PrivateKey{spKey},
		Now:             func() time.Time { return testNow.Add(time.Second) },
	})
	require.NoError(t, err)
	return v
}
