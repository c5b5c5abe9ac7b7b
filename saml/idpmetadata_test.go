package saml

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock2017 fits the validity of the ADFS and Entra signing certificates.
var clock2017 = time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)

func TestParseIDPMetadataSamples(t *testing.T) {
	const entraSSO = "https://login.microsoftonline.com/common/saml2"
	dec2026 := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		file          string
		now           time.Time
		entityID      string
		signing       int
		encryption    int
		sso           []Endpoint
		slo           int
		nameIDFormats []string
		validUntil    string
		cacheDuration time.Duration
	}{
		{
			file: "google-idp-metadata.xml", now: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			entityID: "https://accounts.google.com/o/saml2?idpid=C02dfl1r1", signing: 1,
			sso: []Endpoint{{Binding: BindingHTTPPost,
				Location: "https://accounts.google.com/o/saml2/idp?idpid=C02dfl1r1"}},
			nameIDFormats: []string{NameIDFormatEmailAddress}, validUntil: "2021-01-03T16:17:49Z",
		},
		{
			file:     "onelogin-idp-metadata.xml",
			entityID: "https://app.onelogin.com/saml/metadata/503983", signing: 1,
			sso: []Endpoint{{Binding: BindingHTTPPost,
				Location: "https://app.onelogin.com/trust/saml2/http-post/sso/503983"}},
		},
		{
			file:     "onelogin-samltool-idp-metadata.xml",
			entityID: "http://idp.example.com/metadata.php", signing: 1,
		},
		{
			file: "okta-idp-metadata.xml", entityID: "http://www.okta.com/exkppsa1qwuFV4D7z0h7",
			signing: 1,
			sso: []Endpoint{
				{Binding: BindingHTTPPost, Location: "https://dev-513394.oktapreview.com/app/" +
					"rstudioincdev513394_dev_1/exkppsa1qwuFV4D7z0h7/sso/saml"},
				{Binding: BindingHTTPRedirect, Location: "https://dev-513394.oktapreview.com/app/" +
					"rstudioincdev513394_dev_1/exkppsa1qwuFV4D7z0h7/sso/saml"},
			},
			nameIDFormats: []string{NameIDFormatUnspecified, NameIDFormatEmailAddress},
		},
		{
			file: "testshib-metadata.xml", entityID: "https://idp.testshib.org/idp/shibboleth",
			signing: 1, encryption: 1,
		},
		{
			file: "adfs-v2-metadata.xml", now: clock2017,
			entityID: "http://fs.msidlab7.com/adfs/services/trust", signing: 1, encryption: 1,
			sso: []Endpoint{
				{Binding: BindingHTTPRedirect, Location: "https://fs.msidlab7.com/adfs/ls/"},
				{Binding: BindingHTTPPost, Location: "https://fs.msidlab7.com/adfs/ls/"},
			},
			slo: 2,
			nameIDFormats: []string{NameIDFormatEmailAddress, NameIDFormatPersistent,
				NameIDFormatTransient},
		},
		{
			file: "adfs-v3-metadata.xml", entityID: "http://fs.msidlab2.com/adfs/services/trust",
			signing: 1, encryption: 1, slo: 2,
		},
		{
			file: "adfs-v4-metadata.xml", entityID: "http://fs.msidlab11.com/adfs/services/trust",
			signing: 1, encryption: 1, slo: 2,
		},
		{
			file: "entra-common-metadata.xml", entityID: "https://sts.windows.net/{tenantid}/",
			signing: 3, encryption: 0, slo: 1,
			sso: []Endpoint{
				{Binding: BindingHTTPRedirect, Location: entraSSO},
				{Binding: BindingHTTPPost, Location: entraSSO},
			},
		},
		{
			file: "interop-crewjam-samlidp-idp-metadata.xml", now: dec2026,
			entityID: "http://127.0.0.1:9106/metadata", signing: 1, encryption: 1, slo: 2,
			validUntil: "2026-12-05T19:14:20.811Z", cacheDuration: 48 * time.Hour,
		},
		{file: "interop-lasso-idp-metadata.xml", entityID: "http://127.0.0.1:9103/idp/metadata",
			signing: 1},
		{file: "interop-lemonldap-ng-idp-metadata.xml",
			entityID: "http://127.0.0.1:9107/saml/metadata",
			signing:  1, encryption: 1, slo: 2},
		{file: "interop-pysaml2-idp-metadata.xml", entityID: "http://127.0.0.1:9102/idp/metadata",
			signing: 1},
		{file: "interop-saml-idp-idp-metadata.xml", entityID: "http://127.0.0.1:9104/metadata",
			signing: 1},
		{file: "interop-samlify-idp-metadata.xml", entityID: "http://127.0.0.1:9105/idp/metadata",
			signing: 1},
		{file: "interop-simplesamlphp-idp-metadata.xml",
			entityID: "http://127.0.0.1:9101/saml2/idp/metadata.php",
			signing:  1, encryption: 1, slo: 1},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data := readTestFile(t, filepath.Join("testdata/metadata", tc.file))
			m, err := ParseIDPMetadata(data, MetadataOptions{Now: tc.now})
			require.NoError(t, err)

			assert.Equal(t, tc.entityID, m.EntityID)
			assert.Len(t, m.SigningCertificates, tc.signing)
			assert.Len(t, m.EncryptionCertificates, tc.encryption)
			assert.Len(t, m.SLOServices, tc.slo)
			if tc.sso != nil {
				assert.Equal(t, tc.sso, m.SSOServices)
			}
			assert.NotEmpty(t, m.SSOServices)
			for _, e := range append(m.SSOServices, m.SLOServices...) {
				assert.Contains(t, []Binding{BindingHTTPPost, BindingHTTPRedirect}, e.Binding)
			}
			if tc.nameIDFormats != nil {
				assert.Equal(t, tc.nameIDFormats, m.NameIDFormats)
			}
			if tc.validUntil != "" {
				assert.Equal(t, mustParseTime(t, tc.validUntil), m.ValidUntil)
			} else {
				assert.True(t, m.ValidUntil.IsZero())
			}
			assert.Equal(t, tc.cacheDuration, m.CacheDuration)
		})
	}
}

