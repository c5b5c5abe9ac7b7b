package idp

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

// vendorAssertion is an assertion shaped like one vendor's default output.
type vendorAssertion struct {
	name      string
	preset    Preset
	mapping   AttributeMapping
	nameID    saml.NameID
	attrs     []saml.Attribute
	want      Profile // IDP, NameID, SessionIndex and Attributes are checked separately
	wantError error
}

const uriFormat = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

func uriAttr(name, friendly string, values ...string) saml.Attribute {
	return saml.Attribute{Name: name, NameFormat: uriFormat, FriendlyName: friendly, Values: values}
}

var emailNameID = saml.NameID{Value: "Alice@Example.COM", Format: saml.NameIDFormatEmailAddress}

func vendorAssertions() []vendorAssertion {
	return []vendorAssertion{
		{name: "okta attribute statements", preset: PresetOkta,
			nameID: emailNameID,
			attrs: []saml.Attribute{attr("firstName", "Alice"), attr("lastName", "Example"),
				attr("email", "alice@example.com"), attr("groups", "Everyone", "Partners")},
			want: Profile{Email: "alice@example.com", FirstName: "Alice", LastName: "Example",
				Groups: []string{"Everyone", "Partners"}}},
		{name: "entra claims with group object ids", preset: PresetEntraID,
			nameID: saml.NameID{Value: "x5e-opaque", Format: saml.NameIDFormatPersistent},
			attrs: []saml.Attribute{
				attr("http://schemas.microsoft.com/identity/claims/tenantid", "add29489"),
				attr(claimEmail, "alice@contoso.com"),
				attr(claimGivenName, "Alice"), attr(claimSurname, "Example"),
				attr(claimName, "alice@contoso.onmicrosoft.com"),
				attr(claimDisplayName, "Alice Example"),
				attr(claimEntraGroups, "07dd8a60-bf6d-4e17-8844-230b77145381",
					"07DD8A60-BF6D-4E17-8844-230B77145381", "5f3e0c1a-0000-4000-8000-000000000001")},
			want: Profile{Email: "alice@contoso.com", FirstName: "Alice", LastName: "Example",
				DisplayName: "Alice Example", GroupsCaseInsensitive: true,
				Groups: []string{"07dd8a60-bf6d-4e17-8844-230b77145381",
					"5f3e0c1a-0000-4000-8000-000000000001"}}},
		{name: "entra group overage", preset: PresetEntraID,
			attrs: []saml.Attribute{attr(claimEmail, "bob@contoso.com"),
				attr(ClaimGroupsOverage,
					"https://graph.windows.net/add29489/users/4f1d/getMemberObjects")},
			want: Profile{Email: "bob@contoso.com", GroupsOverage: true,
				GroupsCaseInsensitive: true}},
		{name: "entra without email claim uses upn name claim", preset: PresetEntraID,
			attrs: []saml.Attribute{attr(claimName, "carol@contoso.com")},
			want:  Profile{Email: "carol@contoso.com", GroupsCaseInsensitive: true}},
		{name: "adfs claims", preset: PresetADFS,
			nameID: saml.NameID{Value: "paul@spstest2.com"},
			attrs: []saml.Attribute{attr(claimEmail, "paul@spstest2.com"),
				attr(claimGivenName, "paul"), attr(claimSurname, "fraley"),
				attr(claimADFSGroup, "Domain Users", "VPN Users")},
			want: Profile{Email: "paul@spstest2.com", FirstName: "paul", LastName: "fraley",
				Groups: []string{"Domain Users", "VPN Users"}}},
		{name: "google with no groups configured", preset: PresetGoogle,
			nameID: saml.NameID{Value: "ross@octolabs.io", Format: saml.NameIDFormatEmailAddress},
			attrs: []saml.Attribute{attr("firstName", "Ross"), attr("lastName", "Kinder"),
				attr("phone"), attr("address")},
			want: Profile{Email: "ross@octolabs.io", FirstName: "Ross", LastName: "Kinder"}},
		{name: "google unspecified nameid is the primary email", preset: PresetGoogle,
			nameID: saml.NameID{Value: "ross@octolabs.io"},
			attrs:  []saml.Attribute{attr("firstName", "Ross"), attr("groups", "eng")},
			want: Profile{Email: "ross@octolabs.io", FirstName: "Ross",
				Groups: []string{"eng"}}},
		{name: "keycloak x500 mappers", preset: PresetKeycloak,
			nameID: saml.NameID{Value: "G-3f2a", Format: saml.NameIDFormatPersistent},
			attrs: []saml.Attribute{uriAttr(oidEmail, "email", "dave@example.org"),
				uriAttr(oidGivenName, "givenName", "Dave"), uriAttr(oidSurname, "surname", "Doe"),
				attr("member", "/staff", "/staff/partners")},
			want: Profile{Email: "dave@example.org", FirstName: "Dave", LastName: "Doe",
				Groups: []string{"/staff", "/staff/partners"}}},
		{name: "onelogin custom connector with semicolon memberOf", preset: PresetOneLogin,
			mapping: AttributeMapping{GroupsDelimiter: ";"},
			nameID:  saml.NameID{Value: "ross@kndr.org", Format: saml.NameIDFormatEmailAddress},
			attrs: []saml.Attribute{attr("User.email", "ross@kndr.org"),
				attr("User.FirstName", "Ross"), attr("User.LastName", "Kinder"),
				attr("memberOf", "Eng;Partners; Sales ;")},
			want: Profile{Email: "ross@kndr.org", FirstName: "Ross", LastName: "Kinder",
				Groups: []string{"Eng", "Partners", "Sales"}}},
		{name: "jumpcloud", preset: PresetJumpCloud,
			attrs: []saml.Attribute{attr("email", "erin@example.com"),
				attr("firstname", "Erin"), attr("lastname", "Ee"),
				attr("memberOf", "engineering", "contractors")},
			want: Profile{Email: "erin@example.com", FirstName: "Erin", LastName: "Ee",
				Groups: []string{"engineering", "contractors"}}},
		{name: "pingfederate packed groups with delimiter", preset: PresetPing,
			mapping: AttributeMapping{GroupsDelimiter: ","},
			nameID:  saml.NameID{Value: "firstlast@saml.test.nope", Format: saml.NameIDFormatEmailAddress},
			attrs: []saml.Attribute{attr("firstname", "First"), attr("lastname", "Last"),
				attr("group", "red,green,blue")},
			want: Profile{Email: "firstlast@saml.test.nope", FirstName: "First", LastName: "Last",
				Groups: []string{"red", "green", "blue"}}},
		{name: "pingfederate without delimiter keeps the value whole", preset: PresetPing,
			nameID: saml.NameID{Value: "firstlast@saml.test.nope", Format: saml.NameIDFormatEmailAddress},
			attrs:  []saml.Attribute{attr("group", "red,green,blue")},
			want:   Profile{Email: "firstlast@saml.test.nope", Groups: []string{"red,green,blue"}}},
		{name: "auth0 claim uris", preset: PresetAuth0,
			attrs: []saml.Attribute{attr(claimEmail, "frank@example.com"),
				attr(claimGivenName, "Frank"), attr(claimSurname, "Ef"),
				attr(claimName, "Frank Ef"), attr(claimADFSGroup, "admins")},
			want: Profile{Email: "frank@example.com", FirstName: "Frank", LastName: "Ef",
				DisplayName: "Frank Ef", Groups: []string{"admins"}}},
		{name: "shibboleth urn:oid attributes", preset: PresetShibboleth,
			nameID: saml.NameID{Value: "AAdzZWNyZXQx", Format: saml.NameIDFormatTransient},
			attrs: []saml.Attribute{uriAttr(oidMail, "mail", "grace@uni.example.edu"),
				uriAttr(oidGivenName, "givenName", "Grace"), uriAttr(oidSurname, "sn", "Hopper"),
				uriAttr(oidDisplayName, "displayName", "Grace Hopper"),
				uriAttr(oidIsMemberOf, "isMemberOf", "uni:staff", "uni:cs")},
			want: Profile{Email: "grace@uni.example.edu", FirstName: "Grace", LastName: "Hopper",
				DisplayName: "Grace Hopper", Groups: []string{"uni:staff", "uni:cs"}}},
		{name: "simplesamlphp basic names", preset: PresetSimpleSAMLphp,
			nameID: saml.NameID{Value: "alice@example.com", Format: saml.NameIDFormatEmailAddress},
			attrs: []saml.Attribute{attr("uid", "alice"), attr("email", "alice@example.com"),
				attr("firstName", "Alice"), attr("lastName", "Example"),
				attr("groups", "partners", "engineering")},
			want: Profile{Email: "alice@example.com", FirstName: "Alice", LastName: "Example",
				Groups: []string{"partners", "engineering"}}},
		{name: "generic preset finds pysaml2 friendly names", preset: PresetGeneric,
			attrs: []saml.Attribute{uriAttr("urn:oid:0.9.2342.19200300.100.1.1", "uid", "alice"),
				uriAttr(oidMail, "mail", "alice@example.com"),
				uriAttr(oidGivenName, "givenName", "Alice"), uriAttr(oidSurname, "sn", "Example"),
				uriAttr(oidIsMemberOf, "isMemberOf", "partners", "engineering")},
			want: Profile{Email: "alice@example.com", FirstName: "Alice", LastName: "Example",
				Groups: []string{"partners", "engineering"}}},
	}
}

