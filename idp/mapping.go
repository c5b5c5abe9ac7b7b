package idp

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/secureshare/secureshare/internal/asciifold"
	"github.com/secureshare/secureshare/saml"
)

// Profile fields an attribute can fill, as named in reports.
const (
	FieldEmail       = "email"
	FieldFirstName   = "first_name"
	FieldLastName    = "last_name"
	FieldDisplayName = "display_name"
	FieldGroups      = "groups"
	FieldOverage     = "groups_overage"
)

// AttributeMapping names the attributes that fill each [Profile] field,
// overriding the [Preset]. An empty field falls back to the preset's names;
// a set field is the only name tried for that profile field.
//
// Names match an attribute's Name first, then its FriendlyName, first
// exactly and then without regard to case.
type AttributeMapping struct {
	// Email names the attribute holding the email address. When no
	// attribute matches, an emailAddress-format NameID is used.
	Email string
	// FirstName, LastName and DisplayName name the attributes for those
	// fields.
	FirstName   string
	LastName    string
	DisplayName string
	// Groups names the attribute whose values are group names or IDs.
	Groups string
	// GroupsDelimiter, when not empty, splits each group value further,
	// for IdPs that pack several groups into one value ("red,green,blue").
	// Leave it empty for IdPs that send one value per group, or a comma in
	// a group name would split it.
	GroupsDelimiter string
	// GroupsCaseInsensitive marks group values as case-insensitive
	// identifiers. The Entra ID preset sets it regardless.
	GroupsCaseInsensitive bool
}

// Map turns a verified assertion into a [Profile], following the mapping
// and the preset. The email address is mandatory: from the email attribute,
// else from a NameID in emailAddress format (or, for presets whose NameID
// is the primary email such as Google Workspace, an unspecified-format
// NameID that holds an address), else Map returns a
// *[MappingError] wrapping [ErrNoEmail] that lists the attributes that did
// arrive.
//
// Groups are every value of the group attribute (of each copy, when the
// IdP sends it more than once), in order, trimmed, split
// on GroupsDelimiter when set, without empty values or duplicates. Group
// values are never matched by substring. When an overage attribute (Entra
// ID's groups.link) is present, Profile.GroupsOverage is set so that group
// rules can fail closed.
//
// When [Config.EmailDomains] is set, an address in another domain is a
// *[MappingError] wrapping [ErrEmailDomain].
//
// Map does not verify anything: pass only assertions returned by
// [saml.Verifier].
func (c *Config) Map(a *saml.Assertion) (Profile, error) {
	if a == nil {
		return Profile{}, errors.New("idp: no assertion to map")
	}
	p, _, err := c.mapAssertion(a)
	return p, err
}

// mapping is the outcome of mapping, for reports: which attribute filled
// which field, and which names were tried.
type mapping struct {
	filled    map[int][]string    // attribute index -> profile fields
	emailFrom string              // "attribute" or "name_id"
	tried     map[string][]string // profile field -> names tried
}

// mapAssertion maps a and records what it did.
func (c *Config) mapAssertion(a *saml.Assertion) (Profile, *mapping, error) {
	info, ok := c.Preset.Info()
	if !ok {
		info, _ = PresetGeneric.Info()
	}
	m := &mapping{filled: map[int][]string{}, tried: map[string][]string{}}
	p := Profile{
		IDP:          c.Name,
		Issuer:       a.Issuer,
		NameID:       a.Subject,
		SessionIndex: a.SessionIndex,
		Attributes:   cloneAttributes(a.Attributes),
	}

	p.FirstName = m.single(a, FieldFirstName, pick(c.Mapping.FirstName, info.FirstName))
	p.LastName = m.single(a, FieldLastName, pick(c.Mapping.LastName, info.LastName))
	p.DisplayName = m.single(a, FieldDisplayName, pick(c.Mapping.DisplayName, info.DisplayName))
	p.GroupsCaseInsensitive = info.GroupsCaseInsensitive || c.Mapping.GroupsCaseInsensitive
	p.Groups = m.groups(a, pick(c.Mapping.Groups, info.Groups), c.Mapping.GroupsDelimiter,
		p.GroupsCaseInsensitive)
	p.GroupsOverage = m.overage(a, appendNew([]string{ClaimGroupsOverage}, info.GroupsOverage...))

	email, err := m.email(a, pick(c.Mapping.Email, info.Email), info.NameIDIsEmail)
	if err != nil {
		return p, m, err
	}
	if err := c.checkEmailDomain(email, a); err != nil {
		return p, m, err
	}
	p.Email = email
	return p, m, nil
}