func TestParseIDPMetadataDetails(t *testing.T) {
	t.Run("okta whitespace-padded certificate", func(t *testing.T) {
		m, err := ParseIDPMetadata(readTestFile(t, "testdata/metadata/okta-idp-metadata.xml"),
			MetadataOptions{})
		require.NoError(t, err)
		assert.Contains(t, m.SigningCertificates[0].Subject.String(), "dev-513394")
	})
	t.Run("testshib key without use is signing and encryption", func(t *testing.T) {
		m, err := ParseIDPMetadata(readTestFile(t, "testdata/metadata/testshib-metadata.xml"),
			MetadataOptions{})
		require.NoError(t, err)
		require.Len(t, m.SigningCertificates, 1)
		assert.Equal(t, m.SigningCertificates[0], m.EncryptionCertificates[0])
		sso, ok := m.SSOService(BindingHTTPRedirect)
		require.True(t, ok)
		assert.Equal(t, "https://idp.testshib.org/idp/profile/SAML2/Redirect/SSO", sso.Location)
		_, ok = m.SLOService(BindingHTTPRedirect)
		assert.False(t, ok, "TestShib lists no SLO endpoint")
	})
	t.Run("testshib chosen by entity ID", func(t *testing.T) {
		m, err := ParseIDPMetadata(readTestFile(t, "testdata/metadata/testshib-metadata.xml"),
			MetadataOptions{EntityID: "https://idp.testshib.org/idp/shibboleth"})
		require.NoError(t, err)
		assert.Equal(t, "https://idp.testshib.org/idp/shibboleth", m.EntityID)
	})
	t.Run("entra three signing certificates kept in order", func(t *testing.T) {
		m, err := ParseIDPMetadata(readTestFile(t, "testdata/metadata/entra-common-metadata.xml"),
			MetadataOptions{})
		require.NoError(t, err)
		require.Len(t, m.SigningCertificates, 3)
		assert.NotEqual(t, m.SigningCertificates[0].Raw, m.SigningCertificates[1].Raw)
		assert.NotEqual(t, m.SigningCertificates[1].Raw, m.SigningCertificates[2].Raw)
	})
	t.Run("lemonldap SLO response location and artifact ignored", func(t *testing.T) {
		m, err := ParseIDPMetadata(
			readTestFile(t, "testdata/metadata/interop-lemonldap-ng-idp-metadata.xml"),
			MetadataOptions{})
		require.NoError(t, err)
		assert.Len(t, m.SSOServices, 2)
		slo, ok := m.SLOService(BindingHTTPPost)
		require.True(t, ok)
		assert.Equal(t, "http://127.0.0.1:9107/saml/singleLogoutReturn", slo.ResponseLocation)
	})
	t.Run("google duplicate POST endpoint collapsed", func(t *testing.T) {
		m, err := ParseIDPMetadata(readTestFile(t, "testdata/metadata/google-idp-metadata.xml"),
			MetadataOptions{})
		require.NoError(t, err)
		assert.Len(t, m.SSOServices, 1)
		_, ok := m.SSOService(BindingHTTPRedirect)
		assert.False(t, ok)
	})
}