func TestMapPresets(t *testing.T) {
	for _, tt := range vendorAssertions() {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Name: "idp-" + tt.preset.String(), Preset: tt.preset, Mapping: tt.mapping}
			a := &saml.Assertion{Issuer: "https://idp.example.com/" + tt.name, Subject: tt.nameID,
				SessionIndex: "_sess1", Attributes: tt.attrs}

			p, err := c.Map(a)
			require.NoError(t, err)
			assert.Equal(t, tt.want.Email, p.Email)
			assert.Equal(t, tt.want.FirstName, p.FirstName)
			assert.Equal(t, tt.want.LastName, p.LastName)
			assert.Equal(t, tt.want.DisplayName, p.DisplayName)
			assert.Equal(t, tt.want.Groups, p.Groups)
			assert.Equal(t, tt.want.GroupsOverage, p.GroupsOverage)
			assert.Equal(t, tt.want.GroupsCaseInsensitive, p.GroupsCaseInsensitive)
			assert.Equal(t, c.Name, p.IDP)
			assert.Equal(t, a.Issuer, p.Issuer)
			assert.Equal(t, tt.nameID, p.NameID)
			assert.Equal(t, "_sess1", p.SessionIndex)
			assert.Equal(t, tt.attrs, p.Attributes)
		})
	}
}

