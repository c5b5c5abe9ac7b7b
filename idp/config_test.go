package idp

import (
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

func TestConfigValidate(t *testing.T) {
	now := time.Now()
	ecCert := newECDSACert(t, "ec", now.Add(-time.Hour), now.Add(time.Hour))
	tests := []struct {
		name      string
		edit      func(c *Config)
		wantField string // empty: valid
		wantText  string
	}{
		{name: "valid", edit: func(c *Config) {}},
		{name: "valid with everything set", edit: func(c *Config) {
			c.SSOBinding = saml.BindingHTTPPost
			c.SLOURL = "https://idp.example.com/slo"
			c.NameIDFormat = saml.NameIDFormatEmailAddress
			c.ClockSkew = MaxClockSkew
			c.Preset = PresetEntraID
			c.Mapping = AttributeMapping{Email: "mail", Groups: "memberOf", GroupsDelimiter: ";"}
			c.EmailDomains = []string{"example.com", "Example.ORG"}
			c.SigningCertificates = append(c.SigningCertificates, ecCert)
		}},
		{name: "http sso on loopback", edit: func(c *Config) {
			c.SSOURL = "http://127.0.0.1:9101/sso"
		}},
		{name: "missing name", edit: func(c *Config) { c.Name = "" },
			wantField: "Name", wantText: "required"},
		{name: "name with spaces around", edit: func(c *Config) { c.Name = " acme" },
			wantField: "Name"},
		{name: "name too long", edit: func(c *Config) { c.Name = strings.Repeat("a", 101) },
			wantField: "Name"},
		{name: "missing entity id", edit: func(c *Config) { c.EntityID = "" },
			wantField: "EntityID", wantText: "required"},
		{name: "entra template entity id", edit: func(c *Config) {
			c.EntityID = "https://sts.windows.net/{tenantid}/"
		}, wantField: "EntityID", wantText: "tenant"},
		{name: "entity id with spaces", edit: func(c *Config) { c.EntityID = "a b" },
			wantField: "EntityID"},
		{name: "missing sso url", edit: func(c *Config) { c.SSOURL = "" },
			wantField: "SSOURL", wantText: "required"},
		{name: "relative sso url", edit: func(c *Config) { c.SSOURL = "/sso" },
			wantField: "SSOURL", wantText: "absolute"},
		{name: "plain http sso url", edit: func(c *Config) { c.SSOURL = "http://idp.example.com/sso" },
			wantField: "SSOURL", wantText: "https"},
		{name: "sso url with fragment", edit: func(c *Config) { c.SSOURL += "#x" },
			wantField: "SSOURL", wantText: "fragment"},
		{name: "artifact binding", edit: func(c *Config) {
			c.SSOBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
		}, wantField: "SSOBinding", wantText: "unsupported"},
		{name: "bad slo url", edit: func(c *Config) { c.SLOURL = "ftp://x" },
			wantField: "SLOURL"},
		{name: "no certificates", edit: func(c *Config) { c.SigningCertificates = nil },
			wantField: "SigningCertificates", wantText: "at least one"},
		{name: "nil certificate", edit: func(c *Config) {
			c.SigningCertificates = []*x509.Certificate{nil}
		}, wantField: "SigningCertificates", wantText: "missing"},
		{name: "512-bit RSA key", edit: func(c *Config) {
			c.SigningCertificates = append(c.SigningCertificates,
				testdataCert(t, "rsa512-cert.pem"))
		}, wantField: "SigningCertificates",
			wantText: "certificate 2 (weak-idp.example) has a 512-bit RSA key"},
		{name: "bad nameid format", edit: func(c *Config) { c.NameIDFormat = "email" },
			wantField: "NameIDFormat"},
		{name: "negative skew", edit: func(c *Config) { c.ClockSkew = -time.Second },
			wantField: "ClockSkew"},
		{name: "skew too large", edit: func(c *Config) { c.ClockSkew = time.Hour },
			wantField: "ClockSkew", wantText: "fix the clocks"},
		{name: "unknown preset", edit: func(c *Config) { c.Preset = "okta2" },
			wantField: "Preset", wantText: "okta2"},
		{name: "mapping name with spaces", edit: func(c *Config) { c.Mapping.Email = "email " },
			wantField: "Mapping.Email"},
		{name: "mapping name with control characters", edit: func(c *Config) {
			c.Mapping.Groups = "gr\x00oups"
		}, wantField: "Mapping.Groups"},
		{name: "email domain with @", edit: func(c *Config) {
			c.EmailDomains = []string{"@example.com"}
		}, wantField: "EmailDomains"},
		{name: "email domain empty", edit: func(c *Config) { c.EmailDomains = []string{""} },
			wantField: "EmailDomains"},
		{name: "delimiter too long", edit: func(c *Config) {
			c.Mapping.GroupsDelimiter = strings.Repeat(",", 9)
		}, wantField: "Mapping.GroupsDelimiter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(t)
			tt.edit(c)
			err := c.Validate()
			if tt.wantField == "" {
				require.NoError(t, err)
				return
			}
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Len(t, ce.Problems, 1, "problems: %v", ce.Problems)
			assert.Equal(t, tt.wantField, ce.Problems[0].Field)
			assert.Contains(t, ce.Problems[0].Msg, tt.wantText)
			assert.NotEmpty(t, ce.Field(tt.wantField))
		})
	}
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	err := (&Config{Name: "x", ClockSkew: -1, Preset: "nope"}).Validate()
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	var fields []string
	for _, p := range ce.Problems {
		fields = append(fields, p.Field)
	}
	assert.Equal(t, []string{"EntityID", "SSOURL", "SigningCertificates", "ClockSkew", "Preset"},
		fields)
	assert.True(t, strings.HasPrefix(err.Error(), `idp: invalid configuration "x": EntityID: `),
		err.Error())
	assert.Nil(t, ce.Field("Name"))
}

