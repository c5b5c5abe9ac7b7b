package idp

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secureshare/secureshare/saml"
)

// Report is the Test Configuration result: everything an IdP sent in one
// verified assertion, which [Profile] field each attribute filled, what is
// missing and what to look at. Build one with [Config.Report] after a test
// sign-in; render it with [Report.Text], [Report.HTML] or as JSON.
//
// A Report holds attribute values, which are personal data: show it to the
// administrator who signed in, and do not log it.
type Report struct {
	// IDP is the configuration's Name and Preset its preset.
	IDP    string
	Preset Preset
	// OK is true when a Profile could be mapped. When false, Errors says
	// why and Profile holds what could be mapped.
	OK bool
	// Profile is the mapped profile.
	Profile Profile

	// Issuer, NameID and SessionIndex come from the assertion.
	Issuer       string
	NameID       saml.NameID
	SessionIndex string
	// SignatureAlgorithm, ResponseSigned, AssertionSigned and Encrypted
	// say how the assertion was protected.
	SignatureAlgorithm string
	ResponseSigned     bool
	AssertionSigned    bool
	Encrypted          bool
	// NotOnOrAfter is the assertion's expiry; zero when it had none.
	NotOnOrAfter time.Time

	// Attributes lists every attribute, in the order received.
	Attributes []ReportAttribute
	// Fields lists each profile field: its value and where it came from.
	Fields []ReportField
	// Missing describes optional profile fields no attribute filled.
	Missing []string
	// Warnings lists things to look at that do not stop sign-in.
	Warnings []Warning
	// Errors lists what stops sign-in; empty when OK.
	Errors []string
}

// ReportAttribute is one attribute as received, with the profile fields it
// filled.
type ReportAttribute struct {
	Name         string
	NameFormat   string
	FriendlyName string
	Values       []string
	// Fills names the profile fields ([FieldEmail], [FieldGroups], ...)
	// this attribute filled; empty when unused.
	Fills []string
}

// ReportField is one profile field in a report.
type ReportField struct {
	// Field is the profile field, such as [FieldEmail].
	Field string
	// Values is the mapped value (several for groups); empty when missing.
	Values []string
	// Source is the attribute name that filled it, or "NameID".
	Source string
	// LookedFor lists the attribute names that were tried.
	LookedFor []string
}

// ReportOptions adjust [Config.Report].
type ReportOptions struct {
	// Now is the time for certificate expiry warnings; zero means
	// time.Now.
	Now time.Time
	// GroupRulesInUse turns a missing group attribute from a note into a
	// warning, because links restricted to groups will refuse everyone
	// from this IdP.
	GroupRulesInUse bool
}

