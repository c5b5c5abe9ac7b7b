// Package benchmarks compares the SAML Response validation of Secure Share's
// saml package with two peer libraries, github.com/crewjam/saml and
// github.com/russellhaering/gosaml2, on the same signed Okta-shaped
// Responses, and measures two floors under all of them.
//
// It is a separate module so that the SDK never depends on the peers. The
// package has no code of its own besides this comment: the benchmarks and
// the tests that check every library accepts (and refuses) the fixtures
// are in its _test.go files, and the fixtures come from internal/fixture.
// See README.md for the command and the results.
package benchmarks
