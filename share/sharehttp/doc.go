// Package sharehttp is the http.Handler a host application mounts to let
// outsiders read shared Confluence content after signing in at a trusted
// SAML identity provider. It ties together the saml, idp, share and
// confluence packages and owns the web security around them.
//
// # Routes
//
// Every route lives under the path of Config.BaseURL (shown here as the
// root). Mount the handler at that path without stripping it:
//
//	GET  /saml/metadata                   SP metadata; its URL is the entity ID
//	GET  /saml/login/{idp}?return=PATH    SP-initiated sign-in
//	POST /saml/acs                        Assertion Consumer Service (HTTP-POST)
//	GET  /saml/slo, POST /saml/slo        Single Logout (Redirect and POST)
//	POST /saml/logout                     the viewer signs out (same-origin only)
//	GET  /saml/test/{idp}                 Test Configuration sign-in (admins)
//	GET  /saml/resume/{link}              where a link's sign-in comes back to
//	GET  /s/                              signed-in status; default RelayState
//	GET  /s/{token}                       a link's landing page
//	GET  /s/{token}/p/{page}              another page in the link's scope
//	GET  /s/{token}/a/{page}/{attachment} an attachment or image of such a page
//
// A host adds its own admin pages beside these, for example:
//
//	h, err := sharehttp.New(sharehttp.Config{
//		Service: svc, IDPs: idps, Content: cache, Attachments: client,
//		BaseURL: "https://share.example.com", SigningKey: key, SigningCertificate: cert,
//		ReplayCache: st, AllowTestLogin: isAdmin,
//	})
//	mux.Handle("/", h)
//	mux.Handle("/admin/", adminPages)
//
// # Signing in
//
// A link route asks share.Service.Open for a decision. When it needs a
// sign-in, the handler sends an AuthnRequest to the IdP the decision names
// (or lets the viewer choose), by the IdP's binding, with the request's ID
// as RelayState. The request is remembered server-side through
// Service.SaveAuthnRequest, so the IdP's cross-site POST to the ACS finds it
// without any cookie, on any instance sharing the store. The ACS consumes
// the request (once), verifies the response with that IdP's saml.Verifier
// and InResponseTo, maps a profile, starts a session and redirects.
// A response whose request was already answered is refused; so is an
// unsolicited one unless an IdP has AllowIDPInitiated, in which case it
// lands on its RelayState when that is a safe local path (see
// [SafeReturnPath]) and on Config.DefaultReturnPath otherwise.
//
// A request's state is not tied to the browser that started it: as with
// any SAML SP, whoever holds a fresh response for their own account can
// make another browser post it (login CSRF). The session is then theirs,
// not the victim's, and shows only what they may see.
//
// An IdP's LogoutRequest must be signed by it; it ends the sessions it
// names (by NameID and SessionIndex) and the session of the browser that
// brought it. Its ID is claimed in the replay cache, so the same signed
// request opened again, within the minutes it is valid, ends nothing.
//
// Link tokens are never stored: while the viewer signs in, the token waits
// in an HttpOnly cookie scoped to /saml/resume/{link ID}, and the stored
// return path names only the link ID.
//
// # Web security
//
// The session cookie is HttpOnly, SameSite=Lax, Secure and __Host-
// prefixed (unless Config.InsecureCookies for plain HTTP on loopback), and
// gets a new ID at every sign-in. Every answer carries Referrer-Policy:
// no-referrer, so a token in our URL never leaks to a site a page links
// to, and a Content-Security-Policy with no inline script except what
// carries a per-response nonce (the HTTP-POST binding's auto-submit form),
// images from us only, forms only to us and the configured IdPs, and the
// configured frame-ancestors ('none' by default). Page HTML is rewritten
// and sanitised by confluence.Renderer: links to pages outside the share
// become text, links to withheld pages go with their text and list item,
// external links get rel="noopener noreferrer nofollow", and
// no outgoing link carries a token. Attachments are served sandboxed;
// only common raster images are shown inline.
//
// The ACS, the link routes and the sign-in route are rate-limited per
// client. Every decision
// is recorded through the Service (link opened or denied, login succeeded
// or failed with the failed check). Denials are pages that say why and
// what to do, with 401, 403, 404, 410 or 429 as fits.
//
// # Not supported
//
// The Artifact binding, several decryption keys at once (for a rollover of
// the encryption key), and a choice of IdP remembered across visits. Single
// Logout ends sessions on this SP; a LogoutResponse is sent by the
// Redirect binding only.
package sharehttp
