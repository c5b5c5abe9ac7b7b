package sharehttp

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
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
	"github.com/secureshare/secureshare/share"
)

func TestNewRefusesBadConfig(t *testing.T) {
	e := newEnv(t, envOptions{})
	good := func() Config {
		return Config{Service: e.svc, Content: e.h.content,
			IDPs:    map[string]idp.Config{"acme": e.h.idps["acme"].cfg},
			BaseURL: "https://share.example.com"}
	}
	_, err := New(good())
	require.NoError(t, err, "the base configuration must be valid")

	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no service", func(c *Config) { c.Service = nil }, "Service"},
		{"no content", func(c *Config) { c.Content = nil }, "Content"},
		{"no IdP", func(c *Config) { c.IDPs = nil }, "IDPs"},
		{"name differs from key", func(c *Config) {
			c.IDPs = map[string]idp.Config{"other": c.IDPs["acme"]}
		}, "IDPs[other]"},
		{"invalid IdP", func(c *Config) {
			ic := c.IDPs["acme"]
			ic.SSOURL = ""
			c.IDPs = map[string]idp.Config{"acme": ic}
		}, "IDPs[acme]"},
		{"signed requests without key", func(c *Config) {
			ic := c.IDPs["acme"]
			ic.SignAuthnRequests = true
			c.IDPs = map[string]idp.Config{"acme": ic}
		}, "IDPs[acme]"},
		{"relative base URL", func(c *Config) { c.BaseURL = "/share" }, "BaseURL"},
		{"plain http on a public host", func(c *Config) { c.BaseURL = "http://share.example.com" },
			"BaseURL"},
		{"insecure cookies over https", func(c *Config) { c.InsecureCookies = true }, "InsecureCookies"},
		{"unsafe default return", func(c *Config) { c.DefaultReturnPath = "//evil.example" },
			"DefaultReturnPath"},
		{"frame ancestor injecting a directive", func(c *Config) {
			c.FrameAncestors = []string{"https://a.example; script-src *"}
		}, "FrameAncestors"},
		{"key without certificate", func(c *Config) { c.SigningKey = mustKey(t) },
			"SigningCertificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.edit(&cfg)
			_, err := New(cfg)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	for _, path := range []string{"/saml/metadata", "/s/" + token, "/s/nope", "/s/", "/nothing",
		"/saml/login/acme"} {
		t.Run(path, func(t *testing.T) {
			resp, _ := e.get(e.newClient(), path)
			hd := resp.Header
			assert.Equal(t, "no-referrer", hd.Get("Referrer-Policy"))
			assert.Equal(t, "nosniff", hd.Get("X-Content-Type-Options"))
			csp := hd.Get("Content-Security-Policy")
			assert.Contains(t, csp, "default-src 'none'")
			assert.Contains(t, csp, "frame-ancestors 'none'")
			assert.Contains(t, csp, "form-action 'self' https://idp.test")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.Equal(t, "DENY", hd.Get("X-Frame-Options"))
		})
	}
}

func TestFrameAncestorsAndPrefix(t *testing.T) {
	e := newEnv(t, envOptions{})
	h, err := New(Config{Service: e.svc, Content: e.h.content,
		IDPs:    map[string]idp.Config{"acme": e.h.idps["acme"].cfg},
		BaseURL: "https://corp.example/share/", FrameAncestors: []string{"https://intranet.example"}})
	require.NoError(t, err)
	assert.Equal(t, "https://corp.example/share/saml/metadata", h.EntityID())
	assert.Equal(t, "https://corp.example/share/saml/acs", h.ACSURL())
	assert.Equal(t, "https://corp.example/share/saml/slo", h.SLOURL())
	assert.Equal(t, "/share/s/", h.DefaultRelayState())
	assert.Equal(t, "https://corp.example/share/s/abc", h.LinkURL("abc"))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://corp.example/share/saml/metadata", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Header().Get("Content-Security-Policy"),
		"frame-ancestors https://intranet.example")
	assert.Empty(t, rec.Header().Get("X-Frame-Options"))
	assert.NotEmpty(t, rec.Header().Get("Strict-Transport-Security"))

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://corp.example/saml/metadata", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code, "routes live under the prefix only")
}

