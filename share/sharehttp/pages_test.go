package sharehttp

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
	"github.com/secureshare/secureshare/share"
)

func TestDenialStatus(t *testing.T) {
	tests := []struct {
		reason share.Reason
		status int
	}{
		{share.ReasonUnknownLink, 404},
		{share.ReasonRevoked, 410},
		{share.ReasonExpired, 410},
		{share.ReasonOutsideScope, 404},
		{share.ReasonWithheld, 404},
		{share.ReasonLoginRequired, 401},
		{share.ReasonNotInGroups, 403},
		{share.ReasonEmailNotAllowed, 403},
		{share.ReasonDomainNotAllowed, 403},
		{share.ReasonWrongIDP, 403},
		{share.ReasonGroupsNotInToken, 403},
		{share.ReasonSpaceSuspended, 403},
		{share.ReasonUnspecified, 403},
	}
	for _, tt := range tests {
		t.Run(tt.reason.String(), func(t *testing.T) {
			status, title := denialStatus(tt.reason)
			assert.Equal(t, tt.status, status)
			assert.NotEmpty(t, title)
		})
	}
}

func TestDenialPageEscapes(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2",
		Policy: share.Policy{Groups: []string{`<img src=x onerror="alert(1)">`}}})
	resp, body := e.login(e.client, "/s/"+token, outsider)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.NotContains(t, body, "<img src=x")
	assert.Contains(t, body, "&lt;img src=x onerror=")
}

func TestSuspendedSpace(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, _ := e.login(e.client, "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	_, err := e.svc.SuspendSpace(t.Context(), "ENG", "admin@corp.example")
	require.NoError(t, err)
	resp, body := e.get(e.client, "/s/"+token)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "Sharing from this space is paused")
	assert.True(t, e.hasEvent(share.EventLinkDenied, "2", "space_suspended"))
}

func TestStalePageShown(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "4",
		Policy: share.Policy{Anonymous: true}})
	resp, body := e.get(e.client, "/s/"+token)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, body, "last copy we have")

	e.clock.Advance(2 * time.Minute)
	e.wiki.Inject(confluencetest.Fault{Status: http.StatusServiceUnavailable, Times: 50})
	resp, body = e.get(e.client, "/s/"+token)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Run the installer.")
	assert.Contains(t, body, "last copy we have")
}

func TestCustomClientKey(t *testing.T) {
	e := newEnv(t, envOptions{linkLimit: RateLimit{Rate: 0.001, Burst: 1},
		clientKey: func(r *http.Request) string { return r.Header.Get("X-Client") }})
	get := func(client string) int {
		req, err := http.NewRequest("GET", e.srv.URL+"/s/nope", nil)
		require.NoError(t, err)
		req.Header.Set("X-Client", client)
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		readBody(t, resp)
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusNotFound, get("a"))
	assert.Equal(t, http.StatusTooManyRequests, get("a"))
	assert.Equal(t, http.StatusNotFound, get("b"), "another client has its own bucket")
}

func TestWriteAttachment(t *testing.T) {
	tests := []struct {
		name, served, recorded string
		wantType, wantDisp     string
	}{
		{"png", "image/png", "image/png", "image/png", "inline"},
		{"jpeg with parameters", "image/jpeg; charset=binary", "", "image/jpeg", "inline"},
		{"svg downloads", "image/svg+xml", "image/svg+xml", "application/octet-stream", "attachment"},
		{"html downloads", "text/html", "text/html", "application/octet-stream", "attachment"},
		{"unknown served type falls back", "", "image/gif", "image/gif", "inline"},
		{"nothing known", "", "", "application/octet-stream", "attachment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a := &confluence.Attachment{ID: "att1", Title: `a "b".png`, MediaType: tt.recorded}
			writeAttachment(rec, a, &confluence.AttachmentBody{
				Body: io.NopCloser(strings.NewReader("data")), ContentType: tt.served, Size: 4})
			assert.Equal(t, tt.wantType, rec.Header().Get("Content-Type"))
			assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Disposition"), tt.wantDisp))
			assert.Contains(t, rec.Header().Get("Content-Disposition"), `filename="a \"b\".png"`)
			assert.Equal(t, "default-src 'none'; sandbox", rec.Header().Get("Content-Security-Policy"))
			assert.Equal(t, "4", rec.Header().Get("Content-Length"))
			assert.Equal(t, "data", rec.Body.String())
		})
	}
}