// Report maps a (verified) assertion like [Config.Map] and describes the
// outcome for an administrator. It never fails: mapping errors end up in
// Report.Errors.
func (c *Config) Report(a *saml.Assertion, opts ReportOptions) *Report {
	if a == nil {
		a = &saml.Assertion{}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p, m, err := c.mapAssertion(a)
	r := &Report{
		IDP: c.Name, Preset: c.Preset, OK: err == nil, Profile: p,
		Issuer: a.Issuer, NameID: a.Subject, SessionIndex: a.SessionIndex,
		SignatureAlgorithm: a.SignatureAlgorithm, ResponseSigned: a.ResponseSigned,
		AssertionSigned: a.AssertionSigned, Encrypted: a.Encrypted,
		NotOnOrAfter: a.NotOnOrAfter,
	}
	if err != nil {
		r.Errors = append(r.Errors, err.Error())
	}

	for i, at := range a.Attributes {
		r.Attributes = append(r.Attributes, ReportAttribute{Name: at.Name,
			NameFormat: at.NameFormat, FriendlyName: at.FriendlyName,
			Values: append([]string(nil), at.Values...), Fills: m.filled[i]})
	}
	r.addFields(a, p, m)
	r.addWarnings(c, a, p, m, opts.GroupRulesInUse)
	r.Warnings = append(r.Warnings, c.Warnings(now)...)
	return r
}

// addFields fills Fields and Missing.
func (r *Report) addFields(a *saml.Assertion, p Profile, m *mapping) {
	source := func(field string) string {
		if field == FieldEmail && m.emailFrom == "name_id" {
			return "NameID"
		}
		for i, fs := range m.filled {
			for _, f := range fs {
				if f == field {
					return a.Attributes[i].Name
				}
			}
		}
		return ""
	}
	for _, f := range []struct {
		field  string
		values []string
	}{
		{FieldEmail, nonEmpty(p.Email)},
		{FieldFirstName, nonEmpty(p.FirstName)},
		{FieldLastName, nonEmpty(p.LastName)},
		{FieldDisplayName, nonEmpty(p.DisplayName)},
		{FieldGroups, p.Groups},
	} {
		r.Fields = append(r.Fields, ReportField{Field: f.field, Values: f.values,
			Source: source(f.field), LookedFor: m.tried[f.field]})
		if len(f.values) == 0 && f.field != FieldEmail && f.field != FieldGroups {
			r.Missing = append(r.Missing, f.field+": "+notFound(a, m.tried[f.field]))
		}
	}
}

// notFound says why no value was found under names: none of them is
// mapped, or one arrived without a value, or none arrived.
func notFound(a *saml.Assertion, names []string) string {
	if len(names) == 0 {
		return "no attribute is mapped to it; name one in the attribute mapping"
	}
	if i := findAttribute(a.Attributes, names); i >= 0 {
		return fmt.Sprintf("attribute %q arrived without a value", a.Attributes[i].Name)
	}
	return "no attribute named " + quoteList(names)
}

// addWarnings adds the mapping-related warnings.
func (r *Report) addWarnings(c *Config, a *saml.Assertion, p Profile, m *mapping, groupRules bool) {
	switch {
	case p.GroupsOverage:
		r.Warnings = append(r.Warnings, Warning{Field: FieldGroups, Msg: "the IdP sent a " +
			"group overage claim instead of groups (the user is in too many groups); " +
			"group-restricted links will refuse this user. Limit the groups sent to " +
			"those assigned to the application"})
	case len(p.Groups) == 0:
		msg := notFound(a, m.tried[FieldGroups])
		if c.Preset == PresetGoogle {
			msg += "; Google Workspace sends groups only when a group membership mapping " +
				"is added to the SAML app"
		}
		if groupRules {
			r.Warnings = append(r.Warnings, Warning{Field: FieldGroups, Msg: msg +
				"; links restricted to groups will refuse everyone from this IdP"})
		} else {
			r.Missing = append(r.Missing, FieldGroups+": "+msg)
		}
	}
	if m.emailFrom == "name_id" && c.Preset != PresetGoogle {
		r.Warnings = append(r.Warnings, Warning{Field: FieldEmail, Msg: "email taken " +
			"from the NameID because no email attribute arrived"})
	}
	if a.SignatureAlgorithm == saml.AlgRSASHA1 {
		r.Warnings = append(r.Warnings, Warning{Field: "SignatureAlgorithm", Msg: "the " +
			"IdP signs with RSA-SHA1; configure it to use RSA-SHA256"})
	}
}

// Text renders the report as plain text for a terminal.
func (r *Report) Text() string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}

