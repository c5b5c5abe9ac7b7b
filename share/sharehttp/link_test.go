package sharehttp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
	"github.com/secureshare/secureshare/share"
)

func TestAnonymousLink(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "4",
		Policy: share.Policy{Anonymous: true}})
	resp, body := e.get(e.client, "/s/"+token)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Run the installer.")
	assert.NotContains(t, body, "Sign out", "nobody is signed in")
	opened := e.audit(share.EventLinkOpened)
	require.Len(t, opened, 1)
	assert.Equal(t, "4", opened[0].PageID)
	assert.Empty(t, opened[0].Actor)
}

// addWithheldPages adds to space ENG page 5 with the exclusion label
// "internal-only", 6 under it and 7 a draft, and makes "internal-only" the
// space's exclusion label.
func addWithheldPages(t *testing.T, e *env) {
	t.Helper()
	e.wiki.AddPage(confluencetest.Page{ID: "5", SpaceKey: "ENG", ParentID: "2",
		Title: "Internal notes", Labels: []string{"internal-only"}, Body: "<p>secret</p>"})
	e.wiki.AddPage(confluencetest.Page{ID: "6", SpaceKey: "ENG", ParentID: "5",
		Title: "Under internal", Body: "<p>secret too</p>"})
	e.wiki.AddPage(confluencetest.Page{ID: "7", SpaceKey: "ENG", ParentID: "1",
		Title: "Draft", Status: "draft", Body: "<p>draft</p>"})
	_, err := e.svc.UpdateSpace(context.Background(), share.Space{Key: "ENG",
		ExcludeLabel: "internal-only"}, "admin@corp.example")
	require.NoError(t, err)
}

func TestWithheldPages(t *testing.T) {
	e := newEnv(t, envOptions{})
	addWithheldPages(t, e)
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopeSpace})
	resp, body := e.login(e.client, "/s/"+token+"/p/2", partner)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.NotContains(t, body, "Internal notes", "a labelled child is left out")

	tests := []struct{ name, page string }{
		{"restricted", "3"}, {"excluded by label", "5"}, {"under an excluded page", "6"},
		{"draft", "7"}, {"missing", "999"}, {"other space", "9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(e.client, "/s/"+token+"/p/"+tt.page)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
			assert.Contains(t, body, "not part of what this link shares")
			assert.NotContains(t, body, "secret")
			assert.True(t, e.hasEvent(share.EventLinkDenied, tt.page, "outside_scope"),
				"the denial is audited")
		})
	}
}

func TestSignedOutViewerLearnsNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	for _, page := range []string{"2", "3", "999", "abc"} {
		t.Run(page, func(t *testing.T) {
			c := e.newClient()
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, _ := e.get(c, "/s/"+token+"/p/"+page)
			assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "every page asks for a sign-in first")
		})
	}
}

func TestWrongIDPDenied(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	_, err := e.svc.UpdateSpace(context.Background(), share.Space{Key: "OPS",
		IDPs: []string{"ops-idp"}}, "admin@corp.example")
	require.NoError(t, err)
	_, opsToken := e.createLink(share.LinkSpec{Space: "OPS", Scope: share.ScopeSpace})

	resp, _ := e.login(e.client, "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, body := e.get(e.client, "/s/"+opsToken)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "This link needs a sign-in at ops-idp")
	assert.Contains(t, body, "you signed in at acme")
	assert.Contains(t, body, "Sign out")

	resp, body = e.get(e.newClient(), "/s/"+opsToken)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, body, "ops-idp, which is not configured here")
}

func TestSessionExpiryAsksAgain(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, _ := e.login(e.client, "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	e.clock.Advance(share.DefaultSessionIdleTimeout + time.Minute)
	c := e.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ = e.get(c, "/s/"+token)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), "https://idp.test/sso?"))
}

func TestContentUnavailable(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2",
		Policy: share.Policy{Anonymous: true}})
	e.wiki.Inject(confluencetest.Fault{Status: http.StatusUnauthorized, Times: 10})
	resp, body := e.get(e.client, "/s/"+token)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, "cannot be read right now")
	assert.Contains(t, e.logs.String(), "reading content")
	assert.NotContains(t, e.logs.String(), token, "tokens are not logged")
}

