package sharehttp

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

var (
	partner  = user{email: "pat@partner.example", groups: []string{"partners"}}
	outsider = user{email: "olly@other.example", groups: []string{"engineering"}}
)

func TestOpenLinkSignInAndRead(t *testing.T) {
	for _, binding := range []saml.Binding{saml.BindingHTTPRedirect, saml.BindingHTTPPost} {
		t.Run(string(binding[strings.LastIndexByte(string(binding), ':')+1:]), func(t *testing.T) {
			e := newEnv(t, envOptions{binding: binding})
			_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePageTree,
				PageID: "2", Policy: share.Policy{Groups: []string{"partners"}}})

			resp, body := e.get(e.client, "/s/"+token)
			var form url.Values
			if binding == saml.BindingHTTPPost {
				require.Equal(t, http.StatusOK, resp.StatusCode)
				nonce := cspNonce(t, resp)
				assert.Contains(t, body, `nonce="`+nonce+`"`, "the auto-submit script needs the nonce")
				assert.Contains(t, body, `action="https://idp.test/sso"`)
				relay := formValue(t, body, "RelayState")
				form = e.responseForID(relay, partner)
			} else {
				require.Equal(t, http.StatusSeeOther, resp.StatusCode)
				form = e.responseFor(resp.Header.Get("Location"), partner, nil)
			}
			assert.NotContains(t, e.sessionCookies(), "ss_session", "no session before the ACS")

			resp, body = e.postACS(e.client, form)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.Equal(t, "/s/"+token, resp.Request.URL.Path, "back on the link")
			assert.Contains(t, body, "<h1>Guide</h1>")
			assert.Contains(t, body, "pat@partner.example")
			assert.Contains(t, body, `href="/s/`+token+`/p/4"`, "in-scope link rewritten")
			assert.Contains(t, body, "Install", "child navigation")
			assert.Len(t, e.audit(share.EventLoginSucceeded), 1)
			assert.NotEmpty(t, e.audit(share.EventLinkOpened))

			resp, body = e.get(e.client, "/s/"+token+"/p/4")
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Contains(t, body, "Run the installer.")
			assert.Contains(t, body, "Guide", "breadcrumb to the link's page")

			resp, _ = e.get(e.client, "/s/"+token+"/p/1")
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the parent is outside the tree")
		})
	}
}

func TestDenials(t *testing.T) {
	e := newEnv(t, envOptions{})
	l, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2",
		Policy: share.Policy{Groups: []string{"partners"}}, Expires: testStart.Add(time.Hour)})

	resp, body := e.login(e.client, "/s/"+token, outsider)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "This link is for members of partners")
	assert.Contains(t, body, "olly@other.example")
	assert.NotContains(t, body, "Run the installer")
	assert.True(t, e.hasEvent(share.EventLinkDenied, "2", "not_in_groups"))

	tests := []struct {
		name   string
		prep   func()
		path   string
		status int
		text   string
	}{
		{name: "unknown token", path: "/s/" + strings.Repeat("A", 43), status: 404,
			text: "This link does not exist"},
		{name: "malformed token", path: "/s/nope", status: 404, text: "This link does not exist"},
		{name: "expired link", prep: func() { e.clock.Advance(2 * time.Hour) },
			path: "/s/" + token, status: 410, text: "This link expired"},
		{name: "revoked link", prep: func() {
			_, err := e.svc.RevokeLink(t.Context(), l.ID, "admin@corp.example")
			require.NoError(t, err)
		}, path: "/s/" + token, status: 410, text: "This link was turned off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.prep != nil {
				tt.prep()
			}
			resp, body := e.get(e.newClient(), tt.path)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, body, tt.text)
		})
	}
}

