package idp

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

func TestParseMetadataRealSamples(t *testing.T) {
	t2017 := time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		file      string
		now       time.Time
		entityID  string // option
		wantID    string
		wantCerts int
		wantSSO   string
		wantBind  saml.Binding
	}{
		{name: "okta", file: "okta-metadata.xml", now: t2017,
			wantID: "http://www.okta.com/exkppsa1qwuFV4D7z0h7", wantCerts: 1,
			wantBind: saml.BindingHTTPRedirect},
		{name: "entra with three signing certificates", file: "entra-metadata.xml", now: t2017,
			wantID: "https://sts.windows.net/{tenantid}/", wantCerts: 3,
			wantSSO:  "https://login.microsoftonline.com/common/saml2",
			wantBind: saml.BindingHTTPRedirect},
		{name: "adfs v2 with ws-fed roles", file: "adfs-v2-metadata.xml", now: t2017,
			wantID: "http://fs.msidlab7.com/adfs/services/trust", wantCerts: 1,
			wantSSO: "https://fs.msidlab7.com/adfs/ls/", wantBind: saml.BindingHTTPRedirect},
		{name: "adfs v3", file: "adfs-v3-metadata.xml", now: t2017,
			wantID: "http://fs.msidlab2.com/adfs/services/trust", wantCerts: 1,
			wantSSO: "https://fs.msidlab2.com/adfs/ls/", wantBind: saml.BindingHTTPRedirect},
		{name: "adfs v4", file: "adfs-v4-metadata.xml", now: t2017,
			wantID: "http://fs.msidlab11.com/adfs/services/trust", wantCerts: 1,
			wantSSO: "https://fs.msidlab11.com/adfs/ls/", wantBind: saml.BindingHTTPRedirect},
		{name: "shibboleth entities descriptor picks the only idp", file: "testshib-metadata.xml",
			now: t2017, wantID: "https://idp.testshib.org/idp/shibboleth", wantCerts: 1,
			wantBind: saml.BindingHTTPRedirect},
		{name: "shibboleth by entity id", file: "testshib-metadata.xml", now: t2017,
			entityID: "https://idp.testshib.org/idp/shibboleth",
			wantID:   "https://idp.testshib.org/idp/shibboleth", wantCerts: 1,
			wantBind: saml.BindingHTTPRedirect},
		{name: "google before validUntil", file: "google-metadata.xml",
			now:    time.Date(2016, 1, 5, 16, 56, 0, 0, time.UTC),
			wantID: "https://accounts.google.com/o/saml2?idpid=C02dfl1r1", wantCerts: 1,
			wantBind: saml.BindingHTTPPost},
		{name: "simplesamlphp on loopback", file: "simplesamlphp-metadata.xml",
			now:    time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC),
			wantID: "http://127.0.0.1:9101/saml2/idp/metadata.php", wantCerts: 1,
			wantSSO:  "http://127.0.0.1:9101/saml2/idp/SSOService.php",
			wantBind: saml.BindingHTTPRedirect},
		{name: "onelogin post only", file: "onelogin-metadata.xml", now: t2017,
			wantID: "https://app.onelogin.com/saml/metadata/503983", wantCerts: 1,
			wantBind: saml.BindingHTTPPost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := ParseMetadata(readTestdata(t, tt.file),
				MetadataOptions{EntityID: tt.entityID, Now: fixedClock(tt.now)})
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, md.IDP.EntityID)
			assert.Len(t, md.IDP.SigningCertificates, tt.wantCerts)
			assert.Equal(t, tt.now, md.FetchedAt)

			var cfg Config
			cfg.Name = tt.name
			cfg.ApplyMetadata(md.IDP)
			assert.Equal(t, tt.wantID, cfg.EntityID)
			assert.Equal(t, tt.wantBind, cfg.SSOBinding)
			if tt.wantSSO != "" {
				assert.Equal(t, tt.wantSSO, cfg.SSOURL)
			}
			assert.NotEmpty(t, cfg.SSOURL)
			assert.Len(t, cfg.SigningCertificates, tt.wantCerts)
			var ce *ConfigError
			if err := cfg.Validate(); errors.As(err, &ce) {
				// Only Entra's common-endpoint template entity ID is refused.
				require.Len(t, ce.Problems, 1, "%v", err)
				assert.Equal(t, "EntityID", ce.Problems[0].Field)
				assert.Contains(t, tt.wantID, "{tenantid}")
			} else {
				assert.NotContains(t, tt.wantID, "{tenantid}")
			}
		})
	}
}

