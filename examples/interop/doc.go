// Package interop is the interoperability suite of issue 7: it signs in
// through real SAML identity providers running on loopback, with no
// browser, against the reference server of examples/secureshare.
//
// The tests are in the package's _test.go files and skip unless
// SECURESHARE_INTEROP=1. With it set, an IdP that cannot be installed or
// started fails its test: a Debian or npm package that stops installing
// is a failure of the suite, not a skip. Installing needs root (apt-get,
// npm); run it as
//
//	SECURESHARE_INTEROP=1 go test ./examples/interop/ -v
//
// Each IdP test builds the reference binary, starts it on a free port with
// a temporary data directory, configures the IdP from the server's own
// /saml/metadata, starts the IdP on another free port, restarts the server
// with the IdP's metadata, and then drives sign-ins the way a person would:
// it opens a link, follows the redirect or the auto-submit form to the
// IdP, fills in the IdP's login form, follows the IdP's auto-submit form
// back to the ACS and reads the shared page.
//
// The IdPs are SimpleSAMLphp, LemonLDAP::NG, pysaml2 and Lasso from Debian
// and saml-idp from npm. pysaml2 and Lasso are libraries: the web servers
// around them (users with passwords, a login form, an IdP session, SSO in
// both bindings, IdP-initiated sign-in and Single Logout) are ours, in
// testdata/pysaml2_idp.py and testdata/lasso_idp.py, run by Debian's
// /usr/bin/python3.
//
// serve cannot allow IdP-initiated sign-in for an IdP from its flags, so
// each test first shows such a response refused. It then restarts the
// server without the flag IdPs, adds the IdP again on the admin pages
// (admin session, CSRF token, metadata URL, "Allow IdP-initiated
// sign-in"), and checks that the IdP's unsolicited response lands on the
// default relay state with a session, and, where the IdP supports Single
// Logout, that a logout started here (POST /saml/logout) or at the IdP
// ends both sessions.
//
// SECURESHARE_INTEROP_LOGS=DIR keeps every test's logs (the server's, the
// IdP's and the pages seen) in DIR/TEST; without it they go to a temporary
// directory and are printed when a test fails. SECURESHARE_INTEROP_CACHE
// sets where npm packages are installed (default: the user cache directory).
package interop