// checkEmailDomain refuses an email outside EmailDomains.
func (c *Config) checkEmailDomain(email string, a *saml.Assertion) error {
	if len(c.EmailDomains) == 0 {
		return nil
	}
	domain := email[strings.LastIndexByte(email, '@')+1:]
	for _, d := range c.EmailDomains {
		if asciifold.Equal(d, domain) {
			return nil
		}
	}
	return &MappingError{Field: FieldEmail, Msg: fmt.Sprintf("email domain %q is not one "+
		"this IdP may vouch for (%s); add it to the IdP's email domains if it should be",
		domain, quoteList(c.EmailDomains)), Arrived: attributeNames(a.Attributes),
		Err: ErrEmailDomain}
}

// single returns the first non-empty trimmed value of the matching
// attributes.
func (m *mapping) single(a *saml.Assertion, field string, names []string) string {
	m.tried[field] = names
	for _, i := range findAttributes(a.Attributes, names) {
		for _, v := range a.Attributes[i].Values {
			if v = strings.TrimSpace(v); v != "" {
				m.fill(i, field)
				return v
			}
		}
	}
	return ""
}

// groups collects the values of every matching attribute, in order: some
// IdPs (and AD FS with two rules issuing one claim type) send the group
// attribute more than once.
func (m *mapping) groups(a *saml.Assertion, names []string, delim string, fold bool) []string {
	m.tried[FieldGroups] = names
	var out []string
	seen := map[string]bool{}
	for _, i := range findAttributes(a.Attributes, names) {
		n := len(out)
		for _, v := range a.Attributes[i].Values {
			parts := []string{v}
			if delim != "" {
				parts = strings.Split(v, delim)
			}
			for _, g := range parts {
				g = strings.TrimSpace(g)
				key := g
				if fold {
					key = strings.ToLower(g)
				}
				if g != "" && !seen[key] {
					seen[key] = true
					out = append(out, g)
				}
			}
		}
		if len(out) > n {
			m.fill(i, FieldGroups)
		}
	}
	return out
}

// overage reports whether any overage attribute is present.
func (m *mapping) overage(a *saml.Assertion, names []string) bool {
	i := findAttribute(a.Attributes, names)
	if i < 0 {
		return false
	}
	m.fill(i, FieldOverage)
	return true
}

// email finds the email address, falling back to the NameID.
func (m *mapping) email(a *saml.Assertion, names []string, nameIDIsEmail bool) (string, error) {
	m.tried[FieldEmail] = names
	found := findAttributes(a.Attributes, names)
	for _, i := range found {
		for _, v := range a.Attributes[i].Values {
			if e, ok := normalizeEmail(v); ok {
				m.fill(i, FieldEmail)
				m.emailFrom = "attribute"
				return e, nil
			}
		}
	}
	f := a.Subject.Format
	nameIDMayBeEmail := f == saml.NameIDFormatEmailAddress ||
		(nameIDIsEmail && (f == "" || f == saml.NameIDFormatUnspecified))
	if nameIDMayBeEmail {
		if e, ok := normalizeEmail(a.Subject.Value); ok {
			m.emailFrom = "name_id"
			return e, nil
		}
	}

	msg := "no email address: no attribute holds one and the NameID is not in " +
		"emailAddress format; send an email attribute or set the email attribute name"
	switch {
	case len(found) > 0:
		msg = fmt.Sprintf("attribute %q holds no valid email address",
			a.Attributes[found[0]].Name)
	case nameIDMayBeEmail:
		msg = fmt.Sprintf("no email address: no attribute holds one, and the NameID "+
			"%q is not a valid email address although its format says it is; have "+
			"the IdP send the email address as NameID, or send an email attribute and "+
			"set the email attribute name", a.Subject.Value)
	}
	return "", &MappingError{Field: FieldEmail, Msg: msg, LookedFor: names,
		Arrived: attributeNames(a.Attributes), Err: ErrNoEmail}
}

func (m *mapping) fill(i int, field string) {
	m.filled[i] = append(m.filled[i], field)
}

