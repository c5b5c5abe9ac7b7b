package idp

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

// fullConfig returns a Config with every field, the mapping's too, set
// to a value other than zero.
func fullConfig(t *testing.T) Config {
	t.Helper()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return Config{
		Name:       "acme-okta",
		EntityID:   "http://www.okta.com/exk1",
		SSOURL:     "https://acme.okta.com/app/acme/exk1/sso/saml",
		SSOBinding: saml.BindingHTTPPost,
		SLOURL:     "https://acme.okta.com/app/acme/exk1/slo/saml",
		SigningCertificates: []*x509.Certificate{
			newECDSACert(t, "old", from, from.AddDate(1, 0, 0)),
			newKeyPair(t, "new", from, from.AddDate(2, 0, 0)).cert,
		},
		MetadataValidUntil:              from.Add(36*time.Hour + time.Nanosecond),
		SignAuthnRequests:               true,
		NameIDFormat:                    saml.NameIDFormatEmailAddress,
		AllowIDPInitiated:               true,
		RequireSignedAssertions:         true,
		InsecureAllowSHA1:               true,
		InsecureAllowRSA15:              true,
		InsecureIgnoreCertificateExpiry: true,
		ClockSkew:                       2*time.Minute + time.Nanosecond,
		Preset:                          PresetOkta,
		Mapping: AttributeMapping{
			Email:                 "mail",
			FirstName:             "givenName",
			LastName:              "sn",
			DisplayName:           "displayName",
			Groups:                "memberOf",
			GroupsDelimiter:       ";",
			GroupsCaseInsensitive: true,
		},
		EmailDomains: []string{"acme.example", "acme-labs.example"},
	}
}

// requireNoZeroField fails t when a field of v, a struct, is zero, so that
// a field added to Config must be added to fullConfig, and then to the
// encoding, or the round trip fails.
func requireNoZeroField(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		require.False(t, rv.Field(i).IsZero(), "fullConfig leaves %s.%s zero; set it, and "+
			"encode it in configJSON", rv.Type().Name(), rv.Type().Field(i).Name)
	}
}

// assertSameConfig compares two Configs, certificates by their DER bytes.
func assertSameConfig(t *testing.T, want, got Config) {
	t.Helper()
	require.Len(t, got.SigningCertificates, len(want.SigningCertificates))
	for i := range want.SigningCertificates {
		assert.Equal(t, want.SigningCertificates[i].Raw, got.SigningCertificates[i].Raw,
			"certificate %d", i+1)
	}
	assert.Equal(t, want.SigningCertificates == nil, got.SigningCertificates == nil,
		"nil certificate list")
	want.SigningCertificates, got.SigningCertificates = nil, nil
	assert.Equal(t, want, got)
}

func TestConfigJSONRoundTrip(t *testing.T) {
	full := fullConfig(t)
	requireNoZeroField(t, full)
	requireNoZeroField(t, full.Mapping)

	tests := []struct {
		name string
		cfg  Config
	}{
		{"every field set", full},
		{"zero config", Config{}},
		{"empty lists stay empty", Config{Name: "x", SigningCertificates: []*x509.Certificate{},
			EmailDomains: []string{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.cfg)
			require.NoError(t, err)

			var got Config
			require.NoError(t, json.Unmarshal(data, &got))
			assertSameConfig(t, tc.cfg, got)
			again, err := json.Marshal(got)
			require.NoError(t, err)
			assert.JSONEq(t, string(data), string(again), "encoding is not stable")
		})
	}
}

func TestConfigJSONCoversEveryField(t *testing.T) {
	pairs := []struct{ domain, stored reflect.Type }{
		{reflect.TypeFor[Config](), reflect.TypeFor[configJSON]()},
		{reflect.TypeFor[AttributeMapping](), reflect.TypeFor[mappingJSON]()},
	}
	for _, p := range pairs {
		assert.Equal(t, p.domain.NumField(), p.stored.NumField(),
			"%s and %s have different field counts: encode the new field", p.domain, p.stored)
	}

	data, err := json.Marshal(fullConfig(t))
	require.NoError(t, err)
	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &keys))
	assert.Len(t, keys, reflect.TypeFor[Config]().NumField(), "keys in %s", data)
	for k := range keys {
		assert.Equal(t, strings.ToLower(k), k, "key %q is not snake_case", k)
	}
}