func TestMapAdminMappingWinsOverPreset(t *testing.T) {
	a := &saml.Assertion{Attributes: []saml.Attribute{
		attr("email", "preset@example.com"), attr("workEmail", "admin@example.com"),
		attr("firstName", "Preset"), attr("givenName", "Admin"),
		attr("groups", "preset-group"), attr("teams", "admin-team"),
	}}
	c := &Config{Preset: PresetOkta, Mapping: AttributeMapping{Email: "workEmail",
		FirstName: "givenName", Groups: "teams"}}
	p, err := c.Map(a)
	require.NoError(t, err)
	assert.Equal(t, "admin@example.com", p.Email)
	assert.Equal(t, "Admin", p.FirstName)
	assert.Equal(t, []string{"admin-team"}, p.Groups)

	t.Run("a set mapping does not fall back to the preset", func(t *testing.T) {
		c := &Config{Preset: PresetOkta, Mapping: AttributeMapping{FirstName: "nope",
			Groups: "nope"}}
		p, err := c.Map(a)
		require.NoError(t, err)
		assert.Empty(t, p.FirstName)
		assert.Empty(t, p.Groups)
	})
}

func TestMapEmail(t *testing.T) {
	tests := []struct {
		name     string
		nameID   saml.NameID
		attrs    []saml.Attribute
		want     string
		wantText []string
	}{
		{name: "domain lower-cased, local part kept",
			attrs: []saml.Attribute{attr("email", " Alice.Smith@Example.COM ")},
			want:  "Alice.Smith@example.com"},
		{name: "first valid value of the attribute",
			attrs: []saml.Attribute{attr("email", "", "not-an-email", "a@example.com")},
			want:  "a@example.com"},
		{name: "emailAddress nameid when no attribute", nameID: emailNameID,
			want: "Alice@example.com"},
		{name: "emailAddress nameid when the attribute is invalid", nameID: emailNameID,
			attrs: []saml.Attribute{attr("email", "nobody")}, want: "Alice@example.com"},
		{name: "match by friendly name",
			attrs: []saml.Attribute{uriAttr("urn:oid:9.9", "email", "f@example.com")},
			want:  "f@example.com"},
		{name: "match ignores case",
			attrs: []saml.Attribute{attr("EMAIL", "c@example.com")}, want: "c@example.com"},
		{name: "unspecified nameid that looks like an email is not used",
			nameID: saml.NameID{Value: "u@example.com"},
			attrs:  []saml.Attribute{attr("uid", "u"), attr("cn", "U Ser")},
			wantText: []string{`the IdP sent "uid", "cn"`, `looked for "email"`,
				"emailAddress format"}},
		{name: "no attributes at all", nameID: saml.NameID{Value: "opaque",
			Format: saml.NameIDFormatPersistent},
			wantText: []string{"the IdP sent no attributes"}},
		{name: "email attribute with no valid address",
			attrs:    []saml.Attribute{attr("email", "two@a.com,three@b.com")},
			wantText: []string{`attribute "email" holds no valid email address`}},
		// IdPs send empty attributes: one does not hide a later name.
		{name: "empty attribute before one with a value",
			attrs: []saml.Attribute{attr("email", ""), attr("mail", "bob@example.com")},
			want:  "bob@example.com"},
		{name: "blank values before one with a value",
			attrs: []saml.Attribute{attr("email", " ", ""), attr("mail", "bob@example.com")},
			want:  "bob@example.com"},
		{name: "only empty attributes: the first is named",
			attrs:    []saml.Attribute{attr("email"), attr("mail", "")},
			wantText: []string{`attribute "email" holds no valid email address`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := (&Config{}).Map(&saml.Assertion{Subject: tt.nameID, Attributes: tt.attrs})
			if tt.wantText == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, p.Email)
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrNoEmail))
			var me *MappingError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, FieldEmail, me.Field)
			for _, s := range tt.wantText {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestMapGroups(t *testing.T) {
	tests := []struct {
		name    string
		mapping AttributeMapping
		preset  Preset
		values  []string
		want    []string
	}{
		{name: "order kept, trimmed, empties dropped",
			values: []string{" b ", "", "a", "  "}, want: []string{"b", "a"}},
		{name: "exact duplicates dropped", values: []string{"a", "a", "A"},
			want: []string{"a", "A"}},
		{name: "case-insensitive duplicates dropped when the mapping says so",
			mapping: AttributeMapping{GroupsCaseInsensitive: true},
			values:  []string{"Admins", "admins"}, want: []string{"Admins"}},
		{name: "delimiter splits every value",
			mapping: AttributeMapping{GroupsDelimiter: "|"},
			values:  []string{"a|b", "c", "b|d"}, want: []string{"a", "b", "c", "d"}},
		{name: "no delimiter keeps commas",
			values: []string{"CN=Admins,OU=Groups,DC=example,DC=com"},
			want:   []string{"CN=Admins,OU=Groups,DC=example,DC=com"}},
		{name: "no values", values: []string{}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Preset: tt.preset, Mapping: tt.mapping}
			p, err := c.Map(&saml.Assertion{Attributes: []saml.Attribute{
				attr("email", "x@example.com"), attr("groups", tt.values...)}})
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Groups)
		})
	}
}