func TestMetadata(t *testing.T) {
	e := newEnv(t, envOptions{})
	resp, body := e.get(e.client, "/saml/metadata")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/samlmetadata+xml", resp.Header.Get("Content-Type"))
	assert.Contains(t, body, `entityID="`+e.h.EntityID()+`"`)
	assert.Contains(t, body, `Location="`+e.h.ACSURL()+`"`)
	assert.Contains(t, body, `Location="`+e.h.SLOURL()+`"`)
	assert.Equal(t, e.srv.URL+"/saml/metadata", e.h.MetadataURL())
}

func TestSecureSessionCookie(t *testing.T) {
	e := newEnv(t, envOptions{})
	h, err := New(Config{Service: e.svc, Content: e.h.content,
		IDPs:    map[string]idp.Config{"acme": e.h.idps["acme"].cfg},
		BaseURL: "https://share.example.com", Now: e.clock.Now})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.setSession(rec, "id", share.Session{Expires: testStart.Add(time.Hour)})
	c := rec.Result().Cookies()
	require.Len(t, c, 1)
	assert.Equal(t, "__Host-ss_session", c[0].Name)
	assert.True(t, c[0].Secure)
	assert.True(t, c[0].HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, c[0].SameSite)
	assert.Equal(t, "/", c[0].Path)
	assert.Equal(t, 3600, c[0].MaxAge)
}

func TestSessionRotatesAtLogin(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, _ := e.login(e.client, "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	first := e.cookie(e.client, "ss_session")
	require.NotEmpty(t, first)

	resp, _ = e.get(e.client, "/saml/login/acme")
	form := e.responseFor(resp.Header.Get("Location"), partner, nil)
	resp, _ = e.postACS(e.client, form)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	second := e.cookie(e.client, "ss_session")
	assert.NotEqual(t, first, second)
	_, err := e.svc.Session(context.Background(), first)
	assert.ErrorIs(t, err, share.ErrNotFound, "the replaced session ends")
	_, err = e.svc.Session(context.Background(), second)
	assert.NoError(t, err)
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, envOptions{acsLimit: RateLimit{Rate: 0.001, Burst: 2},
		linkLimit: RateLimit{Rate: 0.001, Burst: 3}})
	for i := 0; i < 3; i++ {
		resp, _ := e.get(e.client, "/s/nope")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	}
	resp, body := e.get(e.client, "/s/nope")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Contains(t, body, "Too many requests")
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))

	for i := 0; i < 2; i++ {
		resp, _ := e.postACS(e.client, url.Values{"SAMLResponse": {"x"}})
		require.NotEqual(t, http.StatusTooManyRequests, resp.StatusCode)
	}
	resp, _ = e.postACS(e.client, url.Values{"SAMLResponse": {"x"}})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)

	e.clock.Advance(time.Hour)
	resp, _ = e.get(e.client, "/s/nope")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the bucket refills with time")
}

func TestLimiterForgetsOldClients(t *testing.T) {
	l := newLimiter(RateLimit{Rate: 1, Burst: 1}, 4)
	for i, k := range []string{"a", "b", "c", "d"} {
		require.True(t, l.allow(k, testStart.Add(time.Duration(i)*time.Second)))
	}
	assert.False(t, l.allow("d", testStart.Add(3*time.Second)), "d's bucket is empty")
	require.True(t, l.allow("e", testStart.Add(10*time.Second)))
	assert.LessOrEqual(t, len(l.clients), 4)
	assert.NotContains(t, l.clients, "a", "the oldest client was forgotten")
	assert.Contains(t, l.clients, "e")
}

func TestChooseIDP(t *testing.T) {
	e := newEnv(t, envOptions{})
	second := e.h.idps["acme"].cfg
	second.Name, second.EntityID = "beta", "https://beta.test/metadata"
	h, err := New(Config{Service: e.svc, Content: e.h.content,
		IDPs:    map[string]idp.Config{"acme": e.h.idps["acme"].cfg, "beta": second},
		BaseURL: "https://share.example.com", Now: e.clock.Now})
	require.NoError(t, err)
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://share.example.com/s/"+token, nil))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Body.String(), `href="/s/`+token+`?idp=beta"`)

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://share.example.com/s/"+token+"?idp=beta", nil))
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.True(t, strings.HasPrefix(rec.Header().Get("Location"), "https://idp.test/sso?"))
}

