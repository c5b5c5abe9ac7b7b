package sharehttp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
	"github.com/secureshare/secureshare/share"
)

func TestACSRefusals(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(o *samltest.ResponseOptions)
		user   user
		check  string // the audited reason
		status int
		text   string
	}{
		{name: "wrong audience", edit: func(o *samltest.ResponseOptions) {
			o.Audience = "https://someone-else.example/metadata"
		}, user: partner, check: "audience", status: 403, text: "failed check: audience"},
		{name: "wrong destination", edit: func(o *samltest.ResponseOptions) {
			o.Destination = "https://someone-else.example/acs"
		}, user: partner, check: "destination", status: 403, text: "failed check: destination"},
		{name: "unsigned", edit: func(o *samltest.ResponseOptions) {
			o.SignAssertion, o.SignResponse = false, false
		}, user: partner, check: "signature", status: 403, text: "failed check: signature"},
		{name: "expired assertion", edit: func(o *samltest.ResponseOptions) {
			o.IssueInstant = testStart.Add(-time.Hour)
		}, user: partner, status: 403, text: "Sign-in failed"},
		{name: "IdP refused the user", edit: func(o *samltest.ResponseOptions) {
			o.Status = saml.StatusResponder
		}, user: partner, check: "status", status: 403, text: "failed check: status"},
		{name: "no email", edit: func(o *samltest.ResponseOptions) {
			o.NameIDFormat = saml.NameIDFormatPersistent
			o.NameID = "opaque-1234"
			o.Attributes = nil
		}, user: partner, check: "error", status: 403, text: "email is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage,
				PageID: "2"})
			resp, _ := e.get(e.client, "/s/"+token)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			o := samltestOptions(e, tt.user)
			tt.edit(&o)
			form := e.responseFor(resp.Header.Get("Location"), tt.user, &o)

			resp, body := e.postACS(e.client, form)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, body, tt.text)
			assert.NotContains(t, e.sessionCookies(), "ss_session")
			failed := e.audit(share.EventLoginFailed)
			require.Len(t, failed, 1)
			assert.Equal(t, "acme", failed[0].IDP)
			if tt.check != "" {
				assert.Equal(t, tt.check, failed[0].Reason)
			}
			logs := e.logs.String()
			assert.Contains(t, logs, "sign-in refused", "the administrator's log says why")
			assert.Contains(t, logs, "idp=acme")
			assert.Empty(t, e.audit(share.EventLoginSucceeded))
		})
	}
}

func TestACSBadRequests(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name   string
		body   string
		ctype  string
		status int
		text   string
	}{
		{"no response", "RelayState=x", "application/x-www-form-urlencoded", 400,
			"sent no SAML response"},
		{"not a form", "%%%", "application/x-www-form-urlencoded", 400, "could not be read"},
		{"too large", "SAMLResponse=" + strings.Repeat("A", maxACSBody+1),
			"application/x-www-form-urlencoded", 403, "failed check: size"},
		{"garbage response", "SAMLResponse=not-base64!", "application/x-www-form-urlencoded", 403,
			"Sign-in failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.newClient().Post(e.h.ACSURL(), tt.ctype, strings.NewReader(tt.body))
			require.NoError(t, err)
			body := readBody(t, resp)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, body, tt.text)
		})
	}
}

func TestACSExpiredRequest(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	form := e.startSignIn(e.client, "/s/"+token, partner)

	e.clock.Advance(share.DefaultRequestLifetime + time.Second)
	resp, body := e.postACS(e.client, form)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "not finished in time")
	failed := e.audit(share.EventLoginFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, "in_response_to", failed[0].Reason)
}

func TestACSResponseForAnotherRequest(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, _ := e.get(e.client, "/s/"+token)
	first := resp.Header.Get("Location")
	resp, _ = e.get(e.newClient(), "/s/"+token)
	second := resp.Header.Get("Location")

	// A response to the first request, posted with the second's RelayState.
	form := e.responseFor(first, partner, nil)
	_, relay2 := parseAuthnRedirect(t, second)
	form.Set("RelayState", relay2)
	resp, _ = e.postACS(e.client, form)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	failed := e.audit(share.EventLoginFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, "in_response_to", failed[0].Reason)
}

func TestTwoInstancesShareOneStore(t *testing.T) {
	a := newEnv(t, envOptions{})
	b := a.sibling(t)
	_, token := a.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2",
		Policy: share.Policy{Groups: []string{"partners"}}})

	resp, _ := a.get(a.client, "/s/"+token)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	form := a.responseFor(resp.Header.Get("Location"), partner, nil)

	// The IdP posts to the other instance, as a load balancer may send it.
	resp, err := a.client.PostForm(b.srv.URL+"/saml/acs", form)
	require.NoError(t, err)
	body := readBody(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "<h1>Guide</h1>")

	// The same response is refused by either instance now.
	for _, acs := range []string{a.srv.URL + "/saml/acs", b.srv.URL + "/saml/acs"} {
		resp, err := b.newClient().PostForm(acs, form)
		require.NoError(t, err)
		readBody(t, resp)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, acs)
	}
}

// sibling starts a second handler with the same configuration (the same
// BaseURL, as behind a load balancer) over the same store, at another
// address.
func (e *env) sibling(t *testing.T) *env {
	t.Helper()
	o := *e
	h, err := New(e.cfg)
	require.NoError(t, err)
	o.h = h
	o.srv = httptest.NewServer(h)
	t.Cleanup(o.srv.Close)
	return &o
}

