// Package saml is the service-provider side of SAML 2.0 Web Browser SSO
// (SAML 2.0 Profiles, section 4.1): SP metadata, IdP metadata parsing,
// AuthnRequests over the HTTP-Redirect and HTTP-POST bindings, validation of
// the Response an IdP posts to the Assertion Consumer Service, and Single
// Logout messages. It keeps no storage and no HTTP server state; the caller
// remembers outstanding request IDs and supplies a [ReplayCache].
//
// # Validating a response
//
// A [Verifier] is configured once per IdP with the SP's entity ID and ACS
// URLs, the IdP's entity ID and signing certificates, and a clock. Each
// posted SAMLResponse is then checked by [Verifier.Verify]:
//
//	v, err := saml.NewVerifier(saml.VerifierConfig{
//		SPEntityID:      "https://share.example.com/saml/metadata",
//		ACSURLs:         []string{"https://share.example.com/saml/acs"},
//		IDPEntityID:     md.EntityID,
//		IDPCertificates: md.SigningCertificates,
//		ReplayCache:     sharedCache,
//	})
//	...
//	a, err := v.Verify(ctx, []byte(r.PostFormValue("SAMLResponse")), outstandingIDs)
//
// The document is parsed once, with DTDs, processing instructions, duplicate
// IDs and names that would not survive a round trip through encoding/xml
// refused. Signatures are checked with configured certificates only, never
// with a key from the message's KeyInfo, and every value in the returned
// [Assertion] is read from the element that the signature check returned,
// so content outside the signed element (signature wrapping) is never used.
// A Response must carry exactly one assertion. Either the Response or the
// Assertion must be signed, or both; [VerifierConfig.RequireSignedAssertions]
// insists on the latter.
//
// Every refusal is a *[ValidationError] whose [Check] names the rule that
// failed and whose Want and Got fields hold the compared values, or a
// *[StatusError] when the IdP itself reported a failure.
//
// # Metadata
//
// [SPMetadata] renders our EntityDescriptor for the IdP administrator, and
// [ParseIDPMetadata] reads an IdP's, choosing the entity from an
// EntitiesDescriptor by ID (or the only one with an IDPSSODescriptor),
// keeping every signing certificate for key rollover, refusing metadata
// past its validUntil, and, when [MetadataOptions.TrustedCertificates] is
// set, requiring a valid signature by one of them. [ParseCertificate]
// accepts a certificate pasted in any of the usual shapes.
//
// # Requests and logout
//
// A [RequestBuilder] makes AuthnRequests for the HTTP-Redirect binding
// (a URL, signed over the query string when a key is configured) and the
// HTTP-POST binding (a [PostForm] whose WriteHTML takes a CSP nonce). Each
// returns the request ID, which the caller keeps and later passes to
// [Verifier.Verify]. The same builder makes LogoutRequests and
// LogoutResponses; a [LogoutVerifier] checks those an IdP sends, by
// Redirect (pass the raw query string untouched) or by POST.
//
// # What is not supported
//
// The Artifact and SOAP bindings, SAML 1.1, EncryptedAttribute, assertions
// carrying Advice, signatures with XPath or inclusive canonicalisation
// transforms, and RSA-SHA1 or SHA-1 digests unless an administrator allows
// them per IdP ([VerifierConfig.InsecureAllowSHA1]).
package saml