// TestMapGroupsSkipsEmptyAttributes: an empty memberOf (OneLogin sends
// one) does not hide the groups attribute after it.
func TestMapGroupsSkipsEmptyAttributes(t *testing.T) {
	c := &Config{Preset: PresetOneLogin}
	p, err := c.Map(&saml.Assertion{Attributes: []saml.Attribute{
		attr("User.email", "x@example.com"), attr("memberOf", ""),
		attr("groups", "partners")}})
	require.NoError(t, err)
	assert.Equal(t, []string{"partners"}, p.Groups)
}

// TestMapRolesAreNotGroups: Keycloak's default Role attribute and Entra's
// role claim carry roles, which the presets do not read as groups; an
// admin who wants them names the attribute.
func TestMapRolesAreNotGroups(t *testing.T) {
	for _, tt := range []struct {
		preset Preset
		email  saml.Attribute
		role   saml.Attribute
	}{
		{PresetKeycloak, attr("email", "k@example.com"), attr("Role", "offline_access", "Partners")},
		{PresetEntraID, attr(claimEmail, "e@example.com"), attr(claimRole, "Partners")},
	} {
		t.Run(string(tt.preset), func(t *testing.T) {
			a := &saml.Assertion{Attributes: []saml.Attribute{tt.email, tt.role}}
			p, err := (&Config{Preset: tt.preset}).Map(a)
			require.NoError(t, err)
			assert.Empty(t, p.Groups)
			assert.False(t, p.HasGroup("Partners"))

			p, err = (&Config{Preset: tt.preset,
				Mapping: AttributeMapping{Groups: tt.role.Name}}).Map(a)
			require.NoError(t, err)
			assert.True(t, p.HasGroup("Partners"), "when the admin maps the role attribute")
		})
	}
}