func TestParseIDPMetadataSPOnlySample(t *testing.T) {
	data := readTestFile(t, "testdata/metadata/windows-ad-metadata.xml")
	for _, tc := range []struct {
		name string
		opts MetadataOptions
	}{
		{"only entity", MetadataOptions{Now: clock2017}},
		{"chosen by entity ID", MetadataOptions{EntityID: "urn:federation:MicrosoftOnline"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseIDPMetadata(data, tc.opts)
			assert.Nil(t, m)
			requireCheck(t, err, CheckMetadata)
			assert.Contains(t, err.Error(), "no IDPSSODescriptor")
			assert.Contains(t, err.Error(), "urn:federation:MicrosoftOnline")
		})
	}
}

func TestParseIDPMetadataExpiry(t *testing.T) {
	data := readTestFile(t, "testdata/metadata/google-idp-metadata.xml")
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"2020 clock accepted", time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{"one second before validUntil accepted",
			time.Date(2021, 1, 3, 16, 17, 48, 0, time.UTC), true},
		{"at validUntil refused", time.Date(2021, 1, 3, 16, 17, 49, 0, time.UTC), false},
		{"today refused", time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), false},
		{"zero clock skips the check", time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseIDPMetadata(data, MetadataOptions{Now: tc.now})
			if tc.ok {
				require.NoError(t, err)
				assert.NotNil(t, m)
				return
			}
			requireCheck(t, err, CheckMetadataExpired)
			assert.Contains(t, err.Error(), "metadata expired at 2021-01-03T16:17:49Z")
		})
	}
}