// pick returns the admin's name alone when set, else the preset's names.
func pick(admin string, preset []string) []string {
	if admin = strings.TrimSpace(admin); admin != "" {
		return []string{admin}
	}
	return preset
}

// findAttribute returns the index of the first attribute
// [findAttributes] returns, or -1.
func findAttribute(attrs []saml.Attribute, names []string) int {
	if found := findAttributes(attrs, names); len(found) > 0 {
		return found[0]
	}
	return -1
}

// findAttributes returns the indexes, in order, of the attributes matching
// the first name that matches an attribute with a value. For each name it
// tries Name, then FriendlyName, exactly; then both without regard to
// case. Every attribute matching the winning name and rule is returned, so
// that an attribute sent twice keeps all its values. An attribute that
// arrived with no value (IdPs send empty ones: an unset phone number, an
// empty memberOf) does not hide a later name that has one; when no name
// has a value, the attributes of the first name that matched are returned,
// so that a refusal can name them.
func findAttributes(attrs []saml.Attribute, names []string) []int {
	if found := matchAttributes(attrs, names, true); len(found) > 0 {
		return found
	}
	return matchAttributes(attrs, names, false)
}

// hasValue reports whether at holds a value other than white space.
func hasValue(at saml.Attribute) bool {
	for _, v := range at.Values {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// matchAttributes is findAttributes, considering only attributes with a
// value when valued is set.
func matchAttributes(attrs []saml.Attribute, names []string, valued bool) []int {
	rules := []func(at saml.Attribute, n string) bool{
		func(at saml.Attribute, n string) bool { return at.Name == n },
		func(at saml.Attribute, n string) bool {
			return at.FriendlyName != "" && at.FriendlyName == n
		},
		func(at saml.Attribute, n string) bool {
			return strings.EqualFold(at.Name, n) ||
				(at.FriendlyName != "" && strings.EqualFold(at.FriendlyName, n))
		},
	}
	for _, n := range names {
		for _, match := range rules {
			var out []int
			for i, at := range attrs {
				if match(at, n) && (!valued || hasValue(at)) {
					out = append(out, i)
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	return nil
}

// normalizeEmail trims s and lower-cases its domain; ok is false when s
// does not look like one address.
func normalizeEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 320 {
		return "", false
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == ',' || r == ';' ||
			r == '<' || r == '>'
	}) >= 0 {
		return "", false
	}
	local, domain := s[:at], s[at+1:]
	if strings.Contains(local, "@") || !strings.Contains(domain, ".") &&
		!strings.EqualFold(domain, "localhost") {
		return "", false
	}
	return local + "@" + strings.ToLower(domain), true
}

func attributeNames(attrs []saml.Attribute) []string {
	names := make([]string, 0, len(attrs))
	for _, at := range attrs {
		n := at.Name
		if at.FriendlyName != "" && at.FriendlyName != at.Name {
			n += " (" + at.FriendlyName + ")"
		}
		names = appendNew(names, n)
	}
	return names
}

func cloneAttributes(attrs []saml.Attribute) []saml.Attribute {
	if attrs == nil {
		return nil
	}
	out := make([]saml.Attribute, len(attrs))
	for i, at := range attrs {
		out[i] = at
		out[i].Values = append([]string(nil), at.Values...)
	}
	return out
}

// validate adds the mapping's problems to v.
func (m AttributeMapping) validate(v *validator) {
	for _, f := range []struct{ field, name string }{
		{"Mapping.Email", m.Email},
		{"Mapping.FirstName", m.FirstName},
		{"Mapping.LastName", m.LastName},
		{"Mapping.DisplayName", m.DisplayName},
		{"Mapping.Groups", m.Groups},
	} {
		switch {
		case f.name == "":
		case f.name != strings.TrimSpace(f.name):
			v.add(f.field, fmt.Sprintf("attribute name %q has leading or trailing spaces", f.name))
		case len(f.name) > maxAttrNameLen:
			v.add(f.field, fmt.Sprintf("attribute name longer than %d characters", maxAttrNameLen))
		case strings.IndexFunc(f.name, unicode.IsControl) >= 0:
			v.add(f.field, "attribute name contains control characters")
		}
	}
	if len(m.GroupsDelimiter) > maxDelimLen {
		v.add("Mapping.GroupsDelimiter", fmt.Sprintf("longer than %d characters", maxDelimLen))
	}
}