func TestSpaceLinkLanding(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopeSpace})
	resp, body := e.login(e.client, "/s/"+token, outsider)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "<h1>Engineering home</h1>")
	assert.Contains(t, body, `href="/s/`+token+`/p/2"`, "child navigation")
	assert.NotContains(t, body, "Payroll", "a restricted child is left out")

	tests := []struct {
		page   string
		status int
	}{{"2", 200}, {"4", 200}, {"3", 404}, {"9", 404}, {"abc", 404}}
	for _, tt := range tests {
		t.Run("page "+tt.page, func(t *testing.T) {
			resp, _ := e.get(e.client, "/s/"+token+"/p/"+tt.page)
			assert.Equal(t, tt.status, resp.StatusCode)
		})
	}
}

func TestTestConfigurationLogin(t *testing.T) {
	e := newEnv(t, envOptions{allowTest: true})
	resp, _ := e.get(e.client, "/saml/test/acme")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "only admins")

	req, err := http.NewRequest("GET", e.srv.URL+"/saml/test/acme", nil)
	require.NoError(t, err)
	req.Header.Set("X-Admin", "yes")
	resp, err = e.client.Do(req)
	require.NoError(t, err)
	readBody(t, resp)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	form := e.responseFor(resp.Header.Get("Location"), partner, nil)
	resp, body := e.postACS(e.client, form)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Test of acme")
	assert.Contains(t, body, "pat@partner.example")
	assert.Contains(t, body, "partners")
	assert.NotContains(t, e.sessionCookies(), "ss_session", "a test sign-in starts no session")
}

func TestLogoutAndSingleLogout(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	idpBuilder := e.idpBuilder()

	t.Run("cross-site logout refused", func(t *testing.T) {
		resp, _ := e.login(e.client, "/s/"+token, partner)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		req, _ := http.NewRequest("POST", e.srv.URL+"/saml/logout", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		readBody(t, resp)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.NotEmpty(t, e.cookie(e.client, "ss_session"))
	})
	t.Run("viewer logout goes to the IdP", func(t *testing.T) {
		sid := e.cookie(e.client, "ss_session")
		req, _ := http.NewRequest("POST", e.srv.URL+"/saml/logout", nil)
		req.Header.Set("Origin", e.srv.URL)
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		readBody(t, resp)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "idp.test", loc.Host)
		_, err = e.svc.Session(context.Background(), sid)
		assert.ErrorIs(t, err, share.ErrNotFound)

		// The IdP answers; the answer is checked against our request.
		relay := loc.Query().Get("RelayState")
		u, err := idpBuilder.RedirectLogoutResponse(e.h.SLOURL(), relay, relay, "")
		require.NoError(t, err)
		resp, body := e.get(e.client, strings.TrimPrefix(u, e.srv.URL))
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, "/s/", resp.Request.URL.Path)
	})
	t.Run("IdP logout request ends the session", func(t *testing.T) {
		c := e.newClient()
		resp, _ := e.login(c, "/s/"+token, partner)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		sid := e.cookie(c, "ss_session")
		u, _, err := idpBuilder.RedirectLogoutRequest(e.h.SLOURL(), "rs",
			saml.LogoutRequestOptions{NameID: saml.NameID{Value: partner.email,
				Format: saml.NameIDFormatEmailAddress}})
		require.NoError(t, err)
		resp, _ = e.get(c, strings.TrimPrefix(u, e.srv.URL))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), "https://idp.test/slo?"))
		_, err = e.svc.Session(context.Background(), sid)
		assert.ErrorIs(t, err, share.ErrNotFound)

		// The same signed request again, opened by someone signed in since
		// (or sent to a victim's browser): it ends nothing.
		again := e.newClient()
		resp, _ = e.login(again, "/s/"+token, partner)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		sid = e.cookie(again, "ss_session")
		resp, body := e.get(again, strings.TrimPrefix(u, e.srv.URL))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, body, "already carried out")
		_, err = e.svc.Session(context.Background(), sid)
		assert.NoError(t, err, "the new session lives on")
		assert.NotEmpty(t, e.cookie(again, "ss_session"), "and its cookie is kept")
	})
	t.Run("unsigned logout request refused", func(t *testing.T) {
		unsigned, err := saml.NewRequestBuilder(saml.RequestConfig{EntityID: e.idp.EntityID()})
		require.NoError(t, err)
		u, _, err := unsigned.RedirectLogoutRequest(e.h.SLOURL(), "",
			saml.LogoutRequestOptions{NameID: saml.NameID{Value: partner.email}})
		require.NoError(t, err)
		resp, body := e.get(e.client, strings.TrimPrefix(u, e.srv.URL))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, body, "not signed by a configured identity provider")
	})
	t.Run("answer to no sign-out leaves the session", func(t *testing.T) {
		c := e.newClient()
		resp, _ := e.login(c, "/s/"+token, partner)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		sid := e.cookie(c, "ss_session")
		u, err := idpBuilder.RedirectLogoutResponse(e.h.SLOURL(), "", "_nothing", "")
		require.NoError(t, err)
		resp, body := e.get(c, strings.TrimPrefix(u, e.srv.URL))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, body, "nothing was changed")
		assert.NotContains(t, body, "signed out here")
		_, err = e.svc.Session(context.Background(), sid)
		assert.NoError(t, err, "the session goes on")
	})
}