func TestConfigJSONForm(t *testing.T) {
	cfg := fullConfig(t)
	data, err := json.Marshal(cfg)
	require.NoError(t, err)

	var got struct {
		Certs  []string        `json:"signing_certificates"`
		Skew   int64           `json:"clock_skew_ns"`
		Preset string          `json:"preset"`
		Bind   string          `json:"sso_binding"`
		Map    json.RawMessage `json:"mapping"`
		Until  string          `json:"metadata_valid_until"`
	}
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, "2026-01-02T12:00:00.000000001Z", got.Until, "times are RFC 3339 in UTC")
	assert.Equal(t, base64.StdEncoding.EncodeToString(cfg.SigningCertificates[0].Raw),
		got.Certs[0], "certificates are standard base64 of DER")
	assert.Equal(t, int64(cfg.ClockSkew), got.Skew, "durations are nanoseconds")
	assert.Equal(t, "okta", got.Preset)
	assert.Equal(t, string(saml.BindingHTTPPost), got.Bind)
	assert.JSONEq(t, `{"email": "mail", "first_name": "givenName", "last_name": "sn",
		"display_name": "displayName", "groups": "memberOf", "groups_delimiter": ";",
		"groups_case_insensitive": true}`, string(got.Map))
}

func TestConfigJSONIgnoresUnknownKeys(t *testing.T) {
	data := `{"name": "acme", "entity_id": "urn:acme", "added_in_a_later_release": {"x": 1},
		"mapping": {"email": "mail", "also_new": true}}`

	var got Config
	require.NoError(t, json.Unmarshal([]byte(data), &got))
	assert.Equal(t, Config{Name: "acme", EntityID: "urn:acme",
		Mapping: AttributeMapping{Email: "mail"}}, got)
}

func TestConfigJSONNullLeavesConfig(t *testing.T) {
	got := Config{Name: "kept"}
	require.NoError(t, json.Unmarshal([]byte("null"), &got))
	assert.Equal(t, "kept", got.Name)
}

func TestConfigJSONRefusesBadCertificates(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(fullConfig(t).SigningCertificates[0].Raw)
	tests := []struct {
		name  string
		certs string
		want  []string
	}{
		{"not base64", `["` + good + `", "not base64!"]`,
			[]string{"signing certificate 2", "not base64"}},
		{"url-safe base64", `["` + strings.NewReplacer("+", "-", "/", "_").Replace(good) +
			`-_"]`, []string{"signing certificate 1", "not base64"}},
		{"not DER", `["` + base64.StdEncoding.EncodeToString([]byte("hello")) + `"]`,
			[]string{"signing certificate 1", "not a DER certificate"}},
		{"empty", `["` + good + `", "` + good + `", ""]`,
			[]string{"signing certificate 3", "not a DER certificate"}},
		{"PEM instead of base64", `["-----BEGIN CERTIFICATE-----\n` + good + `"]`,
			[]string{"signing certificate 1", "not base64"}},
		{"not a string", `[42]`, []string{"idp: decoding configuration"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := Config{Name: "before"}
			got := before
			err := json.Unmarshal([]byte(`{"name": "acme", "signing_certificates": `+
				tc.certs+`}`), &got)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, before, got, "a refused decode changed the Config")
		})
	}
}

// A configuration without metadata_valid_until (written before it
// existed, or typed in) decodes with no limit; a malformed one is refused.
func TestConfigJSONMetadataValidUntil(t *testing.T) {
	var got Config
	require.NoError(t, json.Unmarshal([]byte(`{"name": "acme"}`), &got))
	assert.True(t, got.MetadataValidUntil.IsZero())
	require.NoError(t, json.Unmarshal([]byte(`{"name": "acme", "metadata_valid_until": ""}`), &got))
	assert.True(t, got.MetadataValidUntil.IsZero())

	zone := time.FixedZone("UTC+2", 2*3600)
	in := Config{Name: "acme", MetadataValidUntil: time.Date(2027, 3, 1, 14, 0, 0, 0, zone)}
	data, err := json.Marshal(in)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"metadata_valid_until":"2027-03-01T12:00:00Z"`)
	require.NoError(t, json.Unmarshal(data, &got))
	assert.True(t, in.MetadataValidUntil.Equal(got.MetadataValidUntil))

	before := Config{Name: "before"}
	got = before
	err = json.Unmarshal([]byte(`{"name": "acme", "metadata_valid_until": "next tuesday"}`), &got)
	require.ErrorContains(t, err, `metadata_valid_until: not an RFC 3339 time: "next tuesday"`)
	assert.Equal(t, before, got)
}

func TestConfigJSONRefusesNilCertificate(t *testing.T) {
	cfg := fullConfig(t)
	cfg.SigningCertificates = append(cfg.SigningCertificates, nil)

	_, err := json.Marshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"acme-okta": signing certificate 3 is missing`)
}