func TestConfigVerifierConfig(t *testing.T) {
	c := validConfig(t)
	c.AllowIDPInitiated = true
	c.RequireSignedAssertions = true
	c.InsecureAllowSHA1 = true
	c.InsecureAllowRSA15 = true
	c.InsecureIgnoreCertificateExpiry = true
	c.ClockSkew = 90 * time.Second
	key := newKeyPair(t, "sp", time.Now(), time.Now().Add(time.Hour)).key
	cache := &saml.MemoryReplayCache{}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sp := ServiceProvider{EntityID: "https://sp.example.com", ACSURLs: []string{"https://sp/acs"},
		DecryptionKeys: []*rsa.PrivateKey{key}, MaxResponseSize: 1234, Now: fixedClock(now),
		ReplayCache: cache}

	vc, err := c.VerifierConfig(sp)
	require.NoError(t, err)
	assert.Equal(t, "https://sp.example.com", vc.SPEntityID)
	assert.Equal(t, []string{"https://sp/acs"}, vc.ACSURLs)
	assert.Equal(t, c.EntityID, vc.IDPEntityID)
	assert.Equal(t, c.SigningCertificates, vc.IDPCertificates)
	assert.Equal(t, []*rsa.PrivateKey{key}, vc.DecryptionKeys)
	assert.True(t, vc.AllowIDPInitiated)
	assert.True(t, vc.RequireSignedAssertions)
	assert.True(t, vc.InsecureAllowSHA1)
	assert.True(t, vc.InsecureAllowRSA15)
	assert.True(t, vc.InsecureIgnoreCertificateExpiry)
	assert.Equal(t, 90*time.Second, vc.ClockSkew)
	assert.Equal(t, 1234, vc.MaxResponseSize)
	assert.Equal(t, now, vc.Now())
	assert.Same(t, cache, vc.ReplayCache)

	v, err := c.NewVerifier(sp)
	require.NoError(t, err)
	assert.NotNil(t, v)
}

func TestConfigVerifierConfigErrors(t *testing.T) {
	sp := ServiceProvider{EntityID: "https://sp", ACSURLs: []string{"https://sp/acs"}}

	t.Run("sso problems do not block response checking", func(t *testing.T) {
		c := validConfig(t)
		c.SSOURL = "http://idp.example.com/sso"
		c.Name = ""
		_, err := c.VerifierConfig(sp)
		assert.NoError(t, err)
	})
	t.Run("certificate problems do", func(t *testing.T) {
		c := validConfig(t)
		c.SigningCertificates = nil
		_, err := c.VerifierConfig(sp)
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Problems, 1)
		assert.Equal(t, "SigningCertificates", ce.Problems[0].Field)
	})
	t.Run("service provider without acs", func(t *testing.T) {
		_, err := validConfig(t).VerifierConfig(ServiceProvider{EntityID: "https://sp"})
		assert.ErrorContains(t, err, "ACS URL")
	})
}

func TestConfigSSOBindingDefault(t *testing.T) {
	c := validConfig(t)
	assert.Equal(t, saml.BindingHTTPRedirect, c.Binding())
	c.SSOBinding = saml.BindingHTTPPost
	assert.Equal(t, saml.BindingHTTPPost, c.Binding())
}

func TestValidateAll(t *testing.T) {
	a, b, c := *validConfig(t), *validConfig(t), *validConfig(t)
	b.Name, b.EntityID = "partner", "https://partner.example.com"
	require.NoError(t, ValidateAll([]Config{a, b}))
	require.NoError(t, ValidateAll(nil))

	c.Name = "acme"               // same name as a
	b.EntityID = a.EntityID       // same entity as a
	bad := Config{Name: "broken"} // invalid on its own
	err := ValidateAll([]Config{a, b, c, bad})
	require.Error(t, err)

	var problems []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ConfigError
		require.ErrorAs(t, e, &ce)
		for _, p := range ce.Problems {
			problems = append(problems, ce.Name+"/"+p.Field)
		}
	}
	assert.Equal(t, []string{
		"partner/EntityID",
		"acme/Name", "acme/EntityID",
		"broken/EntityID", "broken/SSOURL", "broken/SigningCertificates",
	}, problems)
	assert.Contains(t, err.Error(), `"acme" is also the name of IdP 1`)
}