func TestSmallHelpers(t *testing.T) {
	t.Run("isPageID", func(t *testing.T) {
		for s, want := range map[string]bool{"1": true, "12345678901234567890": true,
			"123456789012345678901": false, "": false, "1a": false, "-1": false, "../1": false} {
			assert.Equal(t, want, isPageID(s), s)
		}
	})
	t.Run("isMessageID", func(t *testing.T) {
		good := "_" + strings.Repeat("ab", 20)
		for s, want := range map[string]bool{good: true, "id-4f.1": true,
			"0abc": false, "_" + strings.Repeat("a", maxMessageID): false, "": false,
			"/s/x": false, "a b": false, "a:b": false, "é": false} {
			assert.Equal(t, want, isMessageID(s), s)
		}
	})
	t.Run("remoteIP", func(t *testing.T) {
		for addr, want := range map[string]string{"192.0.2.1:1234": "192.0.2.1",
			"[2001:db8::1]:443": "2001:db8::1", "pipe": "pipe"} {
			assert.Equal(t, want, remoteIP(&http.Request{RemoteAddr: addr}), addr)
		}
	})
	t.Run("scopeConfig", func(t *testing.T) {
		sp := &share.Space{Key: "ENG", ExcludeLabel: "internal"}
		c := scopeConfig(&share.Link{Space: "ENG", Scope: share.ScopePageTree, PageID: "2"}, sp)
		assert.Equal(t, confluence.ScopeConfig{SpaceKey: "ENG", RootPageID: "2", Descendants: true,
			ExcludeLabels: []string{"internal"}}, c)
		c = scopeConfig(&share.Link{Space: "ENG", Scope: share.ScopeSpace}, &share.Space{Key: "ENG"})
		assert.Equal(t, confluence.ScopeConfig{SpaceKey: "ENG"}, c)
		c = scopeConfig(&share.Link{Space: "ENG", Scope: share.ScopePage, PageID: "2"}, sp)
		assert.False(t, c.Descendants)
	})
	t.Run("describe", func(t *testing.T) {
		p := &confluence.Page{ID: "5", SpaceKey: "ENG", Labels: []string{"internal"},
			Ancestors: []confluence.PageRef{{ID: "1"}, {ID: "2"}}}
		assert.Equal(t, share.Page{ID: "5", Space: "ENG", Ancestors: []string{"1", "2"},
			Withheld: true}, describe(p, &share.Space{ExcludeLabel: "internal"}))
		assert.False(t, describe(p, &share.Space{}).Withheld)
	})
}

func TestLogoutWithoutSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	req, err := http.NewRequest("POST", e.srv.URL+"/saml/logout", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	body := readBody(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/s/", resp.Request.URL.Path)
	assert.Contains(t, body, "You are not signed in")
	assert.Empty(t, e.audit(share.EventLogout))
}

func TestSLOBadMessages(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name, method, query, form string
		text                      string
	}{
		{"nothing", "GET", "", "", "No logout message"},
		{"nothing posted", "POST", "", "x=1", "No logout message"},
		{"garbage request", "GET", "SAMLRequest=abc", "",
			"could not be read (failed check: encoding)"},
		{"garbage posted request", "POST", "", "SAMLRequest=abc",
			"could not be read (failed check: encoding)"},
		{"posted request not XML", "POST", "", "SAMLRequest=" + base64.StdEncoding.EncodeToString(
			[]byte("<not-closed")), "could not be read (failed check: xml)"},
		{"too large", "POST", "", "SAMLRequest=" + strings.Repeat("A", maxACSBody+1),
			"failed check: size"},
		{"response to nothing", "GET", "SAMLResponse=abc&RelayState=x", "",
			"does not match a sign-out begun here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.srv.URL+"/saml/slo?"+tt.query,
				strings.NewReader(tt.form))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := e.client.Do(req)
			require.NoError(t, err)
			body := readBody(t, resp)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Contains(t, body, tt.text)
		})
	}
}