func TestParseMetadataRefused(t *testing.T) {
	t2017 := time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		data      []byte
		opts      MetadataOptions
		wantCheck saml.Check
		wantErr   error
		wantText  string
	}{
		{name: "sp-only entra entity is not an idp",
			data: readTestdata(t, "windows-ad-sp-metadata.xml"),
			opts: MetadataOptions{Now: fixedClock(t2017)}, wantCheck: saml.CheckMetadata,
			wantText: "IDPSSODescriptor"},
		{name: "google metadata after validUntil",
			data:    readTestdata(t, "google-metadata.xml"),
			opts:    MetadataOptions{Now: fixedClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))},
			wantErr: ErrMetadataExpired, wantText: "2021-01-03T16:17:49Z"},
		{name: "unknown entity id names the ones present",
			data:      readTestdata(t, "testshib-metadata.xml"),
			opts:      MetadataOptions{EntityID: "https://nope.example.com", Now: fixedClock(t2017)},
			wantCheck: saml.CheckMetadata, wantText: "https://idp.testshib.org/idp/shibboleth"},
		{name: "over size limit", data: readTestdata(t, "okta-metadata.xml"),
			opts: MetadataOptions{MaxSize: 100}, wantErr: ErrMetadataTooLarge},
		{name: "not xml", data: []byte("hello"), wantCheck: saml.CheckXML},
		{name: "adfs signature checked against the wrong pinned key",
			data: readTestdata(t, "adfs-v2-metadata.xml"),
			opts: MetadataOptions{Now: fixedClock(t2017),
				TrustedCertificates: []*x509.Certificate{newKeyPair(t, "other",
					t2017.Add(-time.Hour), t2017.Add(time.Hour)).cert}},
			wantCheck: saml.CheckSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := ParseMetadata(tt.data, tt.opts)
			require.Error(t, err)
			assert.Nil(t, md)
			if tt.wantCheck != "" {
				var ve *saml.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, tt.wantCheck, ve.Check)
			}
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Contains(t, err.Error(), tt.wantText)
		})
	}
}

func TestParseMetadataPinnedADFSCertificate(t *testing.T) {
	// The ADFS metadata is signed by its own IDPSSODescriptor signing key;
	// pinning that certificate out of band makes the signature meaningful.
	t2017 := time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)
	data := readTestdata(t, "adfs-v2-metadata.xml")
	unsigned, err := ParseMetadata(data, MetadataOptions{Now: fixedClock(t2017)})
	require.NoError(t, err)

	md, err := ParseMetadata(data, MetadataOptions{Now: fixedClock(t2017),
		TrustedCertificates: unsigned.IDP.SigningCertificates})
	require.NoError(t, err)
	assert.Equal(t, unsigned.IDP.EntityID, md.IDP.EntityID)
}

func TestMetadataExpiredErrorText(t *testing.T) {
	vu := time.Date(2021, 1, 3, 16, 17, 49, 0, time.UTC)
	err := &MetadataExpiredError{EntityID: "https://idp", ValidUntil: vu}
	assert.Equal(t, `idp: metadata for "https://idp" expired at 2021-01-03T16:17:49Z; `+
		"fetch a current copy from the IdP", err.Error())
	assert.True(t, errors.Is(err, ErrMetadataExpired))
}