// TestSignInCarriesOnlyPageIDs: the page a visitor asked for comes back
// after sign-in when it is a page ID, and is dropped when it is not (it
// would be stored with the AuthnRequest); neither kind reaches the audit
// log unless it is a page ID.
func TestSignInCarriesOnlyPageIDs(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePageTree,
		PageID: "2"})
	for _, tt := range []struct{ page, wantSuffix string }{
		{"4", "?p=4"},
		{strings.Repeat("9", 5000), ""},
		{"4%0d%0aforged", ""},
	} {
		noFollow := &http.Client{Jar: e.newClient().Jar, CheckRedirect: func(*http.Request,
			[]*http.Request) error {
			return http.ErrUseLastResponse
		}}
		form := e.startSignIn(noFollow, "/s/"+token+"/p/"+tt.page, partner)
		resp, err := noFollow.PostForm(e.h.ACSURL(), form)
		require.NoError(t, err)
		readBody(t, resp)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		loc := resp.Header.Get("Location")
		assert.True(t, strings.HasPrefix(loc, "/saml/resume/"), loc)
		if tt.wantSuffix != "" {
			assert.True(t, strings.HasSuffix(loc, tt.wantSuffix), loc)
		} else {
			assert.NotContains(t, loc, "?p=", "the visitor's text is not carried")
		}
		// The browser now has a session: the same page is denied or shown,
		// and the audit log names it only if it is a page ID.
		_, _ = e.get(noFollow, "/s/"+token+"/p/"+tt.page)
	}
	for _, ev := range append(e.audit(share.EventLinkDenied), e.audit(share.EventLinkOpened)...) {
		assert.Contains(t, []string{"", "2", "4"}, ev.PageID)
	}
	assert.NotEmpty(t, e.audit(share.EventLinkDenied), "the junk pages were denied")
}

func TestResume(t *testing.T) {
	e := newEnv(t, envOptions{})
	l, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	other, otherToken := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage,
		PageID: "4"})

	tests := []struct {
		name   string
		linkID string
		cookie string
		want   string // redirect target; empty means the "open the link again" page
	}{
		{"matching", l.ID, token, "/s/" + token},
		{"with page", l.ID + "?p=2", token, "/s/" + token + "/p/2"},
		{"bad page ignored", l.ID + "?p=..%2f", token, "/s/" + token},
		{"no cookie", l.ID, "", ""},
		{"token of another link", l.ID, otherToken, ""},
		{"malformed token", other.ID, "not-a-token", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, _, _ := strings.Cut(tt.linkID, "?")
			req, err := http.NewRequest("GET", e.srv.URL+"/saml/resume/"+tt.linkID, nil)
			require.NoError(t, err)
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: resumeCookiePrefix + id, Value: tt.cookie})
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			require.NoError(t, err)
			body := readBody(t, resp)
			if tt.want == "" {
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
				assert.Contains(t, body, "Open the link you were given again")
				return
			}
			assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
			assert.Equal(t, tt.want, resp.Header.Get("Location"))
			var cleared bool
			for _, c := range resp.Cookies() {
				cleared = cleared || (c.Name == resumeCookiePrefix+id && c.MaxAge < 0)
			}
			assert.True(t, cleared, "the resume cookie is used once")
		})
	}
}

func TestResumeCookieScoped(t *testing.T) {
	e := newEnv(t, envOptions{})
	l, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	c := e.newClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := e.get(c, "/s/"+token)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var rc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == resumeCookiePrefix+l.ID {
			rc = ck
		}
	}
	require.NotNil(t, rc)
	assert.Equal(t, token, rc.Value)
	assert.Equal(t, "/saml/resume/"+l.ID, rc.Path)
	assert.True(t, rc.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, rc.SameSite)
	u, err := url.Parse(e.srv.URL + "/s/" + token)
	require.NoError(t, err)
	for _, ck := range c.Jar.Cookies(u) {
		assert.NotEqual(t, rc.Name, ck.Name, "the token cookie is not sent to other paths")
	}
}

func TestAttachmentRoutes(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, _ := e.login(e.client, "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	tests := []struct {
		name, path string
		status     int
	}{
		{"by ID", "/a/2/att501", 200},
		{"by file name", "/a/2/diagram.png", 200},
		{"unknown attachment", "/a/2/att999", 404},
		{"page outside the link", "/a/4/att501", 404},
		{"restricted page", "/a/3/att502", 404},
		{"bad page ID", "/a/x2/att501", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := e.get(e.client, "/s/"+token+tt.path)
			assert.Equal(t, tt.status, resp.StatusCode)
		})
	}
}

