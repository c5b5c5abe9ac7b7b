package idp

// Claim and attribute names used by more than one vendor.
const (
	claimEmail       = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	claimGivenName   = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	claimSurname     = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	claimName        = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	claimDisplayName = "http://schemas.microsoft.com/identity/claims/displayname"
	claimEntraGroups = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	claimADFSGroup   = "http://schemas.xmlsoap.org/claims/Group"
	claimRole        = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"

	// ClaimGroupsOverage is the attribute Microsoft Entra ID sends instead
	// of the groups claim when a user is in more groups than fit in a SAML
	// token (150). Its value is a Graph API link, not a group.
	ClaimGroupsOverage = "http://schemas.microsoft.com/claims/groups.link"

	oidMail        = "urn:oid:0.9.2342.19200300.100.1.3"
	oidEmail       = "urn:oid:1.2.840.113549.1.9.1"
	oidGivenName   = "urn:oid:2.5.4.42"
	oidSurname     = "urn:oid:2.5.4.4"
	oidCommonName  = "urn:oid:2.5.4.3"
	oidDisplayName = "urn:oid:2.16.840.1.113730.3.1.241"
	oidIsMemberOf  = "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"
	oidMemberOf    = "urn:oid:1.2.840.113556.1.2.102"
)

// Preset names the IdP product a [Config] talks to. A preset supplies the
// attribute names that product sends by default and its quirks; an
// administrator's [AttributeMapping] always wins over it.
//
// The zero value, [PresetGeneric], tries the names every preset knows,
// which suits IdPs not listed here.
type Preset string

// The supported presets.
const (
	PresetGeneric       Preset = ""
	PresetOkta          Preset = "okta"
	PresetEntraID       Preset = "entra"
	PresetADFS          Preset = "adfs"
	PresetGoogle        Preset = "google"
	PresetKeycloak      Preset = "keycloak"
	PresetOneLogin      Preset = "onelogin"
	PresetJumpCloud     Preset = "jumpcloud"
	PresetPing          Preset = "ping"
	PresetAuth0         Preset = "auth0"
	PresetShibboleth    Preset = "shibboleth"
	PresetSimpleSAMLphp Preset = "simplesamlphp"
)

// PresetInfo describes what one IdP product sends by default.
type PresetInfo struct {
	// Preset is the key.
	Preset Preset
	// Title is the product's name for display.
	Title string
	// Email, FirstName, LastName, DisplayName and Groups list the
	// attribute names (Name or FriendlyName) tried, in order, for each
	// profile field. The first attribute present wins.
	Email, FirstName, LastName, DisplayName, Groups []string
	// GroupsOverage lists attributes whose presence means the IdP left
	// groups out because there were too many.
	GroupsOverage []string
	// GroupsCaseInsensitive is true when the product's group values are
	// identifiers that compare without regard to case.
	GroupsCaseInsensitive bool
	// NameIDIsEmail is true when the product's NameID is the user's
	// primary email address whatever its Format says, so that an
	// unspecified-format NameID holding an address is used as the email.
	NameIDIsEmail bool
	// Notes tells an administrator what to configure on the IdP side.
	Notes string
}