func TestReadMetadataFile(t *testing.T) {
	t2017 := time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)

	t.Run("reads and records the source", func(t *testing.T) {
		path := filepath.Join("testdata", "okta-metadata.xml")
		md, err := ReadMetadataFile(path, MetadataOptions{Now: fixedClock(t2017)})
		require.NoError(t, err)
		assert.Equal(t, path, md.Source)
		assert.Equal(t, "http://www.okta.com/exkppsa1qwuFV4D7z0h7", md.IDP.EntityID)
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := ReadMetadataFile(filepath.Join(t.TempDir(), "nope.xml"), MetadataOptions{})
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("oversized file is refused before parsing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "big.xml")
		require.NoError(t, os.WriteFile(path, make([]byte, 2048), 0o600))
		_, err := ReadMetadataFile(path, MetadataOptions{MaxSize: 1024})
		assert.ErrorIs(t, err, ErrMetadataTooLarge)
	})
}

func TestApplyMetadataKeepsAdminSettings(t *testing.T) {
	now := time.Now()
	a := newKeyPair(t, "a", now.Add(-time.Hour), now.Add(time.Hour))
	b := newKeyPair(t, "b", now.Add(-time.Hour), now.Add(time.Hour))
	md, err := ParseMetadata([]byte(idpMetadataXML("https://idp.example.com", time.Time{}, "",
		a.cert, b.cert)), MetadataOptions{})
	require.NoError(t, err)

	cfg := Config{Name: "acme", Preset: PresetOkta, ClockSkew: time.Minute,
		Mapping: AttributeMapping{Email: "mail"}, SSOURL: "https://old.example.com/sso",
		SLOURL: "https://old.example.com/slo"}
	cfg.ApplyMetadata(md.IDP)

	assert.Equal(t, "https://idp.example.com", cfg.EntityID)
	assert.Equal(t, "https://idp.example.com/sso/redirect", cfg.SSOURL, "redirect preferred")
	assert.Equal(t, saml.BindingHTTPRedirect, cfg.SSOBinding)
	assert.Equal(t, "https://idp.example.com/slo", cfg.SLOURL)
	assert.Equal(t, []*x509.Certificate{a.cert, b.cert}, cfg.SigningCertificates)
	assert.Equal(t, "acme", cfg.Name)
	assert.Equal(t, PresetOkta, cfg.Preset)
	assert.Equal(t, time.Minute, cfg.ClockSkew)
	assert.Equal(t, "mail", cfg.Mapping.Email)
	require.NoError(t, cfg.Validate())
}

// Keys taken from metadata with a validUntil are trusted until then: the
// verifier built from the configuration refuses sign-ins once it passes,
// and fresh metadata applied lifts that.
func TestApplyMetadataValidUntil(t *testing.T) {
	now := time.Now()
	k := newKeyPair(t, "k", now.Add(-time.Hour), now.Add(24*time.Hour))
	until := now.Add(time.Hour).Truncate(time.Second)
	md, err := ParseMetadata([]byte(idpMetadataXML("https://idp.example.com", until, "", k.cert)),
		MetadataOptions{})
	require.NoError(t, err)

	cfg := Config{Name: "acme"}
	cfg.ApplyMetadata(md.IDP)
	assert.True(t, until.Equal(cfg.MetadataValidUntil), "%v", cfg.MetadataValidUntil)

	clock := now
	sp := ServiceProvider{EntityID: "https://sp.example.com", ACSURLs: []string{
		"https://sp.example.com/acs"}, Now: func() time.Time { return clock }}
	vc, err := cfg.VerifierConfig(sp)
	require.NoError(t, err)
	assert.True(t, until.Equal(vc.IDPCertificatesValidUntil))

	v, err := cfg.NewVerifier(sp)
	require.NoError(t, err)
	clock = until
	_, err = v.VerifyXML(context.Background(), []byte("<not-even-read/>"), nil)
	var ve *saml.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, saml.CheckMetadataExpired, ve.Check)

	// Metadata without validUntil: no limit.
	md, err = ParseMetadata([]byte(idpMetadataXML("https://idp.example.com", time.Time{}, "",
		k.cert)), MetadataOptions{})
	require.NoError(t, err)
	cfg.ApplyMetadata(md.IDP)
	assert.True(t, cfg.MetadataValidUntil.IsZero())
}