func TestParseIDPMetadataSignedSamples(t *testing.T) {
	wrong := loadTestCert(t, "testdata/logout/other-cert.pem")
	for _, file := range []string{"adfs-v2-metadata.xml", "adfs-v3-metadata.xml",
		"adfs-v4-metadata.xml", "entra-common-metadata.xml"} {
		data := readTestFile(t, filepath.Join("testdata/metadata", file))
		unsigned, err := ParseIDPMetadata(data, MetadataOptions{})
		require.NoError(t, err)
		pinned := signatureKeyInfoCert(t, data)

		t.Run(file+" pinned certificate", func(t *testing.T) {
			m, err := ParseIDPMetadata(data, MetadataOptions{Now: clock2017,
				TrustedCertificates: []*x509.Certificate{pinned}})
			require.NoError(t, err)
			assert.Equal(t, unsigned, m)
			assert.Equal(t, pinned.Raw, m.SigningCertificates[0].Raw)
		})
		t.Run(file+" wrong certificate", func(t *testing.T) {
			_, err := ParseIDPMetadata(data, MetadataOptions{Now: clock2017,
				TrustedCertificates: []*x509.Certificate{wrong}})
			requireCheck(t, err, CheckSignature)
		})
		t.Run(file+" pinned certificate expired", func(t *testing.T) {
			_, err := ParseIDPMetadata(data, MetadataOptions{
				Now:                 time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
				TrustedCertificates: []*x509.Certificate{pinned}})
			requireCheck(t, err, CheckCertificate)
		})
		t.Run(file+" tampered", func(t *testing.T) {
			bad := strings.Replace(string(data), "/adfs/ls/", "/evil/ls/", 1)
			bad = strings.Replace(bad, "login.microsoftonline.com/common/saml2",
				"login.evil.example/common/saml2", 1)
			require.NotEqual(t, string(data), bad)
			_, err := ParseIDPMetadata([]byte(bad), MetadataOptions{Now: clock2017,
				TrustedCertificates: []*x509.Certificate{pinned}})
			requireCheck(t, err, CheckSignature)
		})
	}
}

func TestParseIDPMetadataSigned(t *testing.T) {
	key, cert := idpRSAKey(t)
	other := loadTestCert(t, "testdata/logout/other-cert.pem")
	now := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	opts := MetadataOptions{Now: now, TrustedCertificates: []*x509.Certificate{other, cert}}
	idp := testIDPEntity("https://idp.example.org", "", idpKey("signing"))
	sp := testSPEntity("https://sp.example.com")

	t.Run("signed EntitiesDescriptor accepted", func(t *testing.T) {
		doc := signTestXML(t, key, cert, testEntities(`ID="_agg"`, idp, sp), "")
		m, err := ParseIDPMetadata(doc, opts)
		require.NoError(t, err)
		assert.Equal(t, "https://idp.example.org", m.EntityID)
	})
	t.Run("signed inner EntityDescriptor accepted", func(t *testing.T) {
		signed := signTestXML(t, key, cert, strings.Replace(idp, "<md:EntityDescriptor ",
			`<md:EntityDescriptor xmlns:md="`+nsMetadata+`" xmlns:ds="`+nsDSig+`" ID="_idp" `, 1),
			"")
		doc := testEntities(`validUntil="2020-01-01T00:00:00Z"`,
			strings.TrimPrefix(string(signed), `<?xml version="1.0" encoding="UTF-8"?>`), sp)
		m, err := ParseIDPMetadata([]byte(doc), opts)
		require.NoError(t, err, "unsigned ancestors' validUntil is not trusted")
		assert.Equal(t, "https://idp.example.org", m.EntityID)
	})
	t.Run("unsigned refused", func(t *testing.T) {
		_, err := ParseIDPMetadata([]byte(testEntities("", idp, sp)), opts)
		requireCheck(t, err, CheckSignature)
		assert.Contains(t, err.Error(), "not signed")
	})
	t.Run("signed by another key refused", func(t *testing.T) {
		doc := signTestXML(t, key, cert, testEntities(`ID="_agg"`, idp, sp), "")
		_, err := ParseIDPMetadata(doc, MetadataOptions{Now: now,
			TrustedCertificates: []*x509.Certificate{other}})
		requireCheck(t, err, CheckSignature)
	})
	t.Run("entity added after signing refused", func(t *testing.T) {
		doc := signTestXML(t, key, cert, testEntities(`ID="_agg"`, idp, sp), "")
		bad := strings.Replace(string(doc), "</md:EntitiesDescriptor>",
			testSPEntity("https://evil.example")+"</md:EntitiesDescriptor>", 1)
		_, err := ParseIDPMetadata([]byte(bad), opts)
		requireCheck(t, err, CheckSignature)
	})
	t.Run("signature ignored when nothing is pinned", func(t *testing.T) {
		doc := signTestXML(t, key, cert, testEntities(`ID="_agg"`, idp, sp), "")
		m, err := ParseIDPMetadata(doc, MetadataOptions{})
		require.NoError(t, err)
		assert.Equal(t, "https://idp.example.org", m.EntityID)
	})
}

