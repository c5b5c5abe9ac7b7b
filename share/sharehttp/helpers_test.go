package sharehttp

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store"
)

// testStart is the fixed instant tests begin at.
var testStart = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// idpKey is one RSA key for every test IdP, since generating one is slow.
var idpKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one running Secure Share: a store, a Service, the handler behind
// an httptest server, a test IdP and a fake Confluence.
type env struct {
	t      testing.TB
	clock  *clock
	store  *store.Store
	svc    *share.Service
	idp    *samltest.IDP
	wiki   *confluencetest.Server
	cfg    Config
	h      *Handler
	srv    *httptest.Server
	client *http.Client
	logs   *syncBuffer
}

// envOptions vary the environment.
type envOptions struct {
	binding           saml.Binding
	allowIDPInitiated bool
	acsLimit          RateLimit
	linkLimit         RateLimit
	allowTest         bool
	clientKey         func(*http.Request) string
	dsn               string // the store's DSN; empty means "memory:"
	// wrapStore, when set, gives the Service wrapStore(store) instead.
	wrapStore func(share.Store) share.Store
	// metadataValidUntil is the IdP's MetadataValidUntil.
	metadataValidUntil time.Time
}

// newEnv starts an environment with the ENG space from addWiki.
func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, clock: &clock{t: testStart}, logs: &syncBuffer{}}

	dsn := o.dsn
	if dsn == "" {
		dsn = "memory:"
	}
	st, err := store.New(ctx, store.Config{DSN: dsn, Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	e.store = st
	var svcStore share.Store = st
	if o.wrapStore != nil {
		svcStore = o.wrapStore(st)
	}
	e.svc, err = share.NewService(share.Config{Store: svcStore, Now: e.clock.Now})
	require.NoError(t, err)

	key, err := idpKey()
	require.NoError(t, err)
	e.idp, err = samltest.New(samltest.Config{EntityID: "https://idp.test/metadata", Key: key,
		Now: func() time.Time { return testStart }})
	require.NoError(t, err)

	e.wiki = confluencetest.NewServer(confluencetest.Config{})
	addWiki(e.wiki)
	ts := confluencetest.Start(t, e.wiki)
	cloud, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		HTTPClient: ts.Client(), Email: confluencetest.DefaultEmail,
		APIToken: confluencetest.DefaultAPIToken, Retry: confluence.RetryConfig{MaxAttempts: 1}})
	require.NoError(t, err)

	e.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + e.srv.Listener.Addr().String()
	cfg := Config{
		Service: e.svc, ReplayCache: st,
		IDPs: map[string]idp.Config{"acme": {
			Name: "acme", EntityID: e.idp.EntityID(), SSOURL: "https://idp.test/sso",
			SSOBinding: o.binding, SLOURL: "https://idp.test/slo",
			SigningCertificates: []*x509.Certificate{e.idp.Certificate()},
			AllowIDPInitiated:   o.allowIDPInitiated,
			MetadataValidUntil:  o.metadataValidUntil,
			Mapping:             idp.AttributeMapping{Email: "email", Groups: "groups"},
		}},
		BaseURL: base, InsecureCookies: true,
		Content:     confluence.NewCache(cloud, confluence.CacheConfig{Now: e.clock.Now}),
		Attachments: cloud, Render: confluence.RenderConfig{SiteURLs: []string{ts.URL + "/wiki"}},
		ACSRateLimit: o.acsLimit, LinkRateLimit: o.linkLimit, ClientKey: o.clientKey,
		Now: e.clock.Now, Logger: newTestLogger(e.logs),
	}
	if o.allowTest {
		cfg.AllowTestLogin = func(r *http.Request) bool { return r.Header.Get("X-Admin") == "yes" }
	}
	e.cfg = cfg
	e.h, err = New(cfg)
	require.NoError(t, err)
	e.srv.Config.Handler = e.h
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	e.client = e.newClient()
	return e
}