func TestMapNeverMatchesBySubstring(t *testing.T) {
	a := &saml.Assertion{Attributes: []saml.Attribute{attr("email", "x@example.com"),
		attr("groupsOld", "stale"), attr("mygroups", "wrong"), attr("groups_extra", "wrong")}}
	p, err := (&Config{}).Map(a)
	require.NoError(t, err)
	assert.Empty(t, p.Groups)
}

func TestMapOverageWithAnyPreset(t *testing.T) {
	// A groups.link claim fails closed even when the IdP was not set up as
	// Entra ID, for example Entra behind a generic configuration.
	a := &saml.Assertion{Attributes: []saml.Attribute{attr("email", "x@example.com"),
		attr("groups", "g1"), attr(ClaimGroupsOverage, "https://graph.microsoft.com/...")}}
	p, err := (&Config{Preset: PresetOkta}).Map(a)
	require.NoError(t, err)
	assert.True(t, p.GroupsOverage)
	assert.Equal(t, []string{"g1"}, p.Groups)
}

func TestMapCopiesAttributes(t *testing.T) {
	a := &saml.Assertion{Attributes: []saml.Attribute{attr("email", "x@example.com")}}
	p, err := (&Config{}).Map(a)
	require.NoError(t, err)
	p.Attributes[0].Values[0] = "changed"
	assert.Equal(t, "x@example.com", a.Attributes[0].Values[0])
}

func TestPresets(t *testing.T) {
	all := Presets()
	require.Len(t, all, 11)
	seen := map[Preset]bool{}
	for _, p := range all {
		t.Run(p.Preset.String(), func(t *testing.T) {
			assert.False(t, seen[p.Preset], "duplicate")
			seen[p.Preset] = true
			assert.NotEmpty(t, p.Title)
			assert.NotEmpty(t, p.Email)
			assert.NotEmpty(t, p.FirstName)
			assert.NotEmpty(t, p.LastName)
			assert.NotEmpty(t, p.Groups)
			assert.NotEmpty(t, p.Notes)
			info, ok := p.Preset.Info()
			require.True(t, ok)
			assert.Equal(t, p, info)
		})
	}

	t.Run("generic merges all names", func(t *testing.T) {
		g, ok := PresetGeneric.Info()
		require.True(t, ok)
		assert.Equal(t, "generic", PresetGeneric.String())
		for _, p := range all {
			assert.Subset(t, g.Email, p.Email)
			assert.Subset(t, g.Groups, p.Groups)
		}
		assert.False(t, g.GroupsCaseInsensitive)
	})
	t.Run("unknown", func(t *testing.T) {
		_, ok := Preset("nope").Info()
		assert.False(t, ok)
	})
	t.Run("copies are independent", func(t *testing.T) {
		all[0].Email[0] = "changed"
		info, _ := all[0].Preset.Info()
		assert.NotEqual(t, "changed", info.Email[0])
	})
}