func TestParseIDPMetadataRefuses(t *testing.T) {
	idp := testIDPEntity("https://idp.example.org", "", idpKey("signing"))
	idp2 := testIDPEntity("https://idp2.example.org", "", idpKey(""))
	sp := testSPEntity("https://sp.example.com")
	tests := []struct {
		name  string
		doc   string
		opts  MetadataOptions
		check Check
		msg   string
	}{
		{"SP-only entity", sp, MetadataOptions{}, CheckMetadata, "no IDPSSODescriptor"},
		{"SP-only entity chosen by ID", sp, MetadataOptions{EntityID: "https://sp.example.com"},
			CheckMetadata, "no IDPSSODescriptor"},
		{"wanted entity missing", testEntities("", idp, sp),
			MetadataOptions{EntityID: "https://other.example"}, CheckMetadata,
			"https://idp.example.org, https://sp.example.com"},
		{"several IdPs and no entity ID", testEntities("", idp, idp2), MetadataOptions{},
			CheckMetadata,
			"2 IdPs, choose one by entity ID: https://idp.example.org, https://idp2.example.org"},
		{"the same entity twice, chosen by ID", testEntities("", idp, idp),
			MetadataOptions{EntityID: "https://idp.example.org"}, CheckMetadata, "twice"},
		{"the same IdP twice, no entity ID", testEntities("", idp, idp, sp), MetadataOptions{},
			CheckMetadata, "twice"},
		{"only an encryption key",
			testIDPEntity("https://idp.example.org", "", idpKey("encryption")), MetadataOptions{},
			CheckMetadata, "no usable signing key"},
		{"no key at all", testIDPEntity("https://idp.example.org", ""), MetadataOptions{},
			CheckMetadata, "no usable signing key"},
		{"key without X509Certificate",
			testIDPEntity("https://idp.example.org", "",
				`<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:KeyName>k</ds:KeyName>`+
					`</ds:KeyInfo></md:KeyDescriptor>`),
			MetadataOptions{}, CheckMetadata, "no usable signing key"},
		{"unknown key use",
			testIDPEntity("https://idp.example.org", "", idpKey("both")), MetadataOptions{},
			CheckSchema, "unknown use"},
		{"garbage certificate",
			testIDPEntity("https://idp.example.org", "", `<md:KeyDescriptor use="signing">`+
				`<ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==`+
				`</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`),
			MetadataOptions{}, CheckCertificate, "not an X.509"},
		{"SAML 1.1 IdP only",
			strings.Replace(idp, nsProtocol, "urn:oasis:names:tc:SAML:1.1:protocol", 1),
			MetadataOptions{}, CheckMetadata, "does not support SAML 2.0"},
		{"no supported SSO binding",
			strings.ReplaceAll(idp, string(BindingHTTPRedirect),
				"urn:oasis:names:tc:SAML:2.0:bindings:SOAP"),
			MetadataOptions{}, CheckMetadata, "no SingleSignOnService"},
		{"expired", testIDPEntity("https://idp.example.org", `validUntil="2029-01-01T00:00:00Z"`,
			idpKey("")), MetadataOptions{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
			CheckMetadataExpired, "2029-01-01T00:00:00Z"},
		{"expired via outer EntitiesDescriptor",
			testEntities(`validUntil="2029-01-01T00:00:00Z"`, testEntities("", idp), sp),
			MetadataOptions{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
			CheckMetadataExpired, "2029-01-01T00:00:00Z"},
		{"malformed validUntil", testIDPEntity("https://idp.example.org", `validUntil="tomorrow"`,
			idpKey("")), MetadataOptions{}, CheckSchema, "validUntil"},
		{"malformed cacheDuration",
			testIDPEntity("https://idp.example.org", `cacheDuration="1 hour"`, idpKey("")),
			MetadataOptions{}, CheckSchema, "cacheDuration"},
		{"no entityID", strings.Replace(idp, `entityID="https://idp.example.org"`, "", 1),
			MetadataOptions{}, CheckSchema, "no entityID"},
		{"not metadata", `<samlp:Response xmlns:samlp="` + nsProtocol + `"/>`, MetadataOptions{},
			CheckSchema, "not SAML metadata"},
		{"wrong namespace", strings.ReplaceAll(idp, nsMetadata, "urn:example:md"),
			MetadataOptions{}, CheckSchema, "not SAML metadata"},
		{"DTD", `<!DOCTYPE x [<!ENTITY a "b">]>` + idp, MetadataOptions{}, CheckXML, "DTD"},
		{"two roots", idp + idp, MetadataOptions{}, CheckXML, ""},
		{"over the size limit", idp, MetadataOptions{MaxSize: 100}, CheckSize, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseIDPMetadata([]byte(tc.doc), tc.opts)
			assert.Nil(t, m)
			requireCheck(t, err, tc.check)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestParseIDPMetadataValidity(t *testing.T) {
	inner := testIDPEntity("https://idp.example.org",
		`validUntil="2031-01-01T00:00:00Z" cacheDuration="PT6H"`, idpKey(""))
	doc := testEntities(`validUntil="2030-06-01T00:00:00Z" cacheDuration="P1D"`,
		testEntities(`cacheDuration="PT1H30M"`, inner))
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := ParseIDPMetadata([]byte(doc), MetadataOptions{Now: now})
	require.NoError(t, err)
	assert.Equal(t, now.AddDate(0, 5, 0), m.ValidUntil, "earliest validUntil")
	assert.Equal(t, 90*time.Minute, m.CacheDuration, "shortest cacheDuration")
	assert.True(t, m.WantAuthnRequestsSigned)
	assert.Equal(t, []string{NameIDFormatEmailAddress}, m.NameIDFormats)
}

func TestParseXSDuration(t *testing.T) {
	good := map[string]time.Duration{
		"PT1H": time.Hour, "P1D": 24 * time.Hour, "PT30M": 30 * time.Minute,
		"PT1.5S": 1500 * time.Millisecond, "P1DT2H": 26 * time.Hour, "P1Y": 365 * 24 * time.Hour,
		"P2M": 60 * 24 * time.Hour, "PT48H": 48 * time.Hour,
		"P0D": 0,
	}
	for in, want := range good {
		t.Run(in, func(t *testing.T) {
			d, err := parseXSDuration(in)
			require.NoError(t, err)
			assert.Equal(t, want, d)
		})
	}
	bad := []string{"", "P", "PT", "1H", "P1H", "PT1D", "P1.5D", "-P1D", "P1DT", "PTH", "P99999999D"}
	for _, in := range bad {
		t.Run("bad "+in, func(t *testing.T) {
			_, err := parseXSDuration(in)
			assert.Error(t, err)
		})
	}
}

func FuzzParseIDPMetadata(f *testing.F) {
	files, _ := filepath.Glob("testdata/metadata/*.xml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(testEntities(`validUntil="2030-06-01T00:00:00Z"`,
		testIDPEntity("https://idp.example.org", `cacheDuration="PT1H"`, idpKey("")))))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseIDPMetadata(data, MetadataOptions{Now: clock2017})
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is not a *ValidationError: %v", err)
			}
			return
		}
		if m.EntityID == "" || len(m.SigningCertificates) == 0 || len(m.SSOServices) == 0 {
			t.Fatalf("accepted unusable metadata: %+v", m)
		}
	})
}