// Past the validUntil of the metadata its keys came from, an IdP's
// sign-in responses and logout requests are refused with the check named.
func TestIDPMetadataExpired(t *testing.T) {
	e := newEnv(t, envOptions{metadataValidUntil: testStart.Add(time.Minute)})
	_, token := e.createLink(share.LinkSpec{Space: "ENG", Scope: share.ScopePage, PageID: "2"})
	resp, _ := e.login(e.newClient(), "/s/"+token, partner)
	require.Equal(t, http.StatusOK, resp.StatusCode, "before validUntil")

	e.clock.Advance(time.Minute)
	resp, body := e.login(e.newClient(), "/s/"+token, partner)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "failed check: metadata_expired")
	failed := e.audit(share.EventLoginFailed)
	require.NotEmpty(t, failed)
	assert.Equal(t, "metadata_expired", failed[len(failed)-1].Reason)

	u, _, err := e.idpBuilder().RedirectLogoutRequest(e.h.SLOURL(), "",
		saml.LogoutRequestOptions{NameID: saml.NameID{Value: partner.email}})
	require.NoError(t, err)
	resp, body = e.get(e.client, strings.TrimPrefix(u, e.srv.URL))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "failed check: metadata_expired")
}

// idpBuilder is a RequestBuilder speaking as the test IdP, to make signed
// logout messages.
func (e *env) idpBuilder() *saml.RequestBuilder {
	e.t.Helper()
	key, err := idpKey()
	require.NoError(e.t, err)
	b, err := saml.NewRequestBuilder(saml.RequestConfig{EntityID: e.idp.EntityID(),
		SigningKey: key, SigningCertificate: e.idp.Certificate(), Now: e.clock.Now})
	require.NoError(e.t, err)
	return b
}

// cookie returns the value of the named cookie c holds for our server.
func (e *env) cookie(c *http.Client, name string) string {
	u, err := url.Parse(e.srv.URL + "/")
	require.NoError(e.t, err)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// mustKey returns the shared test key as a signer.
func mustKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := idpKey()
	require.NoError(t, err)
	return k
}

