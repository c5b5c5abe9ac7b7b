// Package samltest provides a test SAML 2.0 identity provider that issues
// real, signed (and optionally encrypted) Responses, the way
// net/http/httptest provides a test server.
//
// An [IDP] holds a signing key and certificate, either given or generated.
// [IDP.Response] builds a Response to an SP's AuthnRequest (or an
// unsolicited one) shaped like the output of common IdPs: saml2p and saml2
// prefixes, exclusive canonicalisation with an enveloped-signature
// transform, the Signature placed right after the Issuer, xs:string
// attribute values, an AudienceRestriction, a bearer SubjectConfirmation
// and an AuthnStatement. [IDP.PostValue] returns the same document as the
// base64 form value an IdP would post to the SP's Assertion Consumer
// Service. [IDP.Metadata] describes the IdP for the SP.
//
// Tests that need a broken or hostile message (a wrapping attack, a
// tampered value, a second assertion) can build the XML by hand and pass it
// to [IDP.Sign], which (re-)signs the Response, its Assertions, or both.
//
//	idp, err := samltest.New(samltest.Config{EntityID: "https://idp.example.com"})
//	...
//	form, err := idp.PostValue(samltest.ResponseOptions{
//		Destination:   "https://sp.example.com/saml/acs",
//		Audience:      "https://sp.example.com/saml/metadata",
//		InResponseTo:  requestID,
//		NameID:        "alice@example.com",
//		SignAssertion: true,
//	})
//
// # Determinism
//
// With a fixed Config.Now, a fixed Config.Rand and an RSA key, output is
// byte-for-byte reproducible (RSA PKCS#1 v1.5 signatures are
// deterministic). ECDSA signatures and generated keys always use fresh
// randomness from crypto/rand, whatever Config.Rand is.
//
// This package is for tests and demos. It performs no authentication, keeps
// no sessions, and does not parse AuthnRequests.
package samltest