func TestMetadataExpired(t *testing.T) {
	vu := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	md := &Metadata{IDP: &saml.IDPMetadata{ValidUntil: vu}}
	assert.False(t, md.Expired(vu.Add(-time.Second)))
	assert.True(t, md.Expired(vu))
	assert.False(t, (&Metadata{IDP: &saml.IDPMetadata{}}).Expired(vu), "no validUntil")
}

// TestDuplicateEntityIDIsAmbiguous: an EntitiesDescriptor holding two IdP
// entities with the same entityID but different keys is ambiguous;
// ParseMetadata must refuse the document or keep both keys, never silently
// drop the other's key.
func TestDuplicateEntityIDIsAmbiguous(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	a := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	b := newKeyPair(t, "other", now.Add(-time.Hour), now.Add(24*time.Hour))
	one := idpMetadataXML("https://idp.example.com", time.Time{}, "", a.cert)
	two := strings.Replace(idpMetadataXML("https://idp.example.com", time.Time{}, "", b.cert),
		`ID="_md1"`, `ID="_md2"`, 1)
	doc := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
		one + two + `</md:EntitiesDescriptor>`

	for _, id := range []string{"", "https://idp.example.com"} {
		t.Run("EntityID="+id, func(t *testing.T) {
			md, err := ParseMetadata([]byte(doc), MetadataOptions{EntityID: id,
				Now: fixedClock(now)})
			if err == nil {
				assert.Len(t, md.IDP.SigningCertificates, 2,
					"the second entity's key was dropped without a word")
			}
		})
	}
}

// TestParseMetadataNotMetadata: what admins paste instead of metadata is
// named in plain words.
func TestParseMetadataNotMetadata(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	spOnly := `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ` +
		`entityID="https://sp.example.com"><md:SPSSODescriptor protocolSupportEnumeration=` +
		`"urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding=` +
		`"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs" ` +
		`index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`
	tests := []struct {
		name      string
		data      string
		wantCheck saml.Check
		wantText  string
	}{
		{name: "empty", data: "", wantCheck: saml.CheckXML, wantText: "is empty"},
		{name: "only a byte-order mark and spaces", data: "\xef\xbb\xbf \r\n",
			wantCheck: saml.CheckXML, wantText: "is empty"},
		{name: "PEM certificate", data: certPEM(kp.cert), wantCheck: saml.CheckXML,
			wantText: "PEM certificate or key, not SAML metadata"},
		{name: "HTML page", data: "\n<!doctype html><html><body>Sign in</body></html>",
			wantCheck: saml.CheckSchema, wantText: "HTML page, not SAML metadata"},
		{name: "XHTML page", data: `<?xml version="1.0"?>` + "\n" + `<!DOCTYPE html PUBLIC ` +
			`"-//W3C//DTD XHTML 1.0 Strict//EN" "x"><html/>`,
			wantCheck: saml.CheckSchema, wantText: "HTML page, not SAML metadata"},
		{name: "SP metadata", data: spOnly, wantCheck: saml.CheckMetadata,
			wantText: "service provider's metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := ParseMetadata([]byte(tt.data), MetadataOptions{Now: fixedClock(now)})
			require.Error(t, err)
			assert.Nil(t, md)
			var ve *saml.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.wantCheck, ve.Check)
			assert.Contains(t, err.Error(), tt.wantText)
			assert.NotContains(t, err.Error(), "DTD")
		})
	}
}
