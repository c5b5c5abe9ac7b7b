package samltest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

func TestNewZeroConfig(t *testing.T) {
	p, err := New(Config{})
	require.NoError(t, err)

	assert.Equal(t, DefaultEntityID, p.EntityID())
	c := p.Certificate()
	require.NotNil(t, c)
	_, isRSA := c.PublicKey.(*rsa.PublicKey)
	assert.True(t, isRSA)
	assert.Equal(t, 2048, c.PublicKey.(*rsa.PublicKey).N.BitLen())
	now := time.Now()
	assert.True(t, c.NotBefore.Before(now) && c.NotAfter.After(now.AddDate(9, 0, 0)),
		"certificate valid around now: %v..%v", c.NotBefore, c.NotAfter)
	require.NoError(t, c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature), "self-signed")
}

func TestNewGeneratedCertificateFollowsClock(t *testing.T) {
	p := newTestIDP(t, "idp-ecdsa", nil)
	c := p.Certificate()
	assert.Equal(t, testNow.Add(-24*time.Hour), c.NotBefore)
	assert.Equal(t, testNow.AddDate(10, 0, 0), c.NotAfter)
	assert.Equal(t, "samltest IdP", c.Subject.CommonName)
}

func TestNewErrors(t *testing.T) {
	rsaKey := loadSigner(t, "idp-rsa")
	ecKey := loadSigner(t, "idp-ecdsa")
	otherIDP := newTestIDP(t, "idp-ecdsa-p384", nil)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)

	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"certificate without key", Config{Certificate: otherIDP.Certificate()}, "without Config.Key"},
		{"certificate for another key", Config{Key: ecKey, Certificate: otherIDP.Certificate()}, "does not match"},
		{"Ed25519 key", Config{Key: edKey}, "want RSA or ECDSA"},
		{"ECDSA algorithm with RSA key",
			Config{Key: rsaKey, SignatureAlgorithm: saml.AlgECDSASHA256}, "incompatible"},
		{"RSA algorithm with ECDSA key",
			Config{Key: ecKey, SignatureAlgorithm: saml.AlgRSASHA256}, "incompatible"},
		{"unknown algorithm", Config{Key: rsaKey, SignatureAlgorithm: "urn:x"}, "unknown SignatureMethod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Now = func() time.Time { return testNow }
			p, err := New(tt.cfg)
			assert.Nil(t, p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "samltest:")
		})
	}
}

func TestNewKeepsGivenCertificate(t *testing.T) {
	first := newTestIDP(t, "idp-rsa", nil)
	second := newTestIDP(t, "idp-rsa", func(c *Config) {
		c.Certificate = first.Certificate()
		c.Now = func() time.Time { return testNow.Add(time.Hour) }
	})
	assert.Same(t, first.Certificate(), second.Certificate())
}

func TestMetadata(t *testing.T) {
	p := newTestIDP(t, "idp-rsa", nil)
	tests := []struct {
		name        string
		sso, slo    string
		wantSLO     int
		wantFormats int
	}{
		{"with single logout", "https://idp.example.com/sso", "https://idp.example.com/slo", 2, 4},
		{"without single logout", "https://idp.example.com/sso", "", 0, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := p.Metadata(tt.sso, tt.slo)
			require.NoError(t, err)
			ed := parseDoc(t, b)

			require.True(t, isElem(ed, nsMetadata, "EntityDescriptor"))
			assert.Equal(t, "https://idp.example.com/metadata", ed.SelectAttrValue("entityID", ""))
			ds := childNS(ed, nsMetadata, "IDPSSODescriptor")
			require.Len(t, ds, 1)
			d := ds[0]
			assert.Equal(t, nsProtocol, d.SelectAttrValue("protocolSupportEnumeration", ""))

			kds := childNS(d, nsMetadata, "KeyDescriptor")
			require.Len(t, kds, 1)
			assert.Equal(t, "signing", kds[0].SelectAttrValue("use", ""))
			x := kds[0].FindElement("./KeyInfo/X509Data/X509Certificate")
			require.NotNil(t, x)
			assert.Equal(t, base64.StdEncoding.EncodeToString(p.Certificate().Raw), x.Text())

			sso := childNS(d, nsMetadata, "SingleSignOnService")
			require.Len(t, sso, 2)
			assert.Equal(t, saml.BindingHTTPRedirect.String(), sso[0].SelectAttrValue("Binding", ""))
			assert.Equal(t, saml.BindingHTTPPost.String(), sso[1].SelectAttrValue("Binding", ""))
			for _, e := range sso {
				assert.Equal(t, tt.sso, e.SelectAttrValue("Location", ""))
			}
			slo := childNS(d, nsMetadata, "SingleLogoutService")
			require.Len(t, slo, tt.wantSLO)
			for _, e := range slo {
				assert.Equal(t, tt.slo, e.SelectAttrValue("Location", ""))
			}
			assert.Len(t, childNS(d, nsMetadata, "NameIDFormat"), tt.wantFormats)

			// Schema order: KeyDescriptor, SingleLogoutService,
			// NameIDFormat, SingleSignOnService.
			var order []string
			for _, c := range d.ChildElements() {
				if len(order) == 0 || order[len(order)-1] != c.Tag {
					order = append(order, c.Tag)
				}
			}
			want := []string{"KeyDescriptor", "SingleLogoutService", "NameIDFormat", "SingleSignOnService"}
			if tt.slo == "" {
				want = []string{"KeyDescriptor", "NameIDFormat", "SingleSignOnService"}
			}
			assert.Equal(t, want, order)
		})
	}
	t.Run("no SSO URL", func(t *testing.T) {
		_, err := p.Metadata("", "")
		assert.ErrorContains(t, err, "SSO URL")
	})
}

func TestConcurrentUse(t *testing.T) {
	p, err := New(Config{Key: loadSigner(t, "idp-ecdsa")})
	require.NoError(t, err)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Go(func() {
			doc, err := p.Response(ResponseOptions{SignAssertion: true, SignResponse: true,
				EncryptFor: loadCert(t, "sp")})
			errs[i] = err
			if err == nil {
				ids[i] = parseDoc(t, doc).SelectAttrValue("ID", "")
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range ids {
		require.NoError(t, errs[i])
		assert.False(t, seen[ids[i]], "duplicate ID %s", ids[i])
		seen[ids[i]] = true
	}
}

func TestRawECDSASignerKeepsLength(t *testing.T) {
	for _, name := range []string{"idp-ecdsa", "idp-ecdsa-p384"} {
		t.Run(name, func(t *testing.T) {
			k := loadSigner(t, name)
			n := (k.Public().(*ecdsa.PublicKey).Curve.Params().BitSize + 7) / 8
			digest := make([]byte, 32)
			// Many signatures, so that short r or s values occur.
			for range 64 {
				sig, err := rawECDSASigner{k}.Sign(rand.Reader, digest, crypto.SHA256)
				require.NoError(t, err)
				require.Len(t, sig, 2*n)
			}
		})
	}
}