func ExampleParseIDPMetadata() {
	data, err := os.ReadFile("testdata/metadata/okta-idp-metadata.xml")
	if err != nil {
		panic(err)
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := ParseIDPMetadata(data, MetadataOptions{Now: now})
	if err != nil {
		panic(err)
	}
	sso, _ := m.SSOService(BindingHTTPRedirect)
	fmt.Println(m.EntityID)
	fmt.Println(len(m.SigningCertificates), sso.Binding == BindingHTTPRedirect)
	// Output:
	// http://www.okta.com/exkppsa1qwuFV4D7z0h7
	// 1 true
}

// requireCheck asserts that err is a *ValidationError for check c.
func requireCheck(t *testing.T, err error, c Check) {
	t.Helper()
	require.Error(t, err)
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "want *ValidationError, got %T: %v", err, err)
	assert.Equal(t, c, ve.Check, "error: %v", err)
}

// mustParseTime parses an RFC 3339 instant.
func mustParseTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}

// signatureKeyInfoCert returns the certificate in the KeyInfo of the root
// element's Signature, as an admin would pin it after checking it out of
// band.
func signatureKeyInfoCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	doc := etree.NewDocument()
	require.NoError(t, doc.ReadFromBytes(data))
	el := doc.Root().FindElement("./Signature/KeyInfo/X509Data/X509Certificate")
	require.NotNil(t, el)
	c, err := ParseCertificate(el.Text())
	require.NoError(t, err)
	return c
}