func TestProfileHasGroup(t *testing.T) {
	tests := []struct {
		name string
		p    Profile
		g    string
		want bool
	}{
		{name: "exact", p: Profile{Groups: []string{"Admins", "Partners"}}, g: "Partners",
			want: true},
		{name: "case differs", p: Profile{Groups: []string{"Admins"}}, g: "admins"},
		{name: "case differs, insensitive", g: "07DD8A60-BF6D-4E17-8844-230B77145381",
			p: Profile{Groups: []string{"07dd8a60-bf6d-4e17-8844-230b77145381"},
				GroupsCaseInsensitive: true}, want: true},
		{name: "substring never matches", p: Profile{Groups: []string{"Admins-readonly"}},
			g: "Admins"},
		{name: "superstring never matches", p: Profile{Groups: []string{"Admin"}}, g: "Admins"},
		{name: "no groups", p: Profile{GroupsOverage: true}, g: "Admins"},
		{name: "empty name", p: Profile{Groups: []string{"a"}}, g: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.p.HasGroup(tt.g))
		})
	}
}

func TestMapNilAssertion(t *testing.T) {
	_, err := (&Config{}).Map(nil)
	assert.Error(t, err)
	r := (&Config{}).Report(nil, ReportOptions{})
	assert.False(t, r.OK)
}

func TestMapManyGroupsIsLinear(t *testing.T) {
	values := make([]string, 100000)
	for i := range values {
		values[i] = fmt.Sprintf("group-%d", i%50000)
	}
	a := &saml.Assertion{Attributes: []saml.Attribute{attr("email", "x@example.com"),
		attr("groups", values...)}}
	p, err := (&Config{}).Map(a)
	require.NoError(t, err)
	assert.Len(t, p.Groups, 50000)
	assert.Equal(t, "group-49999", p.Groups[49999])
}

func TestMapEmailDomains(t *testing.T) {
	tests := []struct {
		name    string
		domains []string
		email   string
		wantErr bool
	}{
		{name: "any domain when unset", email: "a@evil.example"},
		{name: "listed domain", domains: []string{"partner.example"}, email: "a@partner.example"},
		{name: "listed domain, other case", domains: []string{"Partner.Example"},
			email: "a@PARTNER.example"},
		{name: "other domain refused", domains: []string{"partner.example"},
			email: "ceo@acme.example", wantErr: true},
		{name: "subdomain refused", domains: []string{"partner.example"},
			email: "a@sub.partner.example", wantErr: true},
		{name: "suffix trick refused", domains: []string{"partner.example"},
			email: "a@evilpartner.example", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{EmailDomains: tt.domains}
			p, err := c.Map(&saml.Assertion{Attributes: []saml.Attribute{attr("email", tt.email)}})
			if !tt.wantErr {
				require.NoError(t, err)
				assert.NotEmpty(t, p.Email)
				return
			}
			assert.ErrorIs(t, err, ErrEmailDomain)
			assert.Empty(t, p.Email)
			assert.ErrorContains(t, err, "is not one this IdP may vouch for")
		})
	}
}

func mappedAssertion(nameID, format string, attrs ...saml.Attribute) *saml.Assertion {
	return &saml.Assertion{ID: "_a1", Issuer: "https://idp.example.com",
		Subject: saml.NameID{Value: nameID, Format: format}, Attributes: attrs}
}