// TestUnknownIDPNameNotEchoed: an IdP name in the query string is the
// visitor's text; an unknown one brings the IdP choice, never the text.
func TestUnknownIDPNameNotEchoed(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, body := e.get(e.client, "/s/"+token+"?idp="+
		url.QueryEscape("your VPN first. Call IT at +1-555-0100"))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.NotContains(t, body, "Call IT")
	assert.Contains(t, body, "Choose your organisation")
	assert.Contains(t, body, "?idp=acme")

	resp, _ = e.get(e.client, "/s/"+token+"?idp=acme")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "a configured name signs in")
}

// TestResumeWithoutCookie: coming back from the IdP without the resume
// cookie (it lasts 15 minutes) says to open the link again, and does not
// claim a sign-in.
func TestResumeWithoutCookie(t *testing.T) {
	e := newEnv(t, envOptions{})
	l, _ := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, body := e.get(e.client, "/saml/resume/"+l.ID)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.NotContains(t, body, "You are signed in")
	assert.Contains(t, body, "Open the link you were given again")
}

// TestResumeTwoTabs: two tabs sign in at once for the same link; the
// first uses up the resume cookie, the second is told it is signed in.
func TestResumeTwoTabs(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	first := e.startSignIn(e.client, "/s/"+token, partner)
	second := e.startSignIn(e.client, "/s/"+token, partner)

	resp, body := e.postACS(e.client, first)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = e.postACS(e.client, second)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "You are signed in as "+partner.email)
	resp, _ = e.get(e.client, "/s/"+token)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "opening the link again works")
}

// TestCheckLinkTarget: a link's landing page is checked before the link
// exists: pages and spaces that open pass; a restricted, labelled,
// draft, missing or other-space page is refused with why; Confluence not
// answering is not mistaken for a missing page.
func TestCheckLinkTarget(t *testing.T) {
	e := newEnv(t, envOptions{})
	addWithheldPages(t, e)
	e.wiki.AddSpace(confluencetest.Space{ID: "300", Key: "LOCK", Name: "Locked", HomePageID: "30"})
	e.wiki.AddPage(confluencetest.Page{ID: "30", SpaceKey: "LOCK", Title: "Locked home",
		Restricted: true, Body: "<p>locked</p>"})
	ctx := context.Background()
	page := func(space, id string) share.LinkSpec {
		return share.LinkSpec{Space: space, Scope: share.ScopePageTree, PageID: id}
	}
	space := func(key string) share.LinkSpec {
		return share.LinkSpec{Space: key, Scope: share.ScopeSpace}
	}

	for _, spec := range []share.LinkSpec{page("ENG", "4"), page("ENG", "1"), space("ENG"),
		space("OPS"), {Space: "ENG", Scope: share.ScopePage, PageID: "2"}} {
		assert.NoError(t, e.h.CheckLinkTarget(ctx, spec), "%+v", spec)
	}

	withheld := []struct {
		name   string
		spec   share.LinkSpec
		reason confluence.WithholdReason
		cause  string
	}{
		{"restricted", page("ENG", "3"), confluence.WithholdRestricted, "3"},
		{"exclusion label", page("ENG", "5"), confluence.WithholdExcludedLabel, "5"},
		{"under an excluded page", page("ENG", "6"), confluence.WithholdExcludedLabel, "5"},
		{"draft", page("ENG", "7"), confluence.WithholdNotCurrent, "7"},
		{"other space", page("ENG", "9"), confluence.WithholdOutOfScope, ""},
		{"restricted home page", space("LOCK"), confluence.WithholdRestricted, "30"},
	}
	for _, tt := range withheld {
		t.Run(tt.name, func(t *testing.T) {
			err := e.h.CheckLinkTarget(ctx, tt.spec)
			var we *confluence.WithheldError
			require.ErrorAs(t, err, &we)
			assert.Equal(t, tt.reason, we.Reason, "%v", err)
			assert.Equal(t, tt.cause, we.Because, "%v", err)
			assert.ErrorIs(t, err, confluence.ErrNotFound)
		})
	}
	for _, spec := range []share.LinkSpec{page("ENG", "999"), space("NOPE")} {
		err := e.h.CheckLinkTarget(ctx, spec)
		assert.ErrorIs(t, err, confluence.ErrNotFound, "%+v", spec)
		var we *confluence.WithheldError
		assert.False(t, errors.As(err, &we), "a missing page is not withheld: %v", err)
	}

	e.wiki.Inject(confluencetest.Fault{Status: http.StatusServiceUnavailable, Times: 50})
	err := e.h.CheckLinkTarget(ctx, page("ENG", "888"))
	require.Error(t, err)
	assert.NotErrorIs(t, err, confluence.ErrNotFound, "an outage says nothing about the page")
}
