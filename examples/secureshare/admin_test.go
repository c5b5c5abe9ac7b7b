package main

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// adminSignIn signs c in to the demo's admin pages and returns the links
// page it lands on.
func adminSignIn(t *testing.T, d *demo, c *http.Client) string {
	t.Helper()
	resp, err := c.PostForm(d.url("/admin/login"),
		url.Values{"user": {d.s.admin.user}, "password": {d.s.admin.password}})
	require.NoError(t, err)
	page := body(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	require.Equal(t, "/admin/links", resp.Request.URL.Path)
	return page
}

// adminGet fetches an admin page that must answer 200.
func adminGet(t *testing.T, d *demo, c *http.Client, path string) (*url.URL, string) {
	t.Helper()
	resp, page := get(t, c, d.url(path))
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	require.Equal(t, path, resp.Request.URL.RequestURI(), "not sent to sign in")
	return resp.Request.URL, page
}

// formWith returns the form of page that posts to action.
func formWith(t *testing.T, page, action string) htmlForm {
	t.Helper()
	for _, f := range forms(page) {
		if f.action == action {
			return f
		}
	}
	t.Fatalf("no form posting to %s in %s", action, page)
	return htmlForm{}
}

var linkURLRE = regexp.MustCompile(`id="link-url" name="url" value="([^"]*)"`)

// createLink submits the create form with fields and returns the new
// link's URL and ID.
func createLink(t *testing.T, d *demo, c *http.Client, fields url.Values) (string, string) {
	t.Helper()
	page := submitLinkForm(t, d, c, fields)
	m := linkURLRE.FindStringSubmatch(page)
	require.NotNil(t, m, "no link URL on %s", page)
	linkURL := html.UnescapeString(m[1])

	l, err := d.s.svc.LinkByToken(t.Context(), linkURL[strings.LastIndex(linkURL, "/")+1:])
	require.NoError(t, err)
	return linkURL, l.ID
}

// submitLinkForm fills the new-link form with fields, submits it, and
// returns the answer, which must be 200.
func submitLinkForm(t *testing.T, d *demo, c *http.Client, fields url.Values) string {
	t.Helper()
	base, page := adminGet(t, d, c, "/admin/links")
	f := formWith(t, page, "/admin/links")
	for k, v := range fields {
		f.values[k] = v
	}
	resp, page := submit(t, c, base, f)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	return page
}

func TestAdminSignIn(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)

	resp, err := c.PostForm(d.url("/admin/login"),
		url.Values{"user": {"admin"}, "password": {"wrong"}})
	require.NoError(t, err)
	page := body(t, resp)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, page, "Wrong user name or password")
	assert.Empty(t, resp.Cookies(), "no session for a wrong password")

	for _, path := range []string{"/admin/", "/admin/links", "/admin/spaces",
		"/admin/spaces/DEMO", "/admin/sp", "/admin/idps", "/admin/audit", "/admin/audit.csv",
		"/admin/links/x", "/admin/spaces/DEMO/suspend"} {
		resp, _ := get(t, c, d.url(path))
		assert.Equal(t, "/admin/login", resp.Request.URL.Path, path)
	}

	adminSignIn(t, d, c)
	_, page = adminGet(t, d, c, "/admin/links")
	assert.Contains(t, page, "Demo: partner programme")
	resp, _ = get(t, c, d.url("/admin/links"))
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		assert.Equal(t, want, resp.Header.Get(k))
	}
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.NotContains(t, resp.Header.Get("Content-Security-Policy"), "unsafe-inline")

	u, page := adminGet(t, d, c, "/admin/links")
	resp, _ = submit(t, c, u, formWith(t, page, "/admin/logout"))
	assert.Equal(t, "/admin/login", resp.Request.URL.Path)
	resp, _ = get(t, c, d.url("/admin/links"))
	assert.Equal(t, "/admin/login", resp.Request.URL.Path, "signed out")

	// Sign-ins, the failed one and the sign-out are in the audit log.
	var kinds, actors []string
	events, _, err := d.s.svc.QueryAudit(t.Context(), share.AuditFilter{})
	require.NoError(t, err)
	for _, e := range events {
		if strings.HasPrefix(string(e.Kind), "admin.") {
			kinds, actors = append(kinds, string(e.Kind)), append(actors, e.Actor)
		}
	}
	assert.Equal(t, []string{string(share.EventAdminSignInFailed),
		string(share.EventAdminSignedIn), string(share.EventAdminSignedOut)}, kinds)
	assert.Equal(t, []string{"", d.s.admin.user, d.s.admin.user}, actors,
		"a failed sign-in is nobody's known act")
}