func TestMapEmailSources(t *testing.T) {
	tests := []struct {
		name      string
		preset    Preset
		mapping   AttributeMapping
		assertion *saml.Assertion
		wantEmail string
		wantErr   error
	}{
		{name: "email attribute wins over the NameID",
			assertion: mappedAssertion("other@example.com", saml.NameIDFormatEmailAddress,
				attr("email", "alice@Example.COM")),
			wantEmail: "alice@example.com"},
		{name: "email missing, emailAddress NameID used",
			assertion: mappedAssertion(" bob@Example.com ", saml.NameIDFormatEmailAddress),
			wantEmail: "bob@example.com"},
		{name: "email missing, persistent NameID that looks like an address is refused",
			assertion: mappedAssertion("bob@example.com",
				"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
			wantErr: ErrNoEmail},
		{name: "email missing, unspecified NameID accepted for Google",
			preset:    PresetGoogle,
			assertion: mappedAssertion("ross@octolabs.io", ""),
			wantEmail: "ross@octolabs.io"},
		{name: "email missing, unspecified NameID refused for generic",
			assertion: mappedAssertion("ross@octolabs.io", ""), wantErr: ErrNoEmail},
		{name: "email attribute with two addresses in one value is refused",
			assertion: mappedAssertion("x", "", attr("email", "a@example.com, b@example.com")),
			wantErr:   ErrNoEmail},
		{name: "email attribute with display-name form is refused",
			assertion: mappedAssertion("x", "", attr("email", "Alice <alice@example.com>")),
			wantErr:   ErrNoEmail},
		{name: "first valid value of a multi-valued email attribute",
			assertion: mappedAssertion("x", "", attr("email", "", "alice@example.com",
				"alice2@example.com")),
			wantEmail: "alice@example.com"},
		{name: "admin mapping wins over the preset",
			preset: PresetOkta, mapping: AttributeMapping{Email: "workEmail"},
			assertion: mappedAssertion("x", "", attr("email", "home@example.com"),
				attr("workEmail", "work@example.com")),
			wantEmail: "work@example.com"},
		{name: "admin mapping set and missing does not fall back to the preset names",
			preset: PresetOkta, mapping: AttributeMapping{Email: "workEmail"},
			assertion: mappedAssertion("x", "", attr("email", "home@example.com")),
			wantErr:   ErrNoEmail},
		{name: "email matched by FriendlyName (urn:oid name)",
			assertion: mappedAssertion("x", "", saml.Attribute{
				Name: "urn:oid:0.9.2342.19200300.100.1.3", FriendlyName: "mail",
				Values: []string{"carol@example.com"}}),
			wantEmail: "carol@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Name: "review", Preset: tt.preset, Mapping: tt.mapping}
			p, err := c.Map(tt.assertion)
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				var me *MappingError
				require.True(t, errors.As(err, &me))
				assert.Equal(t, FieldEmail, me.Field)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantEmail, p.Email)
		})
	}
}

// TestMapEmailNameIDMessage: when the NameID is in emailAddress format but
// its value is not an address (IdPs configured to send the username), the
// error names the NameID value and says that it is not a valid address,
// rather than claiming the format is wrong, which would send the admin to
// the wrong IdP setting.
func TestMapEmailNameIDMessage(t *testing.T) {
	c := &Config{Name: "review"}
	_, err := c.Map(mappedAssertion("jdoe", saml.NameIDFormatEmailAddress,
		attr("uid", "jdoe")))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoEmail)
	assert.NotContains(t, err.Error(), "the NameID is not in emailAddress format")
	assert.Contains(t, err.Error(), "jdoe")
}

