package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
)

// signInWith follows the demo's partners link to the IdP and posts p's
// response to the ACS. It returns the answer.
func signInWith(t *testing.T, d *demo, p *samltest.IDP) (*http.Response, string) {
	t.Helper()
	partners, _ := d.link("partners")
	c := browser(t)
	c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Hostname() != "127.0.0.1" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, page := get(t, c, partners)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	relay := loc.Query().Get("RelayState")

	h := d.s.handler()
	v, err := p.PostValue(samltest.ResponseOptions{Destination: h.ACSURL(),
		Audience: h.EntityID(), InResponseTo: relay, NameID: "pat@partner.example",
		SignAssertion: true, Attributes: []saml.Attribute{
			{Name: "email", Values: []string{"pat@partner.example"}},
			{Name: "groups", Values: []string{"partners"}}}})
	require.NoError(t, err)
	resp, err = c.PostForm(h.ACSURL(), url.Values{"SAMLResponse": {v}, "RelayState": {relay}})
	require.NoError(t, err)
	return resp, body(t, resp)
}

func TestFlagIDPKeyRollover(t *testing.T) {
	oldIDP, oldMD := newPartnerIDP(t)
	newIDP, newMD := newPartnerIDP(t)
	var served atomic.Pointer[[]byte]
	served.Store(&oldMD)
	var failing atomic.Bool
	mdServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		if failing.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(*served.Load())
	}))
	defer mdServer.Close()

	d := startDemo(t, t.TempDir(), "--idp-metadata", "partner="+mdServer.URL+"/md")
	fs := d.s.flagSources["partner"]
	require.NotNil(t, fs, "a flag IdP by URL is refreshed")
	require.NotNil(t, fs.stop, "in the background")
	refresh := func() error {
		err := fs.r.Refresh(t.Context())
		d.s.flagRefreshed(t.Context(), "partner", fs.r.Status(), err)
		return err
	}
	resp, page := signInWith(t, d, oldIDP)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	resp, _ = signInWith(t, d, newIDP)
	require.NotEqual(t, http.StatusOK, resp.StatusCode, "the new key is not trusted yet")

	// The IdP rolls its key over; the next refresh serves the new one.
	served.Store(&newMD)
	require.NoError(t, refresh())
	resp, page = signInWith(t, d, newIDP)
	assert.Equal(t, http.StatusOK, resp.StatusCode, page)
	resp, _ = signInWith(t, d, oldIDP)
	assert.NotEqual(t, http.StatusOK, resp.StatusCode, "the old key is retired")
	assert.True(t, d.s.idpMap()["partner"].SigningCertificates[0].Equal(newIDP.Certificate()))

	// A failed fetch keeps the last good copy and is shown on the IdPs page.
	failing.Store(true)
	require.Error(t, refresh())
	resp, page = signInWith(t, d, newIDP)
	assert.Equal(t, http.StatusOK, resp.StatusCode, page)
	rows := d.s.idpRows(time.Now())
	require.Len(t, rows, 1)
	assert.Equal(t, mdServer.URL+"/md", rows[0].MetadataURL)
	assert.Contains(t, rows[0].LastError, "503")
}
