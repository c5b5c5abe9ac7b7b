package idp

import (
	"crypto/x509"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

func reportAssertion() *saml.Assertion {
	return &saml.Assertion{
		Issuer: "https://idp.example.com",
		Subject: saml.NameID{Value: "alice@example.com",
			Format: saml.NameIDFormatEmailAddress},
		SessionIndex:       "_s1",
		SignatureAlgorithm: saml.AlgRSASHA256,
		ResponseSigned:     true,
		AssertionSigned:    true,
		Attributes: []saml.Attribute{
			uriAttr(oidMail, "mail", "alice@example.com"),
			attr("firstName", "Alice"),
			attr("groups", "partners", "<script>alert(1)</script>"),
			attr("uid", "alice"),
			attr("groups", "second-groups-attribute"),
		},
	}
}

func TestReport(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := &Config{Name: "acme", Preset: PresetGeneric}
	r := c.Report(reportAssertion(), ReportOptions{Now: now})

	require.True(t, r.OK)
	assert.Empty(t, r.Errors)
	assert.Equal(t, "alice@example.com", r.Profile.Email)
	require.Len(t, r.Attributes, 5)
	assert.Equal(t, []string{FieldEmail}, r.Attributes[0].Fills)
	assert.Equal(t, []string{FieldFirstName}, r.Attributes[1].Fills)
	assert.Equal(t, []string{FieldGroups}, r.Attributes[2].Fills)
	assert.Empty(t, r.Attributes[3].Fills)
	assert.Equal(t, []string{FieldGroups}, r.Attributes[4].Fills,
		"the second groups attribute is merged into the groups")

	byField := map[string]ReportField{}
	for _, f := range r.Fields {
		byField[f.Field] = f
	}
	assert.Equal(t, oidMail, byField[FieldEmail].Source)
	assert.Equal(t, "firstName", byField[FieldFirstName].Source)
	assert.Empty(t, byField[FieldLastName].Values)
	assert.NotEmpty(t, byField[FieldLastName].LookedFor)
	require.Len(t, r.Missing, 2)
	assert.Contains(t, r.Missing[0], "last_name: no attribute named")
	assert.Contains(t, r.Missing[1], "display_name")
	assert.Empty(t, r.Warnings)
}

func TestReportWarnings(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	expiring := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(5*24*time.Hour)).cert
	tests := []struct {
		name       string
		cfg        Config
		edit       func(a *saml.Assertion)
		opts       ReportOptions
		wantWarn   []string
		wantMiss   []string
		wantErrors []string
	}{
		{name: "no groups with group rules is a warning",
			edit: func(a *saml.Assertion) { a.Attributes = a.Attributes[:2] },
			opts: ReportOptions{GroupRulesInUse: true},
			wantWarn: []string{"groups: no attribute named",
				"links restricted to groups will refuse everyone"}},
		{name: "no groups without group rules is only missing",
			edit:     func(a *saml.Assertion) { a.Attributes = a.Attributes[:2] },
			wantMiss: []string{"groups: no attribute named"}},
		{name: "an empty group attribute is said to be empty, not absent",
			edit: func(a *saml.Assertion) {
				a.Attributes = append(a.Attributes[:2], attr("memberOf", ""))
			},
			wantMiss: []string{`groups: attribute "memberOf" arrived without a value`}},
		{name: "a field the preset maps to nothing says so", cfg: Config{Preset: PresetGoogle},
			wantMiss: []string{"display_name: no attribute is mapped to it"}},
		{name: "google explains how to send groups", cfg: Config{Preset: PresetGoogle},
			edit:     func(a *saml.Assertion) { a.Attributes = a.Attributes[:2] },
			wantMiss: []string{"group membership mapping"}},
		{name: "google email from nameid is normal, not a warning", cfg: Config{Preset: PresetGoogle},
			edit: func(a *saml.Assertion) { a.Attributes = a.Attributes[1:] }},
		{name: "overage", edit: func(a *saml.Assertion) {
			a.Attributes = append(a.Attributes[:2], attr(ClaimGroupsOverage, "https://graph"))
		}, opts: ReportOptions{GroupRulesInUse: true}, wantWarn: []string{"overage"}},
		{name: "email from nameid", edit: func(a *saml.Assertion) {
			a.Attributes = a.Attributes[1:]
		}, wantWarn: []string{"email taken from the NameID"}},
		{name: "sha1 signature", edit: func(a *saml.Assertion) {
			a.SignatureAlgorithm = saml.AlgRSASHA1
		}, wantWarn: []string{"RSA-SHA1"}},
		{name: "certificate expiring",
			cfg:      Config{SigningCertificates: []*x509.Certificate{expiring}},
			wantWarn: []string{"expires on 2026-06-06"}},
		{name: "no email is an error", edit: func(a *saml.Assertion) {
			a.Subject.Format = saml.NameIDFormatPersistent
			a.Attributes = a.Attributes[1:]
		}, wantErrors: []string{"no email address", `"firstName"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := reportAssertion()
			if tt.edit != nil {
				tt.edit(a)
			}
			cfg := tt.cfg
			tt.opts.Now = now
			r := cfg.Report(a, tt.opts)

			all := func(ws []Warning) string {
				var s []string
				for _, w := range ws {
					s = append(s, w.String())
				}
				return strings.Join(s, "\n")
			}
			for _, w := range tt.wantWarn {
				assert.Contains(t, all(r.Warnings), w)
			}
			if tt.wantWarn == nil {
				assert.Empty(t, r.Warnings)
			}
			for _, m := range tt.wantMiss {
				assert.Contains(t, strings.Join(r.Missing, "\n"), m)
			}
			assert.Equal(t, tt.wantErrors == nil, r.OK)
			for _, e := range tt.wantErrors {
				assert.Contains(t, strings.Join(r.Errors, "\n"), e)
			}
		})
	}
}

func TestReportText(t *testing.T) {
	c := &Config{Name: "acme"}
	text := c.Report(reportAssertion(), ReportOptions{Now: time.Now()}).Text()
	for _, want := range []string{
		`Test configuration for IdP "acme" (preset generic): OK`,
		"NameID:        alice@example.com (urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress)",
		"SessionIndex:  _s1",
		"Signed:        Response and Assertion (" + saml.AlgRSASHA256 + ")",
		"Attributes (5):",
		"  " + oidMail + " (mail) -> email\n    = \"alice@example.com\"",
		"  email:        alice@example.com  [from " + oidMail + "]",
		"  last_name:    (missing)",
		"Missing:\n  - last_name",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "Errors:")

	failed := (&Config{Name: "acme"}).Report(&saml.Assertion{}, ReportOptions{Now: time.Now()})
	assert.Contains(t, failed.Text(), "FAILED: sign-in would be refused")
	assert.Contains(t, failed.Text(), "Errors:\n  - idp: email: no email address")
}

func TestReportHTMLEscapes(t *testing.T) {
	r := (&Config{Name: `acme"><b>`}).Report(reportAssertion(), ReportOptions{Now: time.Now()})
	h, err := r.HTML()
	require.NoError(t, err)
	s := string(h)
	assert.True(t, strings.HasPrefix(s, `<section class="ss-report">`))
	assert.NotContains(t, s, "<script>")
	assert.Contains(t, s, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.NotContains(t, s, `acme"><b>`)
	assert.Contains(t, s, "<td>firstName</td>")
	assert.Contains(t, s, `<strong class="ss-ok">OK</strong>`)
}

func TestReportJSON(t *testing.T) {
	r := (&Config{Name: "acme", Preset: PresetOkta}).Report(reportAssertion(),
		ReportOptions{Now: time.Now()})
	data, err := json.Marshal(r)
	require.NoError(t, err)

	var got struct {
		IDP        string              `json:"idp"`
		Preset     string              `json:"preset"`
		OK         bool                `json:"ok"`
		NameID     string              `json:"name_id"`
		Attributes map[string][]string `json:"attributes"`
		Details    []struct {
			Name         string   `json:"name"`
			FriendlyName string   `json:"friendly_name"`
			Fills        []string `json:"fills"`
		} `json:"attribute_details"`
		Profile struct {
			Email  string   `json:"email"`
			Groups []string `json:"groups"`
		} `json:"profile"`
		Missing []string `json:"missing"`
		Errors  []string `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, "acme", got.IDP)
	assert.Equal(t, "okta", got.Preset)
	assert.True(t, got.OK)
	assert.Equal(t, "alice@example.com", got.NameID)
	assert.Equal(t, []string{"partners", "<script>alert(1)</script>", "second-groups-attribute"},
		got.Attributes["groups"], "values of same-named attributes are merged")
	assert.Equal(t, []string{"alice"}, got.Attributes["uid"])
	require.Len(t, got.Details, 5)
	assert.Equal(t, "mail", got.Details[0].FriendlyName)
	assert.Equal(t, []string{}, got.Details[0].Fills, "okta does not send mail")
	assert.Equal(t, []string{"first_name"}, got.Details[1].Fills)
	assert.Equal(t, "alice@example.com", got.Profile.Email)
	assert.Equal(t, []string{"partners", "<script>alert(1)</script>", "second-groups-attribute"},
		got.Profile.Groups, "the profile merges same-named group attributes too")
	assert.NotNil(t, got.Errors)
	assert.Contains(t, string(data), `"errors":[]`)
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestReportGolden pins the three renderings of one report. Run with
// -update to rewrite them after an intended change.
func TestReportGolden(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := &Config{Name: "acme", Preset: PresetShibboleth, Mapping: AttributeMapping{LastName: "sn"},
		SigningCertificates: []*x509.Certificate{
			newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(72*time.Hour)).cert}}
	r := c.Report(reportAssertion(), ReportOptions{Now: now, GroupRulesInUse: true})
	h, err := r.HTML()
	require.NoError(t, err)
	j, err := json.MarshalIndent(r, "", "  ")
	require.NoError(t, err)

	for _, g := range []struct {
		file string
		got  []byte
	}{
		{"report.golden.txt", []byte(r.Text())},
		{"report.golden.html", []byte(h)},
		{"report.golden.json", append(j, '\n')},
	} {
		t.Run(g.file, func(t *testing.T) {
			path := filepath.Join("testdata", g.file)
			if *update {
				require.NoError(t, os.WriteFile(path, g.got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(g.got))
		})
	}
}

// TestReportTextIsLineSafe: attribute values come from the IdP, and users
// can often edit their own first name there. A value with a line break must
// not add lines that look like report fields (a fake "email:" line) to what
// the admin reads, so such values are printed quoted.
func TestReportTextIsLineSafe(t *testing.T) {
	c := &Config{Name: "review"}
	a := mappedAssertion("alice@example.com", saml.NameIDFormatEmailAddress,
		attr("email", "alice@example.com"),
		attr("firstName", "Eve\n  email:        ceo@corp.example  [from email]"))
	r := c.Report(a, ReportOptions{Now: time.Now()})
	require.True(t, r.OK, r.Errors)

	text := r.Text()
	var emailLines int
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "email:") {
			emailLines++
		}
	}
	assert.Equal(t, 1, emailLines, "the text report has a forged line:\n%s", text)
}

// TestReportJSONContract checks the JSON keys the check-response contract
// promises and that attribute values stay lists.
func TestReportJSONContract(t *testing.T) {
	c := &Config{Name: "review"}
	a := mappedAssertion("alice@example.com", saml.NameIDFormatEmailAddress,
		attr("email", "alice@example.com"), attr("groups", "a", "b"), attr("empty"))
	out, err := json.Marshal(c.Report(a, ReportOptions{Now: time.Now()}))
	require.NoError(t, err)

	var got map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &got))
	for _, k := range []string{"name_id", "attributes", "profile"} {
		assert.Contains(t, got, k)
	}
	var attrs map[string][]string
	require.NoError(t, json.Unmarshal(got["attributes"], &attrs))
	assert.Equal(t, []string{"a", "b"}, attrs["groups"])
	assert.NotNil(t, attrs["empty"], "an attribute without values is [] not null")
	assert.Contains(t, string(got["attributes"]), `"empty":[]`)
}

// TestReportHTMLEscapesIdPData: attribute names and values are IdP data and
// must be escaped in the HTML fragment.
func TestReportHTMLEscapesIdPData(t *testing.T) {
	c := &Config{Name: "review"}
	a := mappedAssertion(`"><img src=x onerror=alert(1)>@example.com`,
		"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
		attr("email", "alice@example.com"),
		attr(`<script>alert(1)</script>`, `<b onmouseover="x">`),
		attr("firstName", `</td><script>alert(2)</script>`))
	html, err := c.Report(a, ReportOptions{Now: time.Now()}).HTML()
	require.NoError(t, err)
	s := string(html)
	for _, bad := range []string{"<script", "<img", "<b ", "onmouseover=\""} {
		assert.NotContains(t, s, bad)
	}
	assert.Contains(t, s, "&lt;script&gt;")
}

func TestTextSafe(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "Alice Smith", want: "Alice Smith"},
		{name: "accents and CJK kept", in: "Zoë 山田", want: "Zoë 山田"},
		{name: "line feed", in: "a\nb", want: `"a\nb"`},
		{name: "carriage return", in: "a\rb", want: `"a\rb"`},
		{name: "terminal escape", in: "a\x1b[2Jb", want: `"a\x1b[2Jb"`},
		{name: "line separator", in: "a\u2028b", want: `"a\u2028b"`},
		{name: "bidi override", in: "a\u202eb", want: `"a\u202eb"`},
		{name: "invalid UTF-8", in: "a\xffb", want: `"a\xffb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, textSafe(tt.in))
		})
	}
}

// TestReportTextQuotesEveryIdPValue: the NameID, attribute names and the
// Issuer are line-safe too, not only profile values.
func TestReportTextQuotesEveryIdPValue(t *testing.T) {
	a := &saml.Assertion{Issuer: "https://idp.example.com\nNameID: forged",
		Subject: saml.NameID{Value: "alice@example.com\nSigned: forged",
			Format: "urn:x\nforged"}, SessionIndex: "s\nforged",
		Attributes: []saml.Attribute{attr("email", "alice@example.com"),
			{Name: "x\nforged", FriendlyName: "y\nforged", Values: []string{"v\nforged"}}}}
	text := (&Config{Name: "safe"}).Report(a, ReportOptions{Now: time.Now()}).Text()
	counts := map[string]int{}
	for _, l := range strings.Split(text, "\n") {
		assert.False(t, strings.HasPrefix(strings.TrimSpace(l), "forged"), "line %q", l)
		counts[strings.SplitN(l, ":", 2)[0]]++
	}
	assert.Equal(t, 1, counts["NameID"], text)
	assert.Equal(t, 1, counts["Signed"], text)
	assert.Contains(t, text, `"alice@example.com\nSigned: forged"`)
}