func TestTestLoginReportsMappingErrors(t *testing.T) {
	e := newEnv(t, envOptions{allowTest: true})
	req, err := http.NewRequest("GET", e.srv.URL+"/saml/test/acme", nil)
	require.NoError(t, err)
	req.Header.Set("X-Admin", "yes")
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	readBody(t, resp)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	o := samltestOptions(e, partner)
	o.NameIDFormat, o.NameID = saml.NameIDFormatPersistent, "opaque-1"
	o.Attributes = []saml.Attribute{{Name: "department", Values: []string{"sales"}}}
	resp, body := e.postACS(e.client, e.responseFor(resp.Header.Get("Location"), partner, &o))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "no profile could be mapped")
	assert.Contains(t, body, "department")
	assert.Empty(t, e.audit(share.EventLoginSucceeded))
}

func TestLoginRoute(t *testing.T) {
	e := newEnv(t, envOptions{})
	resp, body := e.get(e.client, "/saml/login/nobody")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "No identity provider of that name")

	resp, body = e.get(e.newClient(), "/saml/test/acme")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "test logins are off without a check")
	assert.Contains(t, body, "Only an administrator")

	c := e.newClient()
	resp, _ = e.get(c, "/saml/login/acme?return="+url.QueryEscape("/elsewhere?x=1"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, relay := parseAuthnRedirect(t, resp.Header.Get("Location"))
	st, err := e.svc.ConsumeAuthnRequest(t.Context(), relay)
	require.NoError(t, err)
	assert.Equal(t, "/elsewhere?x=1", st.ReturnTo)
	assert.Equal(t, "acme", st.IDP)
}

func TestEncryptedAssertion(t *testing.T) {
	e := newEnv(t, envOptions{})
	key, err := idpKey()
	require.NoError(t, err)
	cfg := e.cfg
	cfg.EncryptionKey, cfg.EncryptionCertificate = key, e.idp.Certificate()
	h, err := New(cfg)
	require.NoError(t, err)
	e.h = h
	e.srv.Config.Handler = h
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})

	_, md := e.get(e.client, "/saml/metadata")
	assert.Contains(t, md, `use="encryption"`)

	resp, _ := e.get(e.client, "/s/"+token)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	o := samltestOptions(e, partner)
	o.EncryptFor, o.SignResponse = e.idp.Certificate(), true
	resp, body := e.postACS(e.client, e.responseFor(resp.Header.Get("Location"), partner, &o))
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "<h1>Guide</h1>")

	_, err = New(Config{Service: e.svc, Content: e.h.content, IDPs: cfg.IDPs,
		BaseURL: "https://share.example.com", EncryptionKey: key})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "EncryptionCertificate", ce.Field)
}

func TestConcurrentReplayOneWins(t *testing.T) {
	e := newEnv(t, envOptions{acsLimit: RateLimit{Rate: 100, Burst: 100}})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, _ := e.get(e.client, "/s/"+token)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	form := e.responseFor(resp.Header.Get("Location"), partner, nil)

	const n = 8
	codes := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			c := e.newClient()
			c.CheckRedirect = func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			}
			resp, err := c.PostForm(e.h.ACSURL(), form)
			if err != nil {
				codes <- 0
				return
			}
			_ = resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	won := 0
	for i := 0; i < n; i++ {
		code := <-codes
		if code == http.StatusSeeOther {
			won++
			continue
		}
		assert.Equal(t, http.StatusForbidden, code)
	}
	assert.Equal(t, 1, won, "exactly one post of a response starts a session")
	assert.Len(t, e.audit(share.EventLoginSucceeded), 1)
	assert.Len(t, e.audit(share.EventLoginFailed), n-1)
}

// TestACSPostedTwiceBesideIDPInitiated: a response posted a second time,
// when another IdP allows IdP-initiated sign-in, fails as unsolicited (what
// it is), not as coming from the wrong IdP.
func TestACSPostedTwiceBesideIDPInitiated(t *testing.T) {
	e := newEnv(t, envOptions{})
	cfg := e.cfg
	partnerIDP := cfg.IDPs["acme"]
	partnerIDP.Name, partnerIDP.EntityID = "beta", "https://beta.example/idp"
	partnerIDP.AllowIDPInitiated = true
	cfg.IDPs = map[string]idp.Config{"acme": cfg.IDPs["acme"], "beta": partnerIDP}
	h, err := New(cfg)
	require.NoError(t, err)
	e.srv.Config.Handler = h

	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	form := e.startSignIn(e.client, "/s/"+token+"?idp=acme", partner)
	resp, body := e.postACS(e.client, form)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	resp, body = e.postACS(e.newClient(), form)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "unsolicited")
	failed := e.audit(share.EventLoginFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, "unsolicited", failed[0].Reason)
	assert.Contains(t, failed[0].Detail, "finished already")
	assert.Contains(t, failed[0].Detail, "does not come from an IdP that allows IdP-initiated")
	assert.NotContains(t, failed[0].Detail, "beta.example", "not the wrong IdP's details")
}

// TestACSEmailDomainRefused: an IdP limited to some email domains that
// vouches for another is refused with that reason, for the viewer and in
// the audit log.
func TestACSEmailDomainRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	cfg := e.cfg
	limited := cfg.IDPs["acme"]
	limited.EmailDomains = []string{"corp.example"}
	cfg.IDPs = map[string]idp.Config{"acme": limited}
	h, err := New(cfg)
	require.NoError(t, err)
	e.srv.Config.Handler = h

	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, body := e.login(e.client, "/s/"+token, partner)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "in a domain it may not sign in here")
	assert.NotContains(t, body, "is missing")
	failed := e.audit(share.EventLoginFailed)
	require.Len(t, failed, 1)
	assert.Contains(t, failed[0].Detail, `"partner.example" is not one this IdP may vouch for`)

	resp, body = e.login(e.newClient(), "/s/"+token,
		user{email: "ann@corp.example", groups: []string{"partners"}})
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
}