var presets = []PresetInfo{
	{
		Preset: PresetOkta, Title: "Okta",
		Email:       []string{"email", "Email", "user.email", claimEmail},
		FirstName:   []string{"firstName", "FirstName", "user.firstName", claimGivenName},
		LastName:    []string{"lastName", "LastName", "user.lastName", claimSurname},
		DisplayName: []string{"displayName", "name"},
		Groups:      []string{"groups", "Groups", "memberOf"},
		Notes: "In the Okta SAML app add attribute statements firstName, lastName and " +
			"email, and a group attribute statement named groups (filter: matches regex .*).",
	},
	{
		Preset: PresetEntraID, Title: "Microsoft Entra ID",
		Email:                 []string{claimEmail, claimName, "email", "mail"},
		FirstName:             []string{claimGivenName},
		LastName:              []string{claimSurname},
		DisplayName:           []string{claimDisplayName},
		Groups:                []string{claimEntraGroups},
		GroupsOverage:         []string{ClaimGroupsOverage},
		GroupsCaseInsensitive: true,
		Notes: "Entra ID sends group object IDs (GUIDs) unless the group claim is set to " +
			"sAMAccountName or display names; use the IDs in link rules. Past 150 groups it " +
			"sends a groups.link claim instead of groups: assign only the groups the " +
			"application needs. App roles arrive in the role claim and are not groups; to " +
			"use them in link rules instead, set the group attribute to " + claimRole + ". " +
			"The entity ID must name your tenant " +
			"(https://sts.windows.net/<tenant-id>/), not {tenantid}.",
	},
	{
		Preset: PresetADFS, Title: "AD FS",
		Email:       []string{claimEmail, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"},
		FirstName:   []string{claimGivenName},
		LastName:    []string{claimSurname},
		DisplayName: []string{claimName, claimDisplayName},
		Groups:      []string{claimADFSGroup, claimRole},
		Notes: "Add issuance transform rules sending E-Mail-Addresses, Given-Name, Surname " +
			"and Token-Groups (unqualified names) as the E-Mail Address, Given Name, " +
			"Surname and Group claims.",
	},
	{
		Preset: PresetGoogle, Title: "Google Workspace",
		Email:         []string{"email", "Email"},
		FirstName:     []string{"firstName", "FirstName", "first_name"},
		LastName:      []string{"lastName", "LastName", "last_name"},
		Groups:        []string{"groups", "Groups"},
		NameIDIsEmail: true,
		Notes: "Google sends the primary email as the NameID and no attributes unless you " +
			"add attribute mappings; groups arrive only if you add a group membership " +
			"mapping (app attribute groups) listing the groups to send.",
	},
	{
		Preset: PresetKeycloak, Title: "Keycloak",
		Email:     []string{oidEmail, "email", "Email"},
		FirstName: []string{oidGivenName, "givenName", "firstName"},
		LastName:  []string{oidSurname, "surname", "lastName"},
		Groups:    []string{"member", "groups"},
		Notes: "Add the X500 email, givenName and surname mappers to the client, and a " +
			"Group list mapper (attribute name groups or member, full group path off). " +
			"The Role attribute Keycloak sends by default lists realm roles " +
			"(offline_access, ...), which are not groups.",
	},
	{
		Preset: PresetOneLogin, Title: "OneLogin",
		Email:     []string{"User.email", "User.Email", "email", "Email"},
		FirstName: []string{"User.FirstName", "User.Firstname", "FirstName", "firstname"},
		LastName:  []string{"User.LastName", "User.Lastname", "LastName", "lastname"},
		Groups:    []string{"memberOf", "groups", "Groups"},
		Notes: "The SAML Custom Connector sends User.email, User.FirstName and " +
			"User.LastName; add a memberOf parameter (semicolon-delimited unless you choose " +
			"multi-value) for groups.",
	},
	{
		Preset: PresetJumpCloud, Title: "JumpCloud",
		Email:     []string{"email", "Email"},
		FirstName: []string{"firstname", "firstName", "FirstName"},
		LastName:  []string{"lastname", "lastName", "LastName"},
		Groups:    []string{"memberOf", "groups"},
		Notes: "Add user attributes email, firstname and lastname, and turn on " +
			"\"Include group attribute\" (default name memberOf).",
	},
	{
		Preset: PresetPing, Title: "PingFederate / PingOne",
		Email:       []string{"email", "mail", "Email", "subject"},
		FirstName:   []string{"given_name", "givenName", "firstName"},
		LastName:    []string{"family_name", "sn", "lastName", "surname"},
		DisplayName: []string{"displayName", "name"},
		Groups:      []string{"memberOf", "groups", "group"},
		Notes: "Fulfil the attribute contract with email, given_name, family_name and " +
			"memberOf; PingFederate may pack several groups into one value, so set a " +
			"groups delimiter if it does.",
	},
	{
		Preset: PresetAuth0, Title: "Auth0",
		Email:       []string{claimEmail, "email"},
		FirstName:   []string{claimGivenName, "given_name"},
		LastName:    []string{claimSurname, "family_name"},
		DisplayName: []string{claimName, "name"},
		Groups:      []string{claimADFSGroup, "groups"},
		Notes: "The SAML2 Web App add-on maps email, given_name, family_name and groups to " +
			"claim URIs by default; groups appear only when a rule or action adds them.",
	},
	{
		Preset: PresetShibboleth, Title: "Shibboleth IdP",
		Email:       []string{oidMail, "mail", "email"},
		FirstName:   []string{oidGivenName, "givenName"},
		LastName:    []string{oidSurname, "sn"},
		DisplayName: []string{oidDisplayName, "displayName", oidCommonName, "cn"},
		Groups:      []string{oidIsMemberOf, "isMemberOf", oidMemberOf, "memberOf"},
		Notes: "Release mail, givenName, sn, displayName and isMemberOf (urn:oid names, " +
			"NameFormat uri) to this SP in attribute-filter.xml.",
	},
	{
		Preset: PresetSimpleSAMLphp, Title: "SimpleSAMLphp",
		Email:       []string{"mail", "email", oidMail},
		FirstName:   []string{"givenName", "firstName", oidGivenName},
		LastName:    []string{"sn", "lastName", oidSurname},
		DisplayName: []string{"displayName", "cn", oidDisplayName},
		Groups:      []string{"groups", "isMemberOf", "memberOf", "eduPersonAffiliation", oidIsMemberOf},
		Notes: "SimpleSAMLphp releases the authentication source's attributes under their " +
			"own names (basic NameFormat); check authsources.php for the names.",
	},
}

// Presets returns every preset except [PresetGeneric], in a stable order.
// The result is a copy that the caller may modify.
func Presets() []PresetInfo {
	out := make([]PresetInfo, len(presets))
	for i, p := range presets {
		out[i] = p.clone()
	}
	return out
}

// String returns the preset's key; "generic" for [PresetGeneric].
func (p Preset) String() string {
	if p == PresetGeneric {
		return "generic"
	}
	return string(p)
}

// Info returns what the preset sends by default, and false when p is not a
// known preset. [PresetGeneric] returns the union of every preset's names.
func (p Preset) Info() (PresetInfo, bool) {
	if p == PresetGeneric {
		return genericInfo(), true
	}
	for _, info := range presets {
		if info.Preset == p {
			return info.clone(), true
		}
	}
	return PresetInfo{}, false
}

// genericInfo merges every preset's names, first occurrence first. The
// generic preset is not case-insensitive for groups: that would merge
// groups that a case-sensitive IdP keeps apart.
func genericInfo() PresetInfo {
	g := PresetInfo{Preset: PresetGeneric, Title: "Other SAML 2.0 IdP",
		Notes: "Send the email address as an attribute named email, or as a NameID in " +
			"emailAddress format; set the attribute names below if they differ."}
	for _, p := range presets {
		g.Email = appendNew(g.Email, p.Email...)
		g.FirstName = appendNew(g.FirstName, p.FirstName...)
		g.LastName = appendNew(g.LastName, p.LastName...)
		g.DisplayName = appendNew(g.DisplayName, p.DisplayName...)
		g.Groups = appendNew(g.Groups, p.Groups...)
		g.GroupsOverage = appendNew(g.GroupsOverage, p.GroupsOverage...)
	}
	return g
}

// clone deep-copies the slices.
func (p PresetInfo) clone() PresetInfo {
	c := p
	c.Email = append([]string(nil), p.Email...)
	c.FirstName = append([]string(nil), p.FirstName...)
	c.LastName = append([]string(nil), p.LastName...)
	c.DisplayName = append([]string(nil), p.DisplayName...)
	c.Groups = append([]string(nil), p.Groups...)
	c.GroupsOverage = append([]string(nil), p.GroupsOverage...)
	return c
}

// appendNew appends the names not already in list.
func appendNew(list []string, names ...string) []string {
	for _, n := range names {
		found := false
		for _, l := range list {
			if l == n {
				found = true
				break
			}
		}
		if !found {
			list = append(list, n)
		}
	}
	return list
}
