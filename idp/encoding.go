package idp

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/secureshare/secureshare/saml"
)

// MarshalJSON encodes c in the stable form stores keep, one key per field
// in snake_case, every key always present:
//
//	{"name": "acme-okta", "entity_id": "http://www.okta.com/exk1",
//	 "sso_url": "https://acme.okta.com/app/...", "sso_binding": "",
//	 "signing_certificates": ["MIIDpDCCAoygAwIBAgIGAV..."],
//	 "clock_skew_ns": 120000000000, "preset": "okta",
//	 "mapping": {"email": "", "groups": "groups", ...}, ...}
//
// Signing certificates are their DER bytes in standard base64 (with
// padding, as in PEM but without line breaks); ClockSkew is an integer
// count of nanoseconds; MetadataValidUntil is an RFC 3339 time in UTC, or ""
// when zero; SSOBinding and Preset are their string values; the
// [AttributeMapping] is a nested object. Nil and empty lists are kept
// apart (null and []). A nil certificate is an error.
//
// Keys are only ever added, never renamed or reused, so that a newer
// release reads what an older one wrote and, since [Config.UnmarshalJSON]
// ignores keys it does not know, an older release reads what a newer one
// wrote, minus the new fields.
func (c Config) MarshalJSON() ([]byte, error) {
	var certs []string
	if c.SigningCertificates != nil {
		certs = make([]string, len(c.SigningCertificates))
	}
	for i, cert := range c.SigningCertificates {
		if cert == nil {
			return nil, fmt.Errorf("idp: encoding configuration %q: signing certificate %d "+
				"is missing", c.Name, i+1)
		}
		certs[i] = base64.StdEncoding.EncodeToString(cert.Raw)
	}

	return json.Marshal(configJSON{
		Name:                            c.Name,
		EntityID:                        c.EntityID,
		SSOURL:                          c.SSOURL,
		SSOBinding:                      string(c.SSOBinding),
		SLOURL:                          c.SLOURL,
		SigningCertificates:             certs,
		MetadataValidUntil:              encodeTime(c.MetadataValidUntil),
		SignAuthnRequests:               c.SignAuthnRequests,
		NameIDFormat:                    c.NameIDFormat,
		AllowIDPInitiated:               c.AllowIDPInitiated,
		RequireSignedAssertions:         c.RequireSignedAssertions,
		InsecureAllowSHA1:               c.InsecureAllowSHA1,
		InsecureAllowRSA15:              c.InsecureAllowRSA15,
		InsecureIgnoreCertificateExpiry: c.InsecureIgnoreCertificateExpiry,
		ClockSkewNanos:                  int64(c.ClockSkew),
		Preset:                          string(c.Preset),
		Mapping:                         mappingJSON(c.Mapping),
		EmailDomains:                    c.EmailDomains,
	})
}

// UnmarshalJSON decodes the form [Config.MarshalJSON] writes, replacing
// every field of c. Keys it does not know are ignored and missing keys
// leave their field zero. A signing certificate that is not standard
// base64 or not a DER X.509 certificate is an error naming it by position,
// counting from 1; c is left unchanged then. JSON null leaves c unchanged,
// as encoding/json does for other types. Nothing else is validated: call
// [Config.Validate] on the result.
func (c *Config) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var j configJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("idp: decoding configuration: %w", err)
	}

	var certs []*x509.Certificate
	if j.SigningCertificates != nil {
		certs = make([]*x509.Certificate, len(j.SigningCertificates))
	}
	for i, s := range j.SigningCertificates {
		cert, err := decodeCertificate(s)
		if err != nil {
			return fmt.Errorf("idp: decoding configuration: signing certificate %d: %w",
				i+1, err)
		}
		certs[i] = cert
	}

	validUntil, err := decodeTime(j.MetadataValidUntil)
	if err != nil {
		return fmt.Errorf("idp: decoding configuration: metadata_valid_until: %w", err)
	}

	*c = Config{
		Name:                            j.Name,
		EntityID:                        j.EntityID,
		SSOURL:                          j.SSOURL,
		SSOBinding:                      saml.Binding(j.SSOBinding),
		SLOURL:                          j.SLOURL,
		SigningCertificates:             certs,
		MetadataValidUntil:              validUntil,
		SignAuthnRequests:               j.SignAuthnRequests,
		NameIDFormat:                    j.NameIDFormat,
		AllowIDPInitiated:               j.AllowIDPInitiated,
		RequireSignedAssertions:         j.RequireSignedAssertions,
		InsecureAllowSHA1:               j.InsecureAllowSHA1,
		InsecureAllowRSA15:              j.InsecureAllowRSA15,
		InsecureIgnoreCertificateExpiry: j.InsecureIgnoreCertificateExpiry,
		ClockSkew:                       time.Duration(j.ClockSkewNanos),
		Preset:                          Preset(j.Preset),
		Mapping:                         AttributeMapping(j.Mapping),
		EmailDomains:                    j.EmailDomains,
	}
	return nil
}

// configJSON is the stored form of a Config. It has one field per Config
// field; a test holds the two in step.
type configJSON struct {
	Name                            string      `json:"name"`
	EntityID                        string      `json:"entity_id"`
	SSOURL                          string      `json:"sso_url"`
	SSOBinding                      string      `json:"sso_binding"`
	SLOURL                          string      `json:"slo_url"`
	SigningCertificates             []string    `json:"signing_certificates"`
	MetadataValidUntil              string      `json:"metadata_valid_until"`
	SignAuthnRequests               bool        `json:"sign_authn_requests"`
	NameIDFormat                    string      `json:"name_id_format"`
	AllowIDPInitiated               bool        `json:"allow_idp_initiated"`
	RequireSignedAssertions         bool        `json:"require_signed_assertions"`
	InsecureAllowSHA1               bool        `json:"insecure_allow_sha1"`
	InsecureAllowRSA15              bool        `json:"insecure_allow_rsa15"`
	InsecureIgnoreCertificateExpiry bool        `json:"insecure_ignore_certificate_expiry"`
	ClockSkewNanos                  int64       `json:"clock_skew_ns"`
	Preset                          string      `json:"preset"`
	Mapping                         mappingJSON `json:"mapping"`
	EmailDomains                    []string    `json:"email_domains"`
}

// mappingJSON is the stored form of an AttributeMapping. Its fields match
// AttributeMapping's one for one, in order, so that the two convert
// directly; the compiler holds them in step.
type mappingJSON struct {
	Email                 string `json:"email"`
	FirstName             string `json:"first_name"`
	LastName              string `json:"last_name"`
	DisplayName           string `json:"display_name"`
	Groups                string `json:"groups"`
	GroupsDelimiter       string `json:"groups_delimiter"`
	GroupsCaseInsensitive bool   `json:"groups_case_insensitive"`
}

// encodeTime writes t in RFC 3339 with nanoseconds, UTC; the zero time
// is "".
func encodeTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// decodeTime reads what encodeTime writes.
func decodeTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not an RFC 3339 time: %q", s)
	}
	return t.UTC(), nil
}

// decodeCertificate parses one certificate of the stored form.
func decodeCertificate(s string) (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("not a DER certificate: %w", err)
	}
	return cert, nil
}