func TestReplayedResponseRefused(t *testing.T) {
	e := newEnv(t, envOptions{allowIDPInitiated: true})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})

	resp, _ := e.get(e.client, "/s/"+token)
	form := e.responseFor(resp.Header.Get("Location"), partner, nil)
	resp, _ = e.postACS(e.client, form)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	other := e.newClient()
	resp, body := e.postACS(other, form)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "Sign-in failed")
	assert.NotContains(t, e.sessionCookiesOf(other), "ss_session")
	failed := e.audit(share.EventLoginFailed)
	require.Len(t, failed, 1)
	assert.Contains(t, []string{"in_response_to", "replay"}, failed[0].Reason)
}

func TestIDPInitiated(t *testing.T) {
	unsolicited := func(e *env, relay string) url.Values {
		v, err := e.idp.PostValue(samltestOptions(e, partner))
		require.NoError(t, err)
		return url.Values{"SAMLResponse": {v}, "RelayState": {relay}}
	}
	t.Run("refused unless allowed", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		resp, body := e.postACS(e.client, unsolicited(e, ""))
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Contains(t, body, "unsolicited")
		require.Len(t, e.audit(share.EventLoginFailed), 1)
		assert.Equal(t, "unsolicited", e.audit(share.EventLoginFailed)[0].Reason)
		// The admin reads the likely causes in the audit event.
		assert.Contains(t, e.audit(share.EventLoginFailed)[0].Detail,
			"the IdP dropped the RelayState")
	})
	tests := []struct {
		name, relay, landing string
	}{
		{"no relay state", "", "/s/"},
		{"local relay state", "/s/", "/s/"},
		{"open redirect", "https://evil.example/", "/s/"},
		{"scheme-relative", "//evil.example/", "/s/"},
		{"backslash", "/\\evil.example/", "/s/"},
		{"encoded slash", "/%2fevil.example/", "/s/"},
		{"saml endpoint", "/saml/logout", "/s/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{allowIDPInitiated: true})
			resp, body := e.postACS(e.client, unsolicited(e, tt.relay))
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.Equal(t, e.srv.Listener.Addr().String(), resp.Request.URL.Host)
			assert.Equal(t, tt.landing, resp.Request.URL.Path)
			assert.Contains(t, body, "signed in as pat@partner.example")
		})
	}
}

func TestLoginReturnPathRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, ret := range []string{"https://evil.example/", "//evil.example", "/\\evil",
		"/%2F%2Fevil.example", "/s/%0d%0aSet-Cookie:x", "javascript:alert(1)", "/s/../saml/acs"} {
		t.Run(ret, func(t *testing.T) {
			resp, body := e.get(e.client, "/saml/login/acme?return="+url.QueryEscape(ret))
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Contains(t, body, "not a page of this site")
		})
	}
	t.Run("link return goes through the link route", func(t *testing.T) {
		_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
		c := e.newClient()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, _ := e.get(c, "/saml/login/acme?return="+url.QueryEscape("/s/"+token))
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "/s/"+token+"?idp=acme", resp.Header.Get("Location"))
	})
}

func TestTokenNeverStored(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, _ := e.get(e.client, "/s/"+token+"/p/2")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, relay := parseAuthnRedirect(t, resp.Header.Get("Location"))
	assert.NotContains(t, resp.Header.Get("Location"), token, "the IdP never sees the token")

	st, err := e.svc.ConsumeAuthnRequest(t.Context(), relay)
	require.NoError(t, err)
	assert.NotContains(t, st.ReturnTo, token)
	assert.True(t, strings.HasPrefix(st.ReturnTo, "/saml/resume/"), st.ReturnTo)
	assert.Contains(t, st.ReturnTo, "p=2")
}

