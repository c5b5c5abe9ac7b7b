package idp

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/secureshare/secureshare/saml"
)

// Limits on configuration values.
const (
	// MaxClockSkew is the largest [Config.ClockSkew] accepted. Clocks
	// further apart than this need fixing, not tolerating.
	MaxClockSkew = 10 * time.Minute

	maxNameLen     = 100
	maxEntityIDLen = 1024 // SAML 2.0 Metadata, section 2.3.2
	maxAttrNameLen = 512
	maxDelimLen    = 8
)

// Config is one trusted IdP: where to send people to sign in, which keys
// its responses must be signed with, which checks to relax, and how to turn
// its attributes into a [Profile]. Several Configs can live side by side,
// one per IdP, distinguished by Name.
//
// Build a Config by hand, or from metadata with [Config.ApplyMetadata],
// then call [Config.Validate]. The zero value of every field is the safe
// choice; the zero Config as a whole is invalid (it names no IdP).
//
// A Config is a plain value; it is safe for concurrent reads.
type Config struct {
	// Name identifies this IdP among several, for example "acme-okta". It
	// is shown to administrators and recorded on every [Profile]. Required.
	Name string

	// EntityID is the IdP's entity ID, which responses must name as their
	// Issuer (SAML 2.0 Core, section 2.2.5). Required.
	EntityID string
	// SSOURL is the IdP's SingleSignOnService location where AuthnRequests
	// are sent. It must be https, or http on a loopback address. Required.
	SSOURL string
	// SSOBinding is the binding used to send AuthnRequests to SSOURL; zero
	// means [saml.BindingHTTPRedirect].
	SSOBinding saml.Binding
	// SLOURL is the IdP's SingleLogoutService location; empty disables
	// Single Logout with this IdP.
	SLOURL string

	// SigningCertificates are the certificates whose keys may sign this
	// IdP's responses. Several are normal during a key rollover. At least
	// one is required. An expired certificate is a warning here, not an
	// error (see [Config.Warnings]); the saml package refuses signatures
	// made with it unless InsecureIgnoreCertificateExpiry is set.
	SigningCertificates []*x509.Certificate
	// MetadataValidUntil is the validUntil of the metadata that
	// SigningCertificates came from, set by [Config.ApplyMetadata]; zero
	// when it had none or the configuration was typed in. From then on
	// sign-ins with this IdP are refused (saml.CheckMetadataExpired) until
	// fresh metadata is applied.
	MetadataValidUntil time.Time

	// SignAuthnRequests makes the SP sign its AuthnRequests, for IdPs whose
	// metadata says WantAuthnRequestsSigned.
	SignAuthnRequests bool
	// NameIDFormat is the NameID format asked for in the AuthnRequest's
	// NameIDPolicy, such as [saml.NameIDFormatEmailAddress]. Empty sends no
	// NameIDPolicy, leaving the choice to the IdP, which is what most IdPs
	// handle best.
	NameIDFormat string
	// AllowIDPInitiated accepts unsolicited responses (IdP-initiated sign
	// in, SAML 2.0 Profiles, section 4.1.5). They cannot be tied to a
	// request, so they are refused unless this is set.
	AllowIDPInitiated bool
	// RequireSignedAssertions refuses responses in which only the Response,
	// and not the Assertion, is signed.
	RequireSignedAssertions bool

	// InsecureAllowSHA1 accepts RSA-SHA1 signatures and SHA-1 digests from
	// this IdP. SHA-1 collisions are practical; set this only for an IdP
	// that cannot be configured for SHA-256 (older OneLogin and AD FS
	// relying-party trusts), and plan to turn it off.
	InsecureAllowSHA1 bool
	// InsecureAllowRSA15 accepts RSA PKCS#1 v1.5 key transport for
	// encrypted assertions, which is open to padding-oracle attacks. Set it
	// only for an IdP that offers no RSA-OAEP.
	InsecureAllowRSA15 bool
	// InsecureIgnoreCertificateExpiry accepts signatures made with a
	// signing certificate outside its validity period. SAML pins the key,
	// not the certificate, and some IdPs sign for years with an expired
	// self-signed certificate; set this only for such an IdP, after
	// confirming the certificate with its administrator.
	InsecureIgnoreCertificateExpiry bool

	// ClockSkew is the tolerance applied to the assertion's time checks.
	// Zero means the saml package default; at most [MaxClockSkew].
	ClockSkew time.Duration

	// Preset selects the IdP product's default attribute names and quirks;
	// zero means [PresetGeneric].
	Preset Preset
	// Mapping overrides the preset's attribute names. Fields left empty
	// fall back to the preset.
	Mapping AttributeMapping
	// EmailDomains, when not empty, are the only email domains this IdP
	// may vouch for (compared without regard to case, subdomains not
	// included): a partner's IdP then cannot sign people in under another
	// organisation's addresses, which email and domain allow-lists rely
	// on. Empty accepts any domain.
	EmailDomains []string
}

