package idp

import (
	"github.com/secureshare/secureshare/internal/asciifold"
	"github.com/secureshare/secureshare/saml"
)

// Profile is what Secure Share knows about a signed-in person, mapped from
// a verified [saml.Assertion] by an IdP's attribute mapping.
type Profile struct {
	// IDP is the name of the IdP configuration that signed the person in.
	IDP string
	// Issuer is that IdP's entity ID, from the verified assertion. A name
	// can be given to another IdP later; the entity ID tells whether the
	// IdP that signed the person in is still the one configured under IDP.
	Issuer string
	// Email is the person's email address, always present and lower-cased
	// in its domain part.
	Email string
	// FirstName, LastName and DisplayName are empty when the IdP sent none.
	FirstName   string
	LastName    string
	DisplayName string
	// Groups are the values of the group attribute, trimmed, in the order
	// the IdP sent them, without empty values or duplicates.
	Groups []string
	// GroupsOverage is true when the IdP said the person is in more groups
	// than it could put in the assertion (Entra ID's groups.link claim). A
	// group-restricted link must then fail closed.
	GroupsOverage bool
	// GroupsCaseInsensitive is true when group values are identifiers that
	// compare without regard to case (Entra ID object IDs).
	GroupsCaseInsensitive bool
	// NameID is the assertion's subject.
	NameID saml.NameID
	// SessionIndex is the IdP session, for Single Logout.
	SessionIndex string
	// Attributes holds every attribute the IdP sent, unmapped.
	Attributes []saml.Attribute
}

// HasGroup reports whether the profile lists group g: an exact match, or a
// match without regard to ASCII case when GroupsCaseInsensitive is set. It never
// matches part of a group name. HasGroup knows nothing of GroupsOverage: a
// caller enforcing group membership must check GroupsOverage first and
// refuse, because the IdP left the groups out.
func (p Profile) HasGroup(g string) bool {
	for _, x := range p.Groups {
		if x == g || (p.GroupsCaseInsensitive && asciifold.Equal(x, g)) {
			return true
		}
	}
	return false
}
