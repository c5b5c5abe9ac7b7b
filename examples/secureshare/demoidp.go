package main

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
)

// demoIDPName is the demo IdP's name in URLs, link policies and profiles.
const demoIDPName = "demo"

// demoIDPPath is where the demo IdP is mounted, below the base URL's path.
const demoIDPPath = "/demo-idp"

// maxSAMLRequest bounds an AuthnRequest, encoded and decoded.
const maxSAMLRequest = 64 << 10

// demoUser is someone the demo IdP can sign in.
type demoUser struct {
	Email, First, Last string
	Groups             []string
	About              string
}

// demoUsers are the people on the demo IdP's sign-in page.
var demoUsers = []demoUser{
	{Email: "alice@partner.example", First: "Alice", Last: "Archer",
		Groups: []string{"partners"}, About: "member of the group partners"},
	{Email: "bob@elsewhere.example", First: "Bob", Last: "Baker",
		About: "in no group"},
}

// demoIDP is a pretend identity provider for the demo: it shows a page to
// pick a demo user, with no password, and answers the SP's AuthnRequest
// with a response signed by a samltest.IDP. It answers only the one SP it
// was made for.
type demoIDP struct {
	idp        *samltest.IDP
	prefix     string // path prefix, such as "/demo-idp"
	ssoURL     string
	spEntityID string
	acsURL     string
	log        *slog.Logger
	mux        *http.ServeMux
}

// newDemoIDP returns the demo IdP mounted at base + demoIDPPath, signing
// with kp. Call setSP once the SP's entity ID and ACS URL are known.
func newDemoIDP(base, prefix string, kp *keyPair, log *slog.Logger) (*demoIDP, error) {
	p, err := samltest.New(samltest.Config{EntityID: base + demoIDPPath + "/metadata",
		Key: kp.key, Certificate: kp.cert})
	if err != nil {
		return nil, err
	}
	d := &demoIDP{idp: p, prefix: prefix + demoIDPPath, ssoURL: base + demoIDPPath + "/sso",
		log: log}
	m := http.NewServeMux()
	m.HandleFunc("GET "+d.prefix+"/sso", d.serveSSO)
	m.HandleFunc("POST "+d.prefix+"/sso", d.serveSSO)
	m.HandleFunc("POST "+d.prefix+"/login", d.serveLogin)
	m.HandleFunc("GET "+d.prefix+"/metadata", d.serveMetadata)
	d.mux = m
	return d, nil
}

// config is the demo IdP as the SP trusts it.
func (d *demoIDP) config() idp.Config {
	return idp.Config{Name: demoIDPName, EntityID: d.idp.EntityID(), SSOURL: d.ssoURL,
		SSOBinding: saml.BindingHTTPRedirect, RequireSignedAssertions: true,
		SigningCertificates: []*x509.Certificate{d.idp.Certificate()},
		Mapping: idp.AttributeMapping{Email: "email", FirstName: "firstName",
			LastName: "lastName", Groups: "groups"}}
}

// setSP names the only SP the demo IdP answers.
func (d *demoIDP) setSP(entityID, acsURL string) {
	d.spEntityID, d.acsURL = entityID, acsURL
}

// ServeHTTP implements http.Handler.
func (d *demoIDP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mux.ServeHTTP(w, r)
}

// serveSSO is the SingleSignOnService: it reads the AuthnRequest and
// shows the page to choose a demo user.
func (d *demoIDP) serveSSO(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxSAMLRequest)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, http.StatusBadRequest, "The sign-in request could not be read.", err)
		return
	}
	deflated := r.Method == http.MethodGet
	raw := r.Form.Get("SAMLRequest")
	req, err := d.parseRequest(raw, deflated)
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, "The sign-in request was refused.", err)
		return
	}
	d.page(w, r, "choose", loginPage{Request: req.ID, SAMLRequest: raw, Deflated: deflated,
		RelayState: r.Form.Get("RelayState"), Action: d.prefix + "/login", Users: demoUsers})
}