// ServiceProvider is our side of the exchange: what responses from any IdP
// must be addressed to. One ServiceProvider serves every [Config].
type ServiceProvider struct {
	// EntityID is our SP entity ID, the Audience every assertion must
	// name. Required.
	EntityID string
	// ACSURLs are our AssertionConsumerService locations; a Response's
	// Destination and Recipient must be one of them. Required.
	ACSURLs []string
	// DecryptionKeys decrypt EncryptedAssertion and EncryptedID; nil
	// refuses encrypted assertions.
	DecryptionKeys []*rsa.PrivateKey
	// MaxResponseSize bounds the posted response; zero means the saml
	// package default.
	MaxResponseSize int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ReplayCache remembers assertion IDs; nil means a private in-memory
	// cache per Verifier (see [saml.VerifierConfig]), which protects one
	// process only. Share one cache between every instance of the SP.
	ReplayCache saml.ReplayCache
}

// Validate checks the configuration as a whole. It returns nil or a
// *[ConfigError] listing every problem, field by field. It does not check
// certificate expiry (see [Config.Warnings]) or contact the IdP.
func (c *Config) Validate() error {
	v := &validator{}

	v.checkName(c.Name)
	v.checkEntityID("EntityID", c.EntityID)
	v.checkURL("SSOURL", c.SSOURL, true)
	if c.SSOBinding != "" && c.SSOBinding != saml.BindingHTTPRedirect &&
		c.SSOBinding != saml.BindingHTTPPost {
		v.add("SSOBinding", fmt.Sprintf("unsupported binding %q; use HTTP-Redirect or HTTP-POST",
			string(c.SSOBinding)))
	}
	v.checkURL("SLOURL", c.SLOURL, false)
	v.checkCertificates(c.SigningCertificates)
	if c.NameIDFormat != "" && !strings.HasPrefix(c.NameIDFormat, "urn:") {
		v.add("NameIDFormat", fmt.Sprintf("%q is not a NameID format URI "+
			"(urn:oasis:names:tc:SAML:...); leave empty to let the IdP choose", c.NameIDFormat))
	}
	if c.ClockSkew < 0 {
		v.add("ClockSkew", "must not be negative")
	} else if c.ClockSkew > MaxClockSkew {
		v.add("ClockSkew", fmt.Sprintf("%v is more than the %v allowed; fix the clocks instead",
			c.ClockSkew, MaxClockSkew))
	}
	if _, ok := c.Preset.Info(); !ok {
		v.add("Preset", fmt.Sprintf("unknown preset %q", string(c.Preset)))
	}
	c.Mapping.validate(v)
	for _, d := range c.EmailDomains {
		if d == "" || strings.ContainsAny(d, "@ \t\r\n/") || !strings.Contains(d, ".") &&
			!strings.EqualFold(d, "localhost") {
			v.add("EmailDomains", fmt.Sprintf("%q is not a domain such as example.com", d))
		}
	}

	if len(v.problems) == 0 {
		return nil
	}
	return &ConfigError{Name: c.Name, Problems: v.problems}
}

// ValidateAll validates several IdP configurations that will be used side by
// side: each one with [Config.Validate], and across them that no two share a
// Name or an EntityID, since responses are matched to their IdP by Issuer.
// The result joins one *[ConfigError] per configuration with problems, in
// order; nil when all are valid.
func ValidateAll(configs []Config) error {
	var errs []error
	names := map[string]int{}
	ids := map[string]int{}
	for i := range configs {
		c := &configs[i]
		v := &validator{}
		var ce *ConfigError
		if errors.As(c.Validate(), &ce) {
			v.problems = ce.Problems
		}
		if j, dup := seen(names, c.Name, i); dup {
			v.add("Name", fmt.Sprintf("%q is also the name of IdP %d; names must be unique",
				c.Name, j+1))
		}
		if j, dup := seen(ids, c.EntityID, i); dup {
			v.add("EntityID", fmt.Sprintf("%q is also the entity ID of IdP %d (%q); one "+
				"configuration per IdP", c.EntityID, j+1, configs[j].Name))
		}
		if len(v.problems) > 0 {
			errs = append(errs, &ConfigError{Name: c.Name, Problems: v.problems})
		}
	}
	return errors.Join(errs...)
}

// verifierFields are the Config fields a Verifier depends on.
var verifierFields = map[string]bool{"EntityID": true, "SigningCertificates": true,
	"ClockSkew": true}