// newClient is a browser: a cookie jar, following redirects within our
// servers (on loopback) only.
func (e *env) newClient() *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(e.t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if r.URL.Hostname() != "127.0.0.1" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// addWiki fills the fake Confluence: space ENG with home page 1, its
// children 2 (links, a script, an image) and 3 (restricted), 4 under 2;
// space OPS with page 9.
func addWiki(s *confluencetest.Server) {
	s.AddSpace(confluencetest.Space{ID: "100", Key: "ENG", Name: "Engineering", HomePageID: "1"})
	s.AddSpace(confluencetest.Space{ID: "200", Key: "OPS", Name: "Operations", HomePageID: "9"})
	s.AddPage(confluencetest.Page{ID: "1", SpaceKey: "ENG", Title: "Engineering home",
		Body: "<p>Welcome to engineering.</p>"})
	s.AddPage(confluencetest.Page{ID: "2", SpaceKey: "ENG", ParentID: "1", Title: "Guide",
		Body: `<p>Read the <a href="/wiki/spaces/ENG/pages/4/Install" data-linked-resource-id="4" ` +
			`data-linked-resource-type="page">install notes</a> and ` +
			`<a href="/wiki/spaces/ENG/pages/3/Payroll" data-linked-resource-id="3" ` +
			`data-linked-resource-type="page">payroll</a>.</p>` +
			`<script>alert("xss")</script><p onclick="steal()">Click</p>` +
			`<iframe src="https://evil.example/"></iframe>` +
			`<p><a href="javascript:alert(1)">js</a> <a href="https://go.dev/">Go</a></p>` +
			`<p><img alt="Diagram" src="/wiki/download/attachments/2/diagram.png?api=v2" ` +
			`data-linked-resource-id="att501" data-linked-resource-type="attachment" ` +
			`data-linked-resource-container-id="2" ` +
			`data-linked-resource-default-alias="diagram.png"></p>`})
	s.AddPage(confluencetest.Page{ID: "3", SpaceKey: "ENG", ParentID: "1", Title: "Payroll",
		Restricted: true, Body: "<p>Salaries</p>"})
	s.AddPage(confluencetest.Page{ID: "4", SpaceKey: "ENG", ParentID: "2", Title: "Install",
		Body: "<p>Run the installer.</p>"})
	s.AddPage(confluencetest.Page{ID: "9", SpaceKey: "OPS", Title: "Ops home",
		Body: "<p>Operations only.</p>"})
	s.AddAttachment(confluencetest.Attachment{ID: "att501", PageID: "2", Title: "diagram.png",
		MediaType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nfake")})
	s.AddAttachment(confluencetest.Attachment{ID: "att502", PageID: "2", Title: "evil.html",
		MediaType: "text/html", Data: []byte("<script>alert(1)</script>")})
}

// createLink creates a link and returns its token.
func (e *env) createLink(spec share.LinkSpec) (share.Link, string) {
	e.t.Helper()
	if spec.CreatedBy == "" {
		spec.CreatedBy = "admin@corp.example"
	}
	l, token, err := e.svc.CreateLink(context.Background(), spec)
	require.NoError(e.t, err)
	return l, token
}

// get fetches a path of our server with the env's client.
func (e *env) get(c *http.Client, path string) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.Get(e.srv.URL + path)
	require.NoError(e.t, err)
	return resp, readBody(e.t, resp)
}

// user is someone the test IdP signs in.
type user struct {
	email  string
	groups []string
}

// responseFor builds the IdP's response to the AuthnRequest in loc (the
// redirect to the IdP) for u.
func (e *env) responseFor(loc string, u user, opts *samltest.ResponseOptions) (form url.Values) {
	e.t.Helper()
	reqID, relay := parseAuthnRedirect(e.t, loc)
	o := samltestOptions(e, u)
	if opts != nil {
		o = *opts
	}
	o.InResponseTo = reqID
	v, err := e.idp.PostValue(o)
	require.NoError(e.t, err)
	return url.Values{"SAMLResponse": {v}, "RelayState": {relay}}
}

// startSignIn opens path with c, which must send it to the IdP, and
// returns the IdP's response for u, ready to post.
func (e *env) startSignIn(c *http.Client, path string, u user) url.Values {
	e.t.Helper()
	resp, _ := e.get(c, path)
	require.Equal(e.t, http.StatusSeeOther, resp.StatusCode, "expected a redirect to the IdP")
	return e.responseFor(resp.Header.Get("Location"), u, nil)
}

// postACS posts a form to the ACS with c, following redirects.
func (e *env) postACS(c *http.Client, form url.Values) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.PostForm(e.h.ACSURL(), form)
	require.NoError(e.t, err)
	return resp, readBody(e.t, resp)
}

// login opens path, which must need a sign-in, and signs u in at the test
// IdP. It returns the final answer.
func (e *env) login(c *http.Client, path string, u user) (*http.Response, string) {
	e.t.Helper()
	resp, _ := e.get(c, path)
	require.Equal(e.t, http.StatusSeeOther, resp.StatusCode, "expected a redirect to the IdP")
	loc := resp.Header.Get("Location")
	require.True(e.t, strings.HasPrefix(loc, "https://idp.test/sso?"), loc)
	return e.postACS(c, e.responseFor(loc, u, nil))
}

// parseAuthnRedirect returns the AuthnRequest ID and RelayState of a
// Redirect-binding URL, checking that the RelayState is the request ID.
func parseAuthnRedirect(t testing.TB, loc string) (id, relay string) {
	t.Helper()
	u, err := url.Parse(loc)
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(u.Query().Get("SAMLRequest"))
	require.NoError(t, err)
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	require.NoError(t, err)
	m := regexp.MustCompile(`\sID="([^"]+)"`).FindSubmatch(xml)
	require.NotNil(t, m, "no ID in %s", xml)
	relay = u.Query().Get("RelayState")
	require.Equal(t, string(m[1]), relay, "RelayState must be the request ID")
	return string(m[1]), relay
}

// readBody reads and closes a response body.
func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// audit returns the audit events of kind.
func (e *env) audit(kind share.EventKind) []share.AuditEvent {
	e.t.Helper()
	ev, _, err := e.svc.QueryAudit(context.Background(), share.AuditFilter{Kind: kind})
	require.NoError(e.t, err)
	return ev
}

// samltestOptions is a signed, unsolicited response for u.
func samltestOptions(e *env, u user) samltest.ResponseOptions {
	o := samltest.ResponseOptions{Destination: e.h.ACSURL(), Audience: e.h.EntityID(),
		NameID: u.email, SignAssertion: true, IssueInstant: e.clock.Now(),
		Attributes: []saml.Attribute{{Name: "email", Values: []string{u.email}}}}
	if len(u.groups) > 0 {
		o.Attributes = append(o.Attributes, saml.Attribute{Name: "groups", Values: u.groups})
	}
	return o
}

// cspNonce returns the nonce of an answer's Content-Security-Policy.
func cspNonce(t *testing.T, resp *http.Response) string {
	t.Helper()
	m := regexp.MustCompile(`script-src 'nonce-([^']+)'`).
		FindStringSubmatch(resp.Header.Get("Content-Security-Policy"))
	require.NotNil(t, m, "no script nonce in CSP")
	return m[1]
}

// formValue returns the value of a hidden input of an HTML form.
func formValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(body)
	require.NotNil(t, m, "no %s in form", name)
	return html.UnescapeString(m[1])
}

// sessionCookies lists the names of the cookies the env's client holds.
func (e *env) sessionCookies() string { return e.sessionCookiesOf(e.client) }

// sessionCookiesOf lists the names of the cookies c holds for our server.
func (e *env) sessionCookiesOf(c *http.Client) string {
	u, err := url.Parse(e.srv.URL + "/")
	require.NoError(e.t, err)
	var names []string
	for _, ck := range c.Jar.Cookies(u) {
		names = append(names, ck.Name)
	}
	return strings.Join(names, " ")
}

// hasEvent reports whether an event of kind about page with reason was
// recorded. Events recorded at one instant come back in ID order, so tests
// look for one rather than at the last.
func (e *env) hasEvent(kind share.EventKind, page, reason string) bool {
	for _, ev := range e.audit(kind) {
		if ev.PageID == page && ev.Reason == reason {
			return true
		}
	}
	return false
}