func TestSanitisedContent(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePageTree,
		PageID: "2"})
	resp, body := e.login(e.client, "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	for _, bad := range []string{"<script>alert", "onclick", "<iframe", "javascript:",
		"/wiki/download", "/p/3"} {
		assert.NotContains(t, body, bad)
	}
	// Page 3 is restricted, so its link goes with its text (confluence.PageWithheld).
	assert.NotContains(t, body, "payroll", "a withheld page's link text is not shown")
	assert.Contains(t, body, "install notes</a>", "a shared page's link stays")
	urls := regexp.MustCompile(`(?:href|src|action)="([^"]*)"`).FindAllStringSubmatch(body, -1)
	for _, m := range urls {
		if strings.Contains(m[1], token) {
			assert.True(t, strings.HasPrefix(m[1], "/s/"+token+"/"), "token leaves in %q", m[1])
		}
		assert.False(t, strings.Contains(m[1], "://") && !strings.HasPrefix(m[1], "https://go.dev"),
			"unexpected absolute URL %q", m[1])
	}
	assert.Contains(t, body, `rel="noopener noreferrer nofollow"`)
	imgURL := "/s/" + token + "/a/2/att501"
	assert.Contains(t, body, `src="`+imgURL+`"`)

	resp, img := e.get(e.client, imgURL)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(img, "\x89PNG"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "sandbox")

	resp, _ = e.get(e.client, "/s/"+token+"/a/2/att502")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment"))

	resp, _ = e.get(e.newClient(), imgURL)
	assert.NotEqual(t, http.StatusOK, resp.StatusCode, "attachments need the sign-in too")
}

// responseForID builds a response to request id, for the POST binding.
func (e *env) responseForID(id string, u user) url.Values {
	e.t.Helper()
	o := samltestOptions(e, u)
	o.InResponseTo = id
	v, err := e.idp.PostValue(o)
	require.NoError(e.t, err)
	return url.Values{"SAMLResponse": {v}, "RelayState": {id}}
}

// laxTransport drops cookies from POST requests, as a browser does for
// SameSite=Lax cookies on the IdP's cross-site POST to the ACS.
type laxTransport struct{}

func (laxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost {
		r = r.Clone(r.Context())
		r.Header.Del("Cookie")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestACSNeedsNoCookie(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	e.client.Transport = laxTransport{}
	resp, body := e.login(e.client, "/s/"+token+"/p/2", partner)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "/s/"+token+"/p/2", resp.Request.URL.Path)
	assert.Contains(t, body, "<h1>Guide</h1>")
}

// TestSessionEndsWhenItsIdPChanges: a session is bound to the IdP's entity
// ID, not only its name. When the name is given to another entity, or the
// IdP is removed, the session no longer signs anyone in.
func TestSessionEndsWhenItsIdPChanges(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, body := e.login(e.client, "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	sessions := func() int {
		n, err := e.svc.EndSessions(context.Background(), share.SessionMatch{IDP: "acme",
			NameID: partner.email})
		require.NoError(t, err)
		return n
	}

	// The same configuration: still signed in.
	same, err := New(e.cfg)
	require.NoError(t, err)
	e.srv.Config.Handler = same
	resp, _ = e.get(e.client, "/s/"+token)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// The name "acme" now belongs to another entity.
	cfg := e.cfg
	other := cfg.IDPs["acme"]
	other.EntityID = "https://other-idp.example/metadata"
	cfg.IDPs = map[string]idp.Config{"acme": other}
	h, err := New(cfg)
	require.NoError(t, err)
	e.srv.Config.Handler = h
	resp, _ = e.get(e.client, "/s/"+token)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "sent to sign in again")
	assert.Zero(t, sessions(), "the session was ended")

	// Removed altogether.
	e.srv.Config.Handler = e.h
	resp, body = e.login(e.client, "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	other.Name = "beta"
	cfg.IDPs = map[string]idp.Config{"beta": other}
	h, err = New(cfg)
	require.NoError(t, err)
	e.srv.Config.Handler = h
	resp, _ = e.get(e.client, "/s/"+token)
	assert.NotEqual(t, http.StatusOK, resp.StatusCode)
	assert.Zero(t, sessions(), "the session was ended")
}
