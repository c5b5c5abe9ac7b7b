package main

import (
	"bytes"
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
	m := newMetadataServer(t, oldMD)
	served, failing := &m.served, &m.failing
	d := startDemo(t, t.TempDir(), "--idp-metadata", "partner="+m.URL+"/md")
	fs := d.s.flagSources["partner"]
	require.NotNil(t, fs, "a flag IdP by URL is refreshed")
	require.NotNil(t, fs.stop, "in the background")
	refresh := func() error { return refreshFlagIDP(t, d, "partner") }
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
	assert.Equal(t, m.URL+"/md", rows[0].MetadataURL)
	assert.Contains(t, rows[0].LastError, "503")
}

// metadataServer serves the metadata in served, or 503 while failing.
type metadataServer struct {
	*httptest.Server
	served  atomic.Pointer[[]byte]
	failing atomic.Bool
}

func newMetadataServer(t *testing.T, md []byte) *metadataServer {
	t.Helper()
	m := &metadataServer{}
	m.served.Store(&md)
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if m.failing.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(*m.served.Load())
	}))
	t.Cleanup(m.Close)
	return m
}

// refreshFlagIDP fetches the metadata of the flag IdP name now, as its
// background refresher would, and returns the fetch's error.
func refreshFlagIDP(t *testing.T, d *demo, name string) error {
	t.Helper()
	fs := d.s.flagSources[name]
	require.NotNil(t, fs, "%s is a flag IdP given by URL", name)
	err := fs.r.Refresh(t.Context())
	d.s.flagRefreshed(t.Context(), name, fs.r.Status(), err)
	return err
}

// withValidUntil returns metadata md with validUntil set to t.
func withValidUntil(t *testing.T, md []byte, until time.Time) []byte {
	t.Helper()
	out := bytes.Replace(md, []byte("<md:EntityDescriptor "), []byte(`<md:EntityDescriptor validUntil="`+
		until.UTC().Format(time.RFC3339Nano)+`" `), 1)
	require.NotEqual(t, md, out, "metadata has an md:EntityDescriptor")
	return out
}

// A flag IdP's keys are trusted until its metadata's validUntil: a
// refresh that brings a later one is served at once, and a failed one
// keeps the last (the saml and sharehttp tests show the refusal past it).
func TestFlagIDPMetadataValidUntil(t *testing.T) {
	p, md := newPartnerIDP(t)
	firstUntil := time.Now().Add(time.Hour).Truncate(time.Second)
	m := newMetadataServer(t, withValidUntil(t, md, firstUntil))
	d := startDemo(t, t.TempDir(), "--idp-metadata", "partner="+m.URL+"/md")
	refresh := func() error { return refreshFlagIDP(t, d, "partner") }
	assert.True(t, firstUntil.Equal(d.s.idpMap()["partner"].MetadataValidUntil))
	resp, page := signInWith(t, d, p)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)

	m.failing.Store(true)
	require.Error(t, refresh())
	assert.True(t, firstUntil.Equal(d.s.idpMap()["partner"].MetadataValidUntil),
		"a failed refresh keeps the last validUntil")

	laterUntil := firstUntil.Add(24 * time.Hour)
	later := withValidUntil(t, md, laterUntil)
	m.served.Store(&later)
	m.failing.Store(false)
	require.NoError(t, refresh())
	assert.True(t, laterUntil.Equal(d.s.idpMap()["partner"].MetadataValidUntil),
		"the refreshed validUntil is served: %v", d.s.idpMap()["partner"].MetadataValidUntil)
	resp, page = signInWith(t, d, p)
	assert.Equal(t, http.StatusOK, resp.StatusCode, page)
}