func TestMapGroupsValues(t *testing.T) {
	tests := []struct {
		name       string
		preset     Preset
		mapping    AttributeMapping
		attrs      []saml.Attribute
		want       []string
		wantHas    []string
		wantHasNot []string
	}{
		{name: "values with spaces are trimmed, inner spaces kept",
			attrs: []saml.Attribute{attr("groups", " Engineering Team ", "\tPartners\n")},
			want:  []string{"Engineering Team", "Partners"}, wantHas: []string{"Engineering Team"},
			wantHasNot: []string{"Engineering", "Team"}},
		{name: "comma in a value is not split without a delimiter",
			attrs:      []saml.Attribute{attr("group", "red,green,blue")},
			want:       []string{"red,green,blue"},
			wantHasNot: []string{"red", "green"}},
		{name: "comma delimiter splits and trims",
			mapping: AttributeMapping{GroupsDelimiter: ","},
			attrs:   []saml.Attribute{attr("group", "red, green,,blue ", "red")},
			want:    []string{"red", "green", "blue"}, wantHas: []string{"green"}},
		{name: "OneLogin-style semicolons",
			mapping: AttributeMapping{GroupsDelimiter: ";"},
			attrs:   []saml.Attribute{attr("memberOf", "a;b; c")},
			want:    []string{"a", "b", "c"}},
		{name: "group names with commas survive when no delimiter is set",
			attrs:      []saml.Attribute{attr("groups", "CN=Eng,OU=Groups,DC=corp,DC=example")},
			want:       []string{"CN=Eng,OU=Groups,DC=corp,DC=example"},
			wantHasNot: []string{"CN=Eng", "Eng"}},
		{name: "case kept and compared exactly for generic",
			attrs:      []saml.Attribute{attr("groups", "Admins", "admins")},
			want:       []string{"Admins", "admins"},
			wantHasNot: []string{"ADMINS"}},
		{name: "Entra object IDs compare without case",
			preset: PresetEntraID,
			attrs: []saml.Attribute{attr(claimEntraGroups,
				"6F2C1A3E-0000-4000-8000-000000000001")},
			want:    []string{"6F2C1A3E-0000-4000-8000-000000000001"},
			wantHas: []string{"6f2c1a3e-0000-4000-8000-000000000001"}},
		{name: "no substring match",
			attrs:      []saml.Attribute{attr("groups", "partners-external")},
			want:       []string{"partners-external"},
			wantHasNot: []string{"partners", "external"}},
		// Some IdPs (and AD FS with two rules issuing the same claim type)
		// send the group attribute twice. The report's JSON "attributes"
		// merges both; the profile should too, or a link for the second
		// group refuses a member.
		{name: "group attribute sent twice",
			attrs: []saml.Attribute{attr("groups", "a"), attr("groups", "b")},
			want:  []string{"a", "b"}, wantHas: []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Name: "review", Preset: tt.preset, Mapping: tt.mapping}
			attrs := append([]saml.Attribute{attr("email", "a@example.com")}, tt.attrs...)
			p, err := c.Map(mappedAssertion("x", "", attrs...))
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Groups)
			for _, g := range tt.wantHas {
				assert.True(t, p.HasGroup(g), "HasGroup(%q)", g)
			}
			for _, g := range tt.wantHasNot {
				assert.False(t, p.HasGroup(g), "HasGroup(%q)", g)
			}
		})
	}
}

func TestEntraOverage(t *testing.T) {
	const email = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	tests := []struct {
		name         string
		preset       Preset
		attrs        []saml.Attribute
		wantOverage  bool
		wantGroups   []string
		wantWarnText string
	}{
		{name: "Entra overage instead of groups", preset: PresetEntraID,
			attrs: []saml.Attribute{attr(email, "a@contoso.com"), attr(ClaimGroupsOverage,
				"https://graph.windows.net/tenant/users/id/getMemberObjects")},
			wantOverage: true, wantWarnText: "overage"},
		{name: "overage recognised with the generic preset too",
			attrs: []saml.Attribute{attr("email", "a@contoso.com"), attr(ClaimGroupsOverage,
				"https://graph.microsoft.com/v1.0/users/id/getMemberObjects")},
			wantOverage: true, wantWarnText: "overage"},
		{name: "overage link is never taken as a group", preset: PresetEntraID,
			attrs: []saml.Attribute{attr(email, "a@contoso.com"),
				attr(claimEntraGroups, "g1"), attr(ClaimGroupsOverage, "https://graph/x")},
			wantOverage: true, wantGroups: []string{"g1"}, wantWarnText: "overage"},
		{name: "no overage", preset: PresetEntraID,
			attrs:      []saml.Attribute{attr(email, "a@contoso.com"), attr(claimEntraGroups, "g1")},
			wantGroups: []string{"g1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Name: "entra", Preset: tt.preset}
			a := mappedAssertion("x", "", tt.attrs...)
			p, err := c.Map(a)
			require.NoError(t, err)
			assert.Equal(t, tt.wantOverage, p.GroupsOverage)
			assert.Equal(t, tt.wantGroups, p.Groups)
			for _, g := range p.Groups {
				assert.NotContains(t, g, "graph")
			}

			r := c.Report(a, ReportOptions{Now: time.Now(), GroupRulesInUse: true})
			var warned bool
			for _, w := range r.Warnings {
				warned = warned || strings.Contains(w.Msg, tt.wantWarnText) &&
					tt.wantWarnText != ""
			}
			assert.Equal(t, tt.wantWarnText != "", warned, "warnings: %v", r.Warnings)
		})
	}
}