// serveLogin signs the chosen demo user in: it answers the AuthnRequest
// (read again from the form) with a page that posts a signed response to
// the SP's ACS.
func (d *demoIDP) serveLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxSAMLRequest)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, http.StatusBadRequest, "The form could not be read.", err)
		return
	}
	req, err := d.parseRequest(r.PostForm.Get("SAMLRequest"),
		r.PostForm.Get("Deflated") == "true")
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, "The sign-in request was refused.", err)
		return
	}
	u, ok := findDemoUser(r.PostForm.Get("user"))
	if !ok {
		d.fail(w, r, http.StatusBadRequest, "Choose one of the demo users.", nil)
		return
	}

	resp, err := d.idp.PostValue(d.responseOptions(req.ID, u))
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "The response could not be signed.", err)
		return
	}
	d.page(w, r, "post", postPage{Action: d.acsURL, SAMLResponse: resp,
		RelayState: r.PostForm.Get("RelayState"), User: u.Email})
}

// serveMetadata answers the demo IdP's metadata, for the curious.
func (d *demoIDP) serveMetadata(w http.ResponseWriter, r *http.Request) {
	md, err := d.idp.Metadata(d.ssoURL, "")
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "No metadata.", err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(md)
}

// authnRequest is what the demo IdP reads of an AuthnRequest (SAML 2.0
// Core, section 3.4.1). Its signature, if any, is not checked: the IdP
// answers only its one SP, at that SP's ACS, whatever the request says.
type authnRequest struct {
	XMLName xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:protocol AuthnRequest"`
	ID      string   `xml:"ID,attr"`
	ACSURL  string   `xml:"AssertionConsumerServiceURL,attr"`
	Issuer  string   `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
}

// parseRequest decodes a SAMLRequest, DEFLATEd for the HTTP-Redirect
// binding (SAML 2.0 Bindings, section 3.4.4.1) or not for HTTP-POST, and
// checks that it comes from our SP and asks for our ACS.
func (d *demoIDP) parseRequest(value string, deflated bool) (*authnRequest, error) {
	if value == "" {
		return nil, errors.New("no SAMLRequest")
	}
	if len(value) > maxSAMLRequest {
		return nil, errors.New("SAMLRequest too large")
	}
	data, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, fmt.Errorf("SAMLRequest is not base64: %w", err)
	}
	if deflated {
		data, err = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(data)),
			maxSAMLRequest+1))
		if err != nil {
			return nil, fmt.Errorf("SAMLRequest is not DEFLATE: %w", err)
		}
		if len(data) > maxSAMLRequest {
			return nil, errors.New("SAMLRequest too large")
		}
	}

	var req authnRequest
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("SAMLRequest is not an AuthnRequest: %w", err)
	}
	switch {
	case req.ID == "":
		return nil, errors.New("AuthnRequest has no ID")
	case strings.TrimSpace(req.Issuer) != d.spEntityID:
		return nil, fmt.Errorf("AuthnRequest from %q; this demo IdP answers only %q",
			req.Issuer, d.spEntityID)
	case req.ACSURL != "" && req.ACSURL != d.acsURL:
		return nil, fmt.Errorf("AuthnRequest asks for ACS %q; this demo IdP posts only to %q",
			req.ACSURL, d.acsURL)
	}
	return &req, nil
}

// responseOptions describes the signed response for u to request id.
func (d *demoIDP) responseOptions(id string, u demoUser) samltest.ResponseOptions {
	attrs := []saml.Attribute{
		{Name: "email", Values: []string{u.Email}},
		{Name: "firstName", Values: []string{u.First}},
		{Name: "lastName", Values: []string{u.Last}},
	}
	if len(u.Groups) > 0 {
		attrs = append(attrs, saml.Attribute{Name: "groups", Values: u.Groups})
	}
	return samltest.ResponseOptions{Destination: d.acsURL, Audience: d.spEntityID,
		InResponseTo: id, NameID: u.Email, Attributes: attrs,
		SignResponse: true, SignAssertion: true}
}

// loginPage is the data of the page to choose a user.
type loginPage struct {
	Request, SAMLRequest, RelayState, Action string
	Deflated                                 bool
	Users                                    []demoUser
}

// postPage is the data of the page that posts the response to the ACS.
type postPage struct {
	Action, SAMLResponse, RelayState, User string
}

// demoPageData wraps a page's data with the CSP nonce.
type demoPageData struct {
	Nonce string
	Data  any
	Msg   string
}

// page writes one of idpPages with a CSP that allows only its own nonce
// and forms to this origin.
func (d *demoIDP) page(w http.ResponseWriter, r *http.Request, name string, data any) {
	d.pageStatus(w, r, http.StatusOK, name, demoPageData{Data: data})
}

// fail shows a page saying what went wrong; err, when not nil, is logged.
func (d *demoIDP) fail(w http.ResponseWriter, r *http.Request, status int, msg string,
	err error) {
	if err != nil {
		d.log.WarnContext(r.Context(), "demo IdP refused a request", slog.String("error",
			err.Error()))
		msg += " " + err.Error()
	}
	d.pageStatus(w, r, status, "error", demoPageData{Msg: msg})
}

func (d *demoIDP) pageStatus(w http.ResponseWriter, r *http.Request, status int, name string,
	data demoPageData) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	data.Nonce = base64.RawURLEncoding.EncodeToString(b[:])
	var buf bytes.Buffer
	if err := idpPages.ExecuteTemplate(&buf, name, data); err != nil {
		d.log.ErrorContext(r.Context(), "demo IdP page", slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeDemoPage(w, status, "default-src 'none'; style-src 'nonce-"+data.Nonce+
		"'; script-src 'nonce-"+data.Nonce+"'; form-action 'self'; base-uri 'none'; "+
		"frame-ancestors 'none'", buf.Bytes())
}

// writeDemoPage writes an HTML page of the demo with its Content-Security-
// Policy and headers that keep it out of caches, frames and Referers.
func writeDemoPage(w http.ResponseWriter, status int, csp string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// findDemoUser returns the demo user with email.
func findDemoUser(email string) (demoUser, bool) {
	for _, u := range demoUsers {
		if u.Email == email {
			return u, true
		}
	}
	return demoUser{}, false
}

// idpPages are the demo IdP's pages. html/template escapes every value.
var idpPages = template.Must(template.New("demo").Parse(`
{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo identity provider</title><style nonce="{{.Nonce}}">
body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#172b4d}
.banner{background:#fffae6;border:1px solid #ff991f;padding:.75rem 1rem;border-radius:4px}
button{font:inherit;padding:.6rem 1rem;margin:.4rem 0;width:100%;text-align:left;cursor:pointer;
background:#fff;border:1px solid #c1c7d0;border-radius:4px}
button:hover{border-color:#0052cc}small{color:#5e6c84}</style></head><body>
<p class="banner"><strong>Demo identity provider.</strong> This is not a real sign-in: anyone
can choose any user, and no password is asked. Run Secure Share with
<code>--idp-metadata</code> to use your organisation's IdP.</p>{{end}}

{{define "choose"}}{{template "head" .}}
<h1>Sign in as&hellip;</h1>
<p>Secure Share asked who you are (request <code>{{.Data.Request}}</code>).</p>
{{range .Data.Users}}
<form method="post" action="{{$.Data.Action}}">
<input type="hidden" name="SAMLRequest" value="{{$.Data.SAMLRequest}}">
<input type="hidden" name="Deflated" value="{{$.Data.Deflated}}">
<input type="hidden" name="RelayState" value="{{$.Data.RelayState}}">
<input type="hidden" name="user" value="{{.Email}}">
<button type="submit">{{.First}} {{.Last}} &lt;{{.Email}}&gt;<br><small>{{.About}}</small></button>
</form>{{end}}
</body></html>{{end}}

{{define "post"}}{{template "head" .}}
<h1>Signing in as {{.Data.User}}&hellip;</h1>
<form id="saml-post" method="post" action="{{.Data.Action}}">
<input type="hidden" name="SAMLResponse" value="{{.Data.SAMLResponse}}">
<input type="hidden" name="RelayState" value="{{.Data.RelayState}}">
<noscript><button type="submit">Continue to Secure Share</button></noscript>
</form>
<script nonce="{{.Nonce}}">document.getElementById("saml-post").submit();</script>
</body></html>{{end}}

{{define "error"}}{{template "head" .}}
<h1>Sign-in not possible</h1><p>{{.Msg}}</p>
</body></html>{{end}}
`))
