package saml

import "time"

// Assertion is the verified result of [Verifier.Verify]: every field comes
// from the element that the signature check returned, never from unsigned
// parts of the message.
//
// Assertion carries no XML. Its zero value is not a valid assertion.
type Assertion struct {
	// ID is the assertion's ID attribute, the key for replay protection.
	ID string
	// Issuer is the IdP entity ID the assertion names.
	Issuer string
	// ResponseID is the ID of the enclosing Response.
	ResponseID string
	// InResponseTo is the AuthnRequest ID the response answers; empty for
	// an unsolicited (IdP-initiated) response.
	InResponseTo string
	// IssueInstant is when the IdP issued the assertion.
	IssueInstant time.Time

	// Subject is the assertion's NameID, decrypted when it was an
	// EncryptedID.
	Subject NameID
	// SessionIndex is the AuthnStatement's SessionIndex, used for Single
	// Logout; empty when the IdP sent none.
	SessionIndex string
	// AuthnInstant is when the user authenticated at the IdP.
	AuthnInstant time.Time
	// SessionNotOnOrAfter is the end of the IdP session the AuthnStatement
	// allows; zero when the IdP set no limit.
	SessionNotOnOrAfter time.Time
	// AuthnContextClassRef names how the user authenticated, for example
	// urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport.
	AuthnContextClassRef string

	// NotBefore and NotOnOrAfter are the Conditions' validity window; either
	// is zero when absent.
	NotBefore    time.Time
	NotOnOrAfter time.Time
	// Expires is how long a replay cache must keep the assertion's ID: the
	// earliest of Conditions/@NotOnOrAfter and the bearer
	// SubjectConfirmationData/@NotOnOrAfter, plus the largest clock skew
	// any Verifier allows (10 minutes), so that verifiers with different
	// skews can share a cache. It is not a session lifetime: use
	// SessionNotOnOrAfter for that.
	Expires time.Time

	// Attributes holds every Attribute of every AttributeStatement, in
	// document order.
	Attributes []Attribute

	// ResponseSigned and AssertionSigned report which signatures were
	// verified. At least one is true.
	ResponseSigned  bool
	AssertionSigned bool
	// Encrypted is true when the assertion arrived as an EncryptedAssertion.
	Encrypted bool
	// SignatureAlgorithm is the URI of the signature algorithm that
	// protected the assertion (the assertion's own signature when present).
	SignatureAlgorithm string
}

// NameID is a SAML name identifier (SAML 2.0 Core, section 2.2.3).
type NameID struct {
	// Value is the full text content of the NameID.
	Value string
	// Format is the Format attribute; empty means
	// urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified.
	Format          string
	NameQualifier   string
	SPNameQualifier string
}

// Attribute is one SAML attribute (SAML 2.0 Core, section 2.7.3.1).
type Attribute struct {
	// Name is the attribute's Name, such as "email" or
	// "urn:oid:0.9.2342.19200300.100.1.3".
	Name string
	// NameFormat is the NameFormat URI; empty when the IdP sent none.
	NameFormat string
	// FriendlyName is the optional human-readable name.
	FriendlyName string
	// Values are the text of every AttributeValue, in document order. A
	// value with xsi:nil="true" or no text is the empty string.
	Values []string
}

// Attribute returns the first attribute whose Name or FriendlyName equals
// name, and whether there was one.
func (a *Assertion) Attribute(name string) (Attribute, bool) {
	for _, at := range a.Attributes {
		if at.Name == name || (at.FriendlyName != "" && at.FriendlyName == name) {
			return at, true
		}
	}
	return Attribute{}, false
}