func TestAdminSignInRateLimited(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	var last int
	for range adminLoginBurst + 1 {
		resp, err := c.PostForm(d.url("/admin/login"),
			url.Values{"user": {"admin"}, "password": {"wrong"}})
		require.NoError(t, err)
		body(t, resp)
		last = resp.StatusCode
	}
	assert.Equal(t, http.StatusTooManyRequests, last)
}

// TestAdminSignInNotLockedOutFromElsewhere: failures from many addresses
// hold back the addresses that failed, not the admin signing in from an
// address with a clean record.
func TestAdminSignInNotLockedOutFromElsewhere(t *testing.T) {
	d := startDemo(t, t.TempDir(), "--client-ip-header", "X-Forwarded-For")
	post := func(from, password string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, d.url("/admin/login"),
			strings.NewReader(url.Values{"user": {d.s.admin.user}, "password": {password}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", from)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		resp, err := c.Do(req)
		require.NoError(t, err)
		body(t, resp)
		return resp.StatusCode
	}
	// Enough failures from enough addresses to use up the overall allowance.
	for i := range adminAllFailuresBurst/adminLoginBurst + 2 {
		for range adminLoginBurst {
			post(fmt.Sprintf("192.0.2.%d", i+1), "wrong")
		}
	}
	assert.Equal(t, http.StatusTooManyRequests, post("192.0.2.1", "wrong"), "a guessing address is held back")
	assert.Equal(t, http.StatusTooManyRequests, post("192.0.2.1", d.s.admin.password),
		"even with the right password: a held-back address learns nothing")
	assert.Equal(t, http.StatusSeeOther, post("198.51.100.7", d.s.admin.password),
		"the admin, from a clean address, signs in")
	assert.Equal(t, http.StatusUnauthorized, post("198.51.100.8", "wrong"),
		"a clean address's first wrong guess is checked, and counted")
	assert.Equal(t, http.StatusTooManyRequests, post("198.51.100.8", "wrong"),
		"and then it is held back with the others while the overall allowance is used up")
}

func TestAdminCSRF(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	fields := url.Values{"space": {demoSpace}, "scope": {"space"}, "groups": {"partners"}}

	resp, err := c.PostForm(d.url("/admin/links"), fields)
	require.NoError(t, err)
	body(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no token")

	fields.Set("csrf", "forged")
	resp, err = c.PostForm(d.url("/admin/links"), fields)
	require.NoError(t, err)
	body(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "wrong token")

	_, page := adminGet(t, d, c, "/admin/links")
	fields.Set("csrf", formWith(t, page, "/admin/links").values.Get("csrf"))
	req, err := http.NewRequest(http.MethodPost, d.url("/admin/links"),
		strings.NewReader(fields.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err = c.Do(req)
	require.NoError(t, err)
	body(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "foreign origin")

	// What browsers send: Sec-Fetch-Site decides, and "Origin: null"
	// (from our no-referrer pages) is not held against a same-origin form.
	for _, h := range []struct {
		site, origin string
		want         int
	}{
		{"cross-site", "https://evil.example", http.StatusForbidden},
		{"same-site", "null", http.StatusForbidden},
		{"cross-site", "", http.StatusForbidden},
	} {
		req, err := http.NewRequest(http.MethodPost, d.url("/admin/links"),
			strings.NewReader(fields.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", h.site)
		if h.origin != "" {
			req.Header.Set("Origin", h.origin)
		}
		resp, err = c.Do(req)
		require.NoError(t, err)
		body(t, resp)
		assert.Equal(t, h.want, resp.StatusCode, "Sec-Fetch-Site %s, Origin %q", h.site, h.origin)
	}

	links, _, err := d.s.svc.ListLinks(t.Context(), share.LinkQuery{Space: demoSpace,
		PageID: ""})
	require.NoError(t, err)
	for _, l := range links {
		assert.NotEqual(t, share.ScopeSpace, l.Scope, "no link was created")
	}

	resp, err = http.PostForm(d.url("/admin/links"), fields)
	require.NoError(t, err)
	body(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no session")
}

func TestAdminLinkLifecycle(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)

	linkURL, id := createLink(t, d, c, url.Values{"space": {demoSpace}, "scope": {"tree"},
		"page": {demoHomeID}, "title": {"For partners"}, "groups": {"partners"},
		"lifetime": {"7d"}})
	alice := browser(t)
	resp, page := signIn(t, d, alice, linkURL, "alice@partner.example")
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "<h1>"+demoHomeTitle+"</h1>")
	resp, page = signIn(t, d, browser(t), linkURL, "bob@elsewhere.example")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, page, "partners")

	u, page := adminGet(t, d, c, "/admin/links")
	assert.Contains(t, page, "For partners")
	assert.Contains(t, page, "groups partners")
	resp, _ = submit(t, c, u, formWith(t, page, "/admin/links/"+id+"/revoke"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body(t, mustGet(t, c, d.url("/admin/links"))), "status-revoked")
	resp, page = get(t, alice, linkURL)
	assert.NotEqual(t, http.StatusOK, resp.StatusCode, page)
	assert.NotContains(t, page, "<h1>"+demoHomeTitle+"</h1>")

	u, page = adminGet(t, d, c, "/admin/links")
	resp, page = submit(t, c, u, formWith(t, page, "/admin/links/"+id+"/reenable"))
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	m := linkURLRE.FindStringSubmatch(page)
	require.NotNil(t, m, "no new URL on %s", page)
	newURL := html.UnescapeString(m[1])
	assert.NotEqual(t, linkURL, newURL)
	resp, page = get(t, alice, newURL)
	assert.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "<h1>"+demoHomeTitle+"</h1>")

	_, page = adminGet(t, d, c, "/admin/audit?link="+id+"&kind=link.revoked")
	assert.Contains(t, page, "<td>link.revoked</td>")
	assert.NotContains(t, page, "<td>link.opened</td>")
	_, page = adminGet(t, d, c, "/admin/audit?link="+id+"&since=2000-01-01&until=2999-01-01")
	for _, kind := range []string{"link.created", "link.opened", "link.denied",
		"link.revoked"} {
		assert.Contains(t, page, kind)
	}
	_, csv := adminGet(t, d, c, "/admin/audit.csv?link="+id+"&kind=link.revoked")
	assert.Len(t, strings.Split(strings.TrimSpace(csv), "\n"), 2, "header and the revocation")
	_, csv = adminGet(t, d, c, "/admin/audit.csv?link="+id)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	assert.Equal(t, "time,kind,actor,idp,link_id,space,page_id,reason,detail,id", lines[0])
	assert.Contains(t, csv, "link.opened")
	assert.Contains(t, csv, "alice@partner.example")
	assert.Len(t, lines, 8,
		"header, created, opened, denied, revoked, denied, reenabled, opened")
	_, page = adminGet(t, d, c, "/admin/audit?kind=link.revoked")
	assert.Contains(t, page, "link.revoked")

	// The admin's own events can be chosen too; a kind there is not is
	// said to be wrong, not answered with an empty list.
	_, page = adminGet(t, d, c, "/admin/audit?kind=admin.signed_in")
	assert.Contains(t, page, "<option selected>admin.signed_in</option>")
	assert.Contains(t, page, "<td>admin.signed_in</td>")
	_, page = adminGet(t, d, c, "/admin/audit?kind=bogus")
	assert.Contains(t, page, "not a kind of audit event")
	resp, err := c.Get(d.url("/admin/audit.csv?kind=bogus"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body(t, resp), "not a kind of audit event")
}

func TestAdminLinkFormErrorsKeepInput(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	base, page := adminGet(t, d, c, "/admin/links")
	f := formWith(t, page, "/admin/links")
	f.values.Set("space", demoSpace)
	f.values.Set("scope", "page")
	f.values.Set("page", demoHomeID)
	f.values.Set("emails", "not-an-address")
	f.values.Set("title", "Keep <me>")
	resp, page := submit(t, c, base, f)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, page, "Emails: not an email address (got &#34;not-an-address&#34;)")
	assert.NotContains(t, page, "want &#34;&#34;", "no empty want is shown")
	assert.Contains(t, page, `value="Keep &lt;me&gt;"`)
	assert.Contains(t, page, `value="not-an-address"`)
}

func TestAdminSuspendSpace(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	partners, _ := d.link("partners")
	alice := browser(t)
	resp, page := signIn(t, d, alice, partners, "alice@partner.example")
	require.Equal(t, http.StatusOK, resp.StatusCode, page)

	_, page = adminGet(t, d, c, "/admin/spaces")
	assert.Contains(t, page, demoSpace)
	u, page := adminGet(t, d, c, "/admin/spaces/"+demoSpace+"/suspend")
	resp, page = submit(t, c, u, formWith(t, page, "/admin/spaces/"+demoSpace+"/suspend"))
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "Suspended since")
	resp, page = get(t, alice, partners)
	assert.NotEqual(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, page, "<h1>"+demoHomeTitle+"</h1>")

	resp, _ = submit(t, c, u, formWith(t, spacePage(t, d, c), "/admin/spaces/"+demoSpace+"/resume"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, page = get(t, alice, partners)
	assert.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "<h1>"+demoHomeTitle+"</h1>")

	_, page = adminGet(t, d, c, "/admin/audit")
	assert.Contains(t, page, "space.suspended")
	assert.Contains(t, page, "space.resumed")
}

// spacePage is the demo space's admin page.
func spacePage(t *testing.T, d *demo, c *http.Client) string {
	t.Helper()
	_, page := adminGet(t, d, c, "/admin/spaces/"+demoSpace)
	return page
}

func TestAdminSpaceSettings(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	u, page := adminGet(t, d, c, "/admin/spaces/"+demoOpsSpace)
	f := formWith(t, page, "/admin/spaces/"+demoOpsSpace)
	f.values.Set("default", "30d")
	f.values.Set("max", "7d")
	resp, page := submit(t, c, u, f)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, page, "longer than the maximum")

	f.values.Set("max", "90d")
	f.values.Set("sso", "on")
	resp, page = submit(t, c, u, f)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	sp, err := d.s.svc.SpaceSettings(t.Context(), demoOpsSpace)
	require.NoError(t, err)
	assert.True(t, sp.SSOEnforced)
	assert.Equal(t, "720h0m0s", sp.DefaultLifetime.String())
	assert.Contains(t, page, `value="30d"`)
}

func TestAdminInfoPages(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	_, page := adminGet(t, d, c, "/admin/sp")
	h := d.s.handler()
	for _, want := range []string{h.EntityID(), h.ACSURL(), h.DefaultRelayState(),
		"Single sign-on URL", "Audience URI", "Default RelayState", "EmailAddress",
		"firstName", "lastName", "Matches regex", nameIDEmail} {
		assert.Contains(t, page, want)
	}

	_, page = adminGet(t, d, c, "/admin/idps")
	assert.Contains(t, page, d.s.demoIDP.config().EntityID)
	assert.Contains(t, page, `href="/saml/test/demo"`)

	resp, page := get(t, c, d.url("/saml/test/demo"))
	assert.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Equal(t, demoIDPPath+"/sso", resp.Request.URL.Path, "the admin may test")
	resp, _ = get(t, browser(t), d.url("/saml/test/demo"))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "others may not")

	resp, css := get(t, c, d.url("/admin/static/admin.css"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, css, "body{")
}

func TestAdminDemoCredentialsStable(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, dir)
	var first bytes.Buffer
	d.s.printBanner(&first)
	password := d.s.admin.password
	d.stop()
	assert.Contains(t, first.String(), "Admin pages: "+d.s.baseURL+"/admin/")
	assert.Contains(t, first.String(), "user      admin")
	assert.Contains(t, first.String(), "password  "+password)
	assert.GreaterOrEqual(t, len(password), 20)
	info, err := os.Stat(filepath.Join(dir, adminPasswordFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	d = startDemo(t, dir)
	assert.Equal(t, password, d.s.admin.password, "the same password after a restart")
	adminSignIn(t, d, browser(t))
}

func TestAdminCredentials(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		user     string
		password string
		err      string
	}{
		{name: "flags", args: []string{"--admin-user", "root", "--admin-password", "s3cret"},
			user: "root", password: "s3cret"},
		{name: "environment", env: map[string]string{"SECURESHARE_ADMIN_PASSWORD": "from-env"},
			user: "admin", password: "from-env"},
		{name: "user without password", args: []string{"--admin-user", "root"},
			err: "--admin-user needs --admin-password"},
		{name: "real IdP without password", args: []string{"--idp-metadata", "idp.xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--data-dir", t.TempDir()}, tt.args...)
			f, err := parseServeFlags(args, func(k string) string { return tt.env[k] },
				&bytes.Buffer{})
			require.NoError(t, err)
			user, password, file, err := adminCredentials(f)
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.password, password)
			assert.Empty(t, file)
			if password != "" {
				assert.Equal(t, tt.user, user)
			}
		})
	}
}

func TestAdminOffWithoutPassword(t *testing.T) {
	s := &server{baseURL: "https://share.example.com"}
	var banner bytes.Buffer
	s.printAdminBanner(&banner)
	assert.Contains(t, banner.String(), "Admin pages: off")

	m := http.NewServeMux()
	s.mountAdmin(m)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/links", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

// mustGet fetches u with c.
func mustGet(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	return resp
}

// TestAdminFormFromOwnPageInBrowser: a browser posting one of our forms
// sends Sec-Fetch-Site: same-origin and, because our pages are served with
// Referrer-Policy: no-referrer, Origin: null. That must be accepted.
func TestAdminFormFromOwnPageInBrowser(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	_, page := adminGet(t, d, c, "/admin/links")
	fields := url.Values{"space": {demoSpace}, "scope": {"space"}, "groups": {"partners"},
		"title": {"From the browser"}}
	fields.Set("csrf", formWith(t, page, "/admin/links").values.Get("csrf"))
	req, err := http.NewRequest(http.MethodPost, d.url("/admin/links"),
		strings.NewReader(fields.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "null")
	resp, err := c.Do(req)
	require.NoError(t, err)
	text := body(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode, text)
	assert.Contains(t, text, "From the browser")
}

// TestAdminLinkFormRefusals: names of IdPs that do not exist, page IDs
// that are not Confluence's, and lifetimes past ten years are refused
// with the reason, and nothing is created.
func TestAdminLinkFormRefusals(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	before, _, err := d.s.svc.ListLinks(t.Context(), share.LinkQuery{})
	require.NoError(t, err)

	for _, tt := range []struct {
		name   string
		fields url.Values
		want   string
	}{
		{"unknown IdP", url.Values{"space": {demoSpace}, "scope": {"space"},
			"idps": {"okta-typo"}}, "no IdP has this name"},
		{"page ID not a number", url.Values{"space": {demoSpace}, "scope": {"page"},
			"page": {"abc"}, "groups": {"partners"}}, "Page ID: a Confluence page ID is a number"},
		{"lifetime past ten years", url.Values{"space": {demoSpace}, "scope": {"space"},
			"groups": {"partners"}, "lifetime": {"300000d"}}, "ten years"},
		{"lifetime of zero", url.Values{"space": {demoSpace}, "scope": {"space"},
			"groups": {"partners"}, "lifetime": {"0s"}}, "no time at all"},
		{"title with a control character", url.Values{"space": {demoSpace}, "scope": {"space"},
			"groups": {"partners"}, "title": {"Q3\x1b[2J"}}, "control characters"},
		{"restricted page", url.Values{"space": {demoSpace}, "scope": {"page"},
			"page": {demoRestrictedID}, "groups": {"partners"}},
			"Page ID: Page " + demoRestrictedID + " carries Confluence view restrictions, " +
				"so no outsider could open this link"},
		{"page of another space", url.Values{"space": {demoSpace}, "scope": {"tree"},
			"page": {demoOpsHomeID}, "groups": {"partners"}},
			"Page ID: Page " + demoOpsHomeID + " is not in space " + demoSpace},
		{"page that does not exist", url.Values{"space": {demoSpace}, "scope": {"page"},
			"page": {"987654"}, "groups": {"partners"}},
			"Page ID: Confluence has no page 987654 that this server&#39;s Confluence account"},
		{"space that does not exist", url.Values{"space": {"NOPE"}, "scope": {"space"},
			"groups": {"partners"}}, "Space key: Confluence has no space NOPE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, page := adminGet(t, d, c, "/admin/links")
			f := formWith(t, page, "/admin/links")
			for k, v := range tt.fields {
				f.values[k] = v
			}
			resp, page := submit(t, c, base, f)
			assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
			assert.Contains(t, page, tt.want)
		})
	}
	after, _, err := d.s.svc.ListLinks(t.Context(), share.LinkQuery{})
	require.NoError(t, err)
	assert.Len(t, after, len(before), "nothing was created")
}

// TestParseLifetime: days, Go durations and empty are read; zero,
// negative, malformed and over-long lifetimes are refused with the value.
func TestParseLifetime(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "30d": 30 * 24 * time.Hour,
		" 12h ": 12 * time.Hour, "90m": 90 * time.Minute, "3653d": 3653 * 24 * time.Hour} {
		got, err := parseLifetime(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, in)
		}
	}
	for in, want := range map[string]string{"0": "no time at all", "0d": "no time at all",
		"0s": "no time at all", "0h0m": "no time at all", "-1h": "not a lifetime",
		"-1d": "not a number of days", "05d": "not a number of days", "+5d": "not a number of days",
		"d": "not a number of days", "soon": "not a lifetime", "3654d": "ten years",
		"87697h": "ten years"} {
		_, err := parseLifetime(in)
		if assert.Error(t, err, in) {
			assert.Contains(t, err.Error(), want, in)
			assert.Contains(t, err.Error(), strconv.Quote(strings.TrimSpace(in)), in)
		}
	}
}

// TestAdminLinkUncheckedWhenConfluenceIsDown: when Confluence does not
// answer, the link is still made, and the admin is told that its page
// could not be checked.
func TestAdminLinkUncheckedWhenConfluenceIsDown(t *testing.T) {
	dir := t.TempDir()
	faults := filepath.Join(dir, "wiki-faults")
	d := startDemo(t, dir, "--demo-wiki-faults-file", faults)
	c := browser(t)
	adminSignIn(t, d, c)
	require.NoError(t, os.WriteFile(faults, []byte("503 1m"), 0o600))
	time.Sleep(2 * faultsCheckEvery)

	base, page := adminGet(t, d, c, "/admin/links")
	f := formWith(t, page, "/admin/links")
	f.values["space"], f.values["scope"] = []string{demoSpace}, []string{"page"}
	f.values["page"], f.values["groups"] = []string{"424242"}, []string{"partners"}
	resp, page := submit(t, c, base, f)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "The page could not be checked (")
	assert.Regexp(t, linkURLRE, page, "the link was made")
}