func TestSignedAuthnRequests(t *testing.T) {
	for _, binding := range []saml.Binding{saml.BindingHTTPRedirect, saml.BindingHTTPPost} {
		t.Run(binding.String(), func(t *testing.T) {
			e := newEnv(t, envOptions{})
			cfg := e.cfg
			ic := cfg.IDPs["acme"]
			ic.SignAuthnRequests, ic.SSOBinding = true, binding
			cfg.IDPs = map[string]idp.Config{"acme": ic}
			cfg.SigningKey, cfg.SigningCertificate = mustKey(t), e.idp.Certificate()
			h, err := New(cfg)
			require.NoError(t, err)

			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", e.srv.URL+"/saml/login/acme", nil))
			if binding == saml.BindingHTTPRedirect {
				require.Equal(t, http.StatusSeeOther, rec.Code)
				loc, err := url.Parse(rec.Header().Get("Location"))
				require.NoError(t, err)
				assert.Equal(t, saml.AlgRSASHA256, loc.Query().Get("SigAlg"))
				assert.NotEmpty(t, loc.Query().Get("Signature"))
				assert.True(t, isMessageID(loc.Query().Get("RelayState")))
				return
			}
			require.Equal(t, http.StatusOK, rec.Code)
			raw, err := base64.StdEncoding.DecodeString(formValue(t, rec.Body.String(), "SAMLRequest"))
			require.NoError(t, err)
			assert.Contains(t, string(raw), "SignatureValue")
			relay := formValue(t, rec.Body.String(), "RelayState")
			assert.Contains(t, string(raw), `ID="`+relay+`"`, "the RelayState is the request ID")

			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", e.srv.URL+"/saml/metadata", nil))
			assert.Contains(t, rec.Body.String(), `AuthnRequestsSigned="true"`)
			assert.Contains(t, rec.Body.String(), "X509Certificate")
		})
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 404},
		{"GET", "/s/a/b/c/d/e/f", 404},
		{"GET", "/saml/acs", 404},
		{"PUT", "/saml/acs", 405},
		{"POST", "/s/x", 405},
		{"DELETE", "/saml/metadata", 405},
		{"GET", "/saml/logout", 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.srv.URL+tt.path, nil)
			require.NoError(t, err)
			resp, err := e.client.Do(req)
			require.NoError(t, err)
			readBody(t, resp)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
		})
	}
}

// TestKeySignsEveryAuthnRequest: with a signing key the SP metadata says
// AuthnRequestsSigned="true", so requests are signed for every IdP, also
// one whose metadata did not ask (SimpleSAMLphp refuses unsigned requests
// from an SP whose metadata promises signatures). Without a key neither is
// claimed nor done.
func TestKeySignsEveryAuthnRequest(t *testing.T) {
	e := newEnv(t, envOptions{})
	cfg := e.cfg
	require.False(t, cfg.IDPs["acme"].SignAuthnRequests)

	login := func(h *Handler) url.Values {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", e.srv.URL+"/saml/login/acme", nil))
		require.Equal(t, http.StatusSeeOther, rec.Code)
		loc, err := url.Parse(rec.Header().Get("Location"))
		require.NoError(t, err)
		return loc.Query()
	}
	metadata := func(h *Handler) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", e.srv.URL+"/saml/metadata", nil))
		return rec.Body.String()
	}

	q := login(e.h)
	assert.Empty(t, q.Get("Signature"))
	assert.Contains(t, metadata(e.h), `AuthnRequestsSigned="false"`)

	cfg.SigningKey, cfg.SigningCertificate = mustKey(t), e.idp.Certificate()
	h, err := New(cfg)
	require.NoError(t, err)
	q = login(h)
	assert.Equal(t, saml.AlgRSASHA256, q.Get("SigAlg"))
	assert.NotEmpty(t, q.Get("Signature"))
	assert.Contains(t, metadata(h), `AuthnRequestsSigned="true"`)
}

// TestErrorfClientGone: an error that is only the client going away is
// logged at INFO as such; any other error, or a cancellation while the
// client is still there, at ERROR.
func TestErrorfClientGone(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := httptest.NewRequest(http.MethodGet, "/s/x", nil).WithContext(ctx)
	e.h.errorf(gone, "saving AuthnRequest", fmt.Errorf("store: %w", context.Canceled))
	e.h.errorf(gone, "reading link", errors.New("disk on fire"))
	here := httptest.NewRequest(http.MethodGet, "/s/y", nil)
	e.h.errorf(here, "reading page", fmt.Errorf("fetch: %w", context.Canceled))

	logs := e.logs.String()
	assert.Contains(t, logs,
		`level=INFO msg="sharehttp: saving AuthnRequest: the client went away"`)
	assert.Contains(t, logs, `level=ERROR msg="sharehttp: reading link"`)
	assert.Contains(t, logs, `level=ERROR msg="sharehttp: reading page"`)
}