// signTestXML signs the root element of doc (which must have an ID) with an
// enveloped signature and returns the document.
func signTestXML(t *testing.T, key crypto.Signer, cert *x509.Certificate, doc, alg string) []byte {
	t.Helper()
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromString(doc))
	s, err := newMessageSigner(key, cert, alg, nil)
	require.NoError(t, err)
	require.NoError(t, s.signEnveloped(d.Root()))
	out, err := d.WriteToBytes()
	require.NoError(t, err)
	return out
}

// testIDPEntity returns an EntityDescriptor for an IdP with the given
// attributes on the EntityDescriptor and KeyDescriptors.
func testIDPEntity(entityID, attrs string, keys ...string) string {
	return fmt.Sprintf(`<md:EntityDescriptor xmlns:md="%s" xmlns:ds="%s" entityID="%s" %s>`+
		`<md:IDPSSODescriptor protocolSupportEnumeration="%s" WantAuthnRequestsSigned="true">%s`+
		`<md:NameIDFormat>  %s  </md:NameIDFormat>`+
		`<md:SingleSignOnService Binding="%s" Location="https://idp.example.org/sso"/>`+
		`</md:IDPSSODescriptor></md:EntityDescriptor>`,
		nsMetadata, nsDSig, entityID, attrs, nsProtocol, strings.Join(keys, ""),
		NameIDFormatEmailAddress, BindingHTTPRedirect)
}

// testSPEntity returns an SP-only EntityDescriptor.
func testSPEntity(entityID string) string {
	return fmt.Sprintf(`<md:EntityDescriptor xmlns:md="%s" entityID="%s">`+
		`<md:SPSSODescriptor protocolSupportEnumeration="%s">`+
		`<md:AssertionConsumerService Binding="%s" Location="https://sp.example.com/acs" `+
		`index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`,
		nsMetadata, entityID, nsProtocol, BindingHTTPPost)
}

// testEntities wraps entities in an EntitiesDescriptor.
func testEntities(attrs string, entities ...string) string {
	return fmt.Sprintf(
		`<md:EntitiesDescriptor xmlns:md="%s" xmlns:ds="%s" %s>%s</md:EntitiesDescriptor>`,
		nsMetadata, nsDSig, attrs, strings.Join(entities, ""))
}

// idpKey returns a KeyDescriptor with the test IdP certificate; use may be
// empty.
func idpKey(use string) string {
	b, err := os.ReadFile("testdata/logout/idp-rsa-cert.pem")
	if err != nil {
		panic(err) // test fixture missing
	}
	body := strings.TrimSpace(string(b))
	body = strings.TrimPrefix(body, "-----BEGIN CERTIFICATE-----")
	body = strings.TrimSuffix(body, "-----END CERTIFICATE-----")
	attr := ""
	if use != "" {
		attr = ` use="` + use + `"`
	}
	return `<md:KeyDescriptor` + attr + `><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + body +
		`</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
}