// VerifierConfig returns the [saml.VerifierConfig] that checks responses
// from this IdP to sp. It validates the fields response checking depends
// on (EntityID, SigningCertificates, ClockSkew) and returns a *[ConfigError]
// for those; problems elsewhere, such as an SSO URL, do not stop responses
// from being checked. It checks sp only for the required fields.
func (c *Config) VerifierConfig(sp ServiceProvider) (saml.VerifierConfig, error) {
	var ce *ConfigError
	if err := c.Validate(); errors.As(err, &ce) {
		var keep []FieldError
		for _, p := range ce.Problems {
			if verifierFields[p.Field] {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			return saml.VerifierConfig{}, &ConfigError{Name: ce.Name, Problems: keep}
		}
	}
	if sp.EntityID == "" || len(sp.ACSURLs) == 0 {
		return saml.VerifierConfig{}, errors.New(
			"idp: service provider needs an entity ID and at least one ACS URL")
	}

	return saml.VerifierConfig{
		SPEntityID:      sp.EntityID,
		ACSURLs:         append([]string(nil), sp.ACSURLs...),
		IDPEntityID:     c.EntityID,
		IDPCertificates: append([]*x509.Certificate(nil), c.SigningCertificates...),

		IDPCertificatesValidUntil: c.MetadataValidUntil,
		DecryptionKeys:            append([]*rsa.PrivateKey(nil), sp.DecryptionKeys...),
		RequireSignedAssertions:   c.RequireSignedAssertions,
		AllowIDPInitiated:         c.AllowIDPInitiated,
		InsecureAllowSHA1:         c.InsecureAllowSHA1,
		InsecureAllowRSA15:        c.InsecureAllowRSA15,

		InsecureIgnoreCertificateExpiry: c.InsecureIgnoreCertificateExpiry,
		ClockSkew:                       c.ClockSkew,
		MaxResponseSize:                 sp.MaxResponseSize,
		Now:                             sp.Now,
		ReplayCache:                     sp.ReplayCache,
	}, nil
}

// NewVerifier is shorthand for [Config.VerifierConfig] followed by
// [saml.NewVerifier].
func (c *Config) NewVerifier(sp ServiceProvider) (*saml.Verifier, error) {
	vc, err := c.VerifierConfig(sp)
	if err != nil {
		return nil, err
	}
	return saml.NewVerifier(vc)
}

// Binding returns the binding to send AuthnRequests with: SSOBinding, or
// [saml.BindingHTTPRedirect] when it is zero.
func (c *Config) Binding() saml.Binding {
	if c.SSOBinding == "" {
		return saml.BindingHTTPRedirect
	}
	return c.SSOBinding
}

// validator collects field problems.
type validator struct {
	problems []FieldError
}

func (v *validator) add(field, msg string) {
	v.problems = append(v.problems, FieldError{Field: field, Msg: msg})
}

func (v *validator) checkName(name string) {
	switch {
	case strings.TrimSpace(name) == "":
		v.add("Name", "required: give this IdP a short name such as \"acme-okta\"")
	case len(name) > maxNameLen:
		v.add("Name", fmt.Sprintf("longer than %d characters", maxNameLen))
	case name != strings.TrimSpace(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.add("Name", "must not start or end with spaces or contain control characters")
	}
}

func (v *validator) checkEntityID(field, id string) {
	switch {
	case id == "":
		v.add(field, "required: copy the IdP's entity ID (Issuer) from its metadata or "+
			"setup page")
	case len(id) > maxEntityIDLen:
		v.add(field, fmt.Sprintf("longer than %d characters", maxEntityIDLen))
	case id != strings.TrimSpace(id) || strings.IndexFunc(id, unicode.IsSpace) >= 0:
		v.add(field, "must not contain spaces")
	case strings.Contains(id, "{tenantid}") || strings.Contains(id, "{tenant"):
		v.add(field, fmt.Sprintf("%q is a template; replace {tenantid} with your "+
			"directory (tenant) ID, as shown in the app's SAML setup page", id))
	}
}

// checkURL requires an absolute https URL, or http on a loopback host.
func (v *validator) checkURL(field, raw string, required bool) {
	if raw == "" {
		if required {
			v.add(field, "required")
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		v.add(field, fmt.Sprintf("%q is not an absolute http(s) URL", raw))
		return
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		v.add(field, fmt.Sprintf("%q must use https (plain http is only allowed for "+
			"loopback addresses)", raw))
	}
	if u.Fragment != "" {
		v.add(field, "must not contain a #fragment")
	}
}

func (v *validator) checkCertificates(certs []*x509.Certificate) {
	if len(certs) == 0 {
		v.add("SigningCertificates", "at least one IdP signing certificate is required; "+
			"import the IdP metadata or paste the certificate")
		return
	}
	for i, c := range certs {
		if c == nil {
			v.add("SigningCertificates", fmt.Sprintf("certificate %d is missing", i+1))
			continue
		}
		switch c.PublicKey.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			if why := saml.WeakKey(c); why != "" {
				v.add("SigningCertificates", fmt.Sprintf("certificate %d (%s) %s", i+1,
					c.Subject.CommonName, why))
			}
		default:
			v.add("SigningCertificates", fmt.Sprintf("certificate %d (%s) has a %T key; "+
				"only RSA and ECDSA are supported", i+1, c.Subject.CommonName, c.PublicKey))
		}
	}
}

// seen records key at i unless it is present, and reports the first index
// of a non-empty key that was seen before.
func seen(m map[string]int, key string, i int) (int, bool) {
	if j, ok := m[key]; ok {
		return j, key != ""
	}
	m[key] = i
	return 0, false
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