// WriteText writes [Report.Text] to w. Every value that came from the IdP
// is printed on one line: a value holding a line break or another control
// or formatting character is printed Go-quoted ("Eve\nemail: ..."), so
// that it cannot add lines that look like report fields.
func (r *Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	status := "OK: sign-in would succeed"
	if !r.OK {
		status = "FAILED: sign-in would be refused"
	}
	fmt.Fprintf(&b, "Test configuration for IdP %q (preset %s): %s\n", r.IDP,
		textSafe(r.Preset.String()), status)
	fmt.Fprintf(&b, "Issuer:        %s\n", textSafe(r.Issuer))
	fmt.Fprintf(&b, "NameID:        %s (%s)\n", textSafe(r.NameID.Value),
		textSafe(nameIDFormat(r.NameID.Format)))
	if r.SessionIndex != "" {
		fmt.Fprintf(&b, "SessionIndex:  %s\n", textSafe(r.SessionIndex))
	}
	fmt.Fprintf(&b, "Signed:        %s\n", textSafe(r.signedText()))

	fmt.Fprintf(&b, "\nAttributes (%d):\n", len(r.Attributes))
	for _, at := range r.Attributes {
		fmt.Fprintf(&b, "  %s", textSafe(at.Name))
		if at.FriendlyName != "" {
			fmt.Fprintf(&b, " (%s)", textSafe(at.FriendlyName))
		}
		if len(at.Fills) > 0 {
			fmt.Fprintf(&b, " -> %s", strings.Join(at.Fills, ", "))
		}
		fmt.Fprintf(&b, "\n    = %s\n", quoteList(at.Values))
	}

	fmt.Fprintf(&b, "\nProfile:\n")
	for _, f := range r.Fields {
		v := "(missing)"
		if len(f.Values) > 0 {
			vs := make([]string, len(f.Values))
			for i, s := range f.Values {
				vs[i] = textSafe(s)
			}
			v = strings.Join(vs, ", ")
		}
		src := ""
		if f.Source != "" {
			src = "  [from " + textSafe(f.Source) + "]"
		}
		fmt.Fprintf(&b, "  %-13s %s%s\n", f.Field+":", v, src)
	}
	writeList(&b, "Errors", r.Errors)
	writeList(&b, "Missing", r.Missing)
	ws := make([]string, len(r.Warnings))
	for i, w := range r.Warnings {
		ws[i] = w.String()
	}
	writeList(&b, "Warnings", ws)
	_, err := w.Write(b.Bytes())
	return err
}

// HTML renders the report as an html/template fragment (no <html> or
// <body>), with every value escaped. Class names start with "ss-".
func (r *Report) HTML() (template.HTML, error) {
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, r); err != nil {
		return "", fmt.Errorf("idp: rendering report: %w", err)
	}
	return template.HTML(b.String()), nil //nolint:gosec // produced by html/template
}

// MarshalJSON renders the report with snake_case keys. "attributes" maps
// each attribute name to its values; "attribute_details" keeps order and
// formats.
func (r *Report) MarshalJSON() ([]byte, error) {
	attrs := map[string][]string{}
	details := make([]jsonAttribute, 0, len(r.Attributes))
	for _, at := range r.Attributes {
		attrs[at.Name] = append(attrs[at.Name], at.Values...)
		if attrs[at.Name] == nil {
			attrs[at.Name] = []string{}
		}
		details = append(details, jsonAttribute{at.Name, at.NameFormat, at.FriendlyName,
			nonNil(at.Values), nonNil(at.Fills)})
	}
	fields := make([]jsonField, len(r.Fields))
	for i, f := range r.Fields {
		fields[i] = jsonField{f.Field, nonNil(f.Values), f.Source, nonNil(f.LookedFor)}
	}
	ws := make([]jsonWarning, len(r.Warnings))
	for i, w := range r.Warnings {
		ws[i] = jsonWarning(w)
	}
	return json.Marshal(jsonReport{
		IDP: r.IDP, Preset: r.Preset.String(), OK: r.OK, Issuer: r.Issuer,
		NameID: r.NameID.Value, NameIDFormat: r.NameID.Format, SessionIndex: r.SessionIndex,
		SignatureAlgorithm: r.SignatureAlgorithm, ResponseSigned: r.ResponseSigned,
		AssertionSigned: r.AssertionSigned, Encrypted: r.Encrypted,
		Attributes: attrs, AttributeDetails: details, Profile: newJSONProfile(r.Profile),
		Fields: fields, Missing: nonNil(r.Missing), Warnings: ws, Errors: nonNil(r.Errors),
	})
}

type jsonReport struct {
	IDP                string              `json:"idp"`
	Preset             string              `json:"preset"`
	OK                 bool                `json:"ok"`
	Issuer             string              `json:"issuer"`
	NameID             string              `json:"name_id"`
	NameIDFormat       string              `json:"name_id_format"`
	SessionIndex       string              `json:"session_index"`
	SignatureAlgorithm string              `json:"signature_algorithm"`
	ResponseSigned     bool                `json:"response_signed"`
	AssertionSigned    bool                `json:"assertion_signed"`
	Encrypted          bool                `json:"encrypted"`
	Attributes         map[string][]string `json:"attributes"`
	AttributeDetails   []jsonAttribute     `json:"attribute_details"`
	Profile            jsonProfile         `json:"profile"`
	Fields             []jsonField         `json:"fields"`
	Missing            []string            `json:"missing"`
	Warnings           []jsonWarning       `json:"warnings"`
	Errors             []string            `json:"errors"`
}

type jsonAttribute struct {
	Name         string   `json:"name"`
	NameFormat   string   `json:"name_format"`
	FriendlyName string   `json:"friendly_name"`
	Values       []string `json:"values"`
	Fills        []string `json:"fills"`
}

type jsonField struct {
	Field     string   `json:"field"`
	Values    []string `json:"values"`
	Source    string   `json:"source"`
	LookedFor []string `json:"looked_for"`
}

type jsonWarning struct {
	Field string `json:"field"`
	Msg   string `json:"message"`
}

type jsonProfile struct {
	IDP                   string   `json:"idp"`
	Email                 string   `json:"email"`
	FirstName             string   `json:"first_name"`
	LastName              string   `json:"last_name"`
	DisplayName           string   `json:"display_name"`
	Groups                []string `json:"groups"`
	GroupsOverage         bool     `json:"groups_overage"`
	GroupsCaseInsensitive bool     `json:"groups_case_insensitive"`
	NameID                string   `json:"name_id"`
	NameIDFormat          string   `json:"name_id_format"`
	SessionIndex          string   `json:"session_index"`
}

func newJSONProfile(p Profile) jsonProfile {
	return jsonProfile{p.IDP, p.Email, p.FirstName, p.LastName, p.DisplayName,
		nonNil(p.Groups), p.GroupsOverage, p.GroupsCaseInsensitive, p.NameID.Value,
		p.NameID.Format, p.SessionIndex}
}

//go:embed report.html
var reportHTML string

// reportTemplate is fixed at init; a parse error is a programmer error.
var reportTemplate = template.Must(template.New("report").Parse(reportHTML))

func (r *Report) signedText() string {
	var parts []string
	if r.ResponseSigned {
		parts = append(parts, "Response")
	}
	if r.AssertionSigned {
		parts = append(parts, "Assertion")
	}
	s := strings.Join(parts, " and ")
	if r.SignatureAlgorithm != "" {
		s += " (" + r.SignatureAlgorithm + ")"
	}
	if r.Encrypted {
		s += ", encrypted"
	}
	return s
}

func nameIDFormat(f string) string {
	if f == "" {
		return saml.NameIDFormatUnspecified
	}
	return f
}

func writeList(b *bytes.Buffer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s:\n", title)
	for _, it := range items {
		fmt.Fprintf(b, "  - %s\n", textSafe(it))
	}
}

// textSafe returns s unchanged when it is safe on one line of a terminal,
// and Go-quoted when it holds a control character (line breaks, escape
// sequences), a line or paragraph separator or a formatting character
// (such as a bidirectional override) that could forge or hide lines.
func textSafe(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cf) ||
			r == utf8.RuneError
	}) < 0 {
		return s
	}
	return strconv.Quote(s)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
