package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/saml/samltest"
	"github.com/secureshare/secureshare/share"
)

// partnerEntityID is the entity ID of the test IdP the admin adds.
const partnerEntityID = "https://idp.partner.example/metadata"

// newPartnerIDP is a samltest IdP and its metadata, whose SSO URL is on
// a foreign host.
func newPartnerIDP(t *testing.T) (*samltest.IDP, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p, err := samltest.New(samltest.Config{EntityID: partnerEntityID, Key: key})
	require.NoError(t, err)
	md, err := p.Metadata("https://idp.partner.example/sso", "")
	require.NoError(t, err)
	return p, md
}

// postIDPForm fills the form of the page at path that posts to action
// with fields, submits it and returns the answer.
func postIDPForm(t *testing.T, d *demo, c *http.Client, path, action string,
	fields url.Values) (*http.Response, string) {
	t.Helper()
	base, page := adminGet(t, d, c, path)
	f := formWith(t, page, action)
	for k, v := range fields {
		f.values[k] = v
	}
	return submit(t, c, base, f)
}

// addIDP adds an IdP on the IdPs page and requires success.
func addIDP(t *testing.T, d *demo, c *http.Client, fields url.Values) string {
	t.Helper()
	resp, page := postIDPForm(t, d, c, "/admin/idps", "/admin/idps", fields)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	require.Contains(t, page, "Saved "+fields.Get("name"))
	return page
}

// signInAtPartner opens linkURL, which must send the browser to the
// partner IdP, and posts p's response to the ACS. It returns the answer.
func signInAtPartner(t *testing.T, d *demo, p *samltest.IDP, linkURL string) (*http.Response,
	string) {
	t.Helper()
	c := browser(t)
	c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Hostname() != "127.0.0.1" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, page := get(t, c, linkURL)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "idp.partner.example", loc.Host, "sent to the partner IdP")
	relay := loc.Query().Get("RelayState")

	h := d.s.handler()
	v, err := p.PostValue(samltest.ResponseOptions{Destination: h.ACSURL(),
		Audience: h.EntityID(), InResponseTo: relay, NameID: "pat@partner.example",
		SignAssertion: true, Attributes: []saml.Attribute{
			{Name: "mail", Values: []string{"pat@partner.example"}},
			{Name: "memberOf", Values: []string{"partners"}}}})
	require.NoError(t, err)
	resp, err = c.PostForm(h.ACSURL(), url.Values{"SAMLResponse": {v}, "RelayState": {relay}})
	require.NoError(t, err)
	return resp, body(t, resp)
}

// idpEvents are the idp.changed audit events, newest first.
func idpEvents(t *testing.T, d *demo) []share.AuditEvent {
	t.Helper()
	events, _, err := d.s.svc.QueryAudit(t.Context(),
		share.AuditFilter{Kind: share.EventIDPChanged, Limit: 100})
	require.NoError(t, err)
	return events
}

func TestAdminIDPLifecycle(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	p, md := newPartnerIDP(t)

	page := addIDP(t, d, c, url.Values{"name": {"partner"}, "mode": {"xml"},
		"xml": {string(md)}, "preset": {"shibboleth"}, "map_email": {"mail"},
		"map_groups": {"memberOf"}, "email_domains": {"partner.example"}})
	assert.Contains(t, page, partnerEntityID)
	assert.Contains(t, page, "metadata XML")
	assert.Contains(t, d.s.idpMap(), demoIDPName, "the demo IdP stays")
	assert.Contains(t, d.s.idpMap(), "partner", "served without a restart")

	// Sign in through the new IdP, at a link that only it may open.
	linkURL, _ := createLink(t, d, c, url.Values{"space": {demoSpace}, "scope": {"space"},
		"idps": {"partner"}, "groups": {"partners"}})
	token := linkURL[strings.LastIndex(linkURL, "/")+1:]
	resp, page := signInAtPartner(t, d, p, linkURL)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Equal(t, "/s/"+token, resp.Request.URL.Path)
	assert.Contains(t, page, "<h1>"+demoHomeTitle+"</h1>")

	// An edit from a stale form is refused.
	_, stale := adminGet(t, d, c, "/admin/idps/partner")
	staleForm := formWith(t, stale, "/admin/idps/partner")
	assert.Equal(t, "1", staleForm.values.Get("version"))
	resp, page = postIDPForm(t, d, c, "/admin/idps/partner", "/admin/idps/partner",
		url.Values{"mode": {"xml"}, "xml": {string(md)}, "preset": {"shibboleth"},
			"map_email": {"mail"}, "map_groups": {"memberOf"}, "map_first": {"givenName"},
			"email_domains": {"partner.example"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Equal(t, "givenName", d.s.idpMap()["partner"].Mapping.FirstName)
	staleForm.values.Set("mode", "xml")
	staleForm.values.Set("xml", string(md))
	staleForm.values.Set("map_email", "email")
	base, err := url.Parse(d.url("/admin/idps/partner"))
	require.NoError(t, err)
	resp, page = submit(t, c, base, staleForm)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, page, "changed by someone else")
	assert.Equal(t, "mail", d.s.idpMap()["partner"].Mapping.Email, "stale edit not applied")

	// Delete, after a confirmation.
	resp, page = postIDPForm(t, d, c, "/admin/idps/partner/delete",
		"/admin/idps/partner/delete", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Equal(t, "/admin/idps", resp.Request.URL.Path)
	assert.NotContains(t, d.s.idpMap(), "partner")
	resp, page = get(t, browser(t), linkURL)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, page, "not configured here")
	resp, _ = get(t, browser(t), d.url("/saml/login/partner"))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Every change is audited with the admin as actor.
	events := idpEvents(t, d)
	require.Len(t, events, 3)
	var details []string
	for _, e := range events {
		assert.Equal(t, d.s.admin.user, e.Actor)
		assert.Equal(t, "partner", e.IDP)
		details = append(details, e.Detail)
	}
	joined := strings.Join(details, "\n")
	assert.Contains(t, joined, "created; entity ID "+partnerEntityID)
	assert.Contains(t, joined, "updated (Mapping)")
	assert.Contains(t, joined, "deleted; entity ID "+partnerEntityID)
}

func TestAdminIDPManualFormErrorsKeepInput(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)

	fields := url.Values{"name": {"handmade"}, "mode": {"manual"},
		"entity_id": {"https://idp.hand.example/entity"},
		"sso_url":   {"https://idp.hand.example/sso"}, "certs": {"not a certificate"},
		"map_groups": {"roles"}, "clock_skew": {"soon"}}
	resp, page := postIDPForm(t, d, c, "/admin/idps", "/admin/idps", fields)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, page, `class="error field-error">idp: parsing certificate`)
	assert.Contains(t, page, `&#34;soon&#34; is not a duration`)
	for _, kept := range []string{`value="handmade"`, `value="https://idp.hand.example/sso"`,
		`value="roles"`, ">not a certificate</textarea>", `value="manual" checked`} {
		assert.Contains(t, page, kept)
	}
	assert.NotContains(t, d.s.idpMap(), "handmade")

	cases := []struct {
		name   string
		fields url.Values
		want   string
	}{
		{"flag IdP's name", url.Values{"name": {demoIDPName}}, "the name of an IdP from the flags"},
		{"name for URLs", url.Values{"name": {"Acme Okta"}}, "lowercase letters"},
		{"demo's entity ID", url.Values{"entity_id": {d.s.demoIDP.config().EntityID}},
			"is also the entity ID"},
		{"http SSO URL", url.Values{"sso_url": {"http://idp.hand.example/sso"}}, "must use https"},
	}
	cert := pemCert(t, d.s.demoIDP.config().SigningCertificates[0].Raw)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{"name": {"handmade"}, "mode": {"manual"},
				"entity_id": {"https://idp.hand.example/entity"},
				"sso_url":   {"https://idp.hand.example/sso"}, "certs": {cert}}
			for k, v := range tc.fields {
				f[k] = v
			}
			resp, page := postIDPForm(t, d, c, "/admin/idps", "/admin/idps", f)
			assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
			assert.Contains(t, page, tc.want)
		})
	}
}

func TestAdminIDPFromMetadataURL(t *testing.T) {
	_, md := newPartnerIDP(t)
	var fetches atomic.Int32
	mdServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		fetches.Add(1)
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(md)
	}))
	defer mdServer.Close()

	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)

	resp, page := postIDPForm(t, d, c, "/admin/idps", "/admin/idps", url.Values{
		"name": {"remote"}, "mode": {"url"}, "url": {"http://idp.partner.example/md"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, page, "field-error")
	assert.Contains(t, page, "https")

	page = addIDP(t, d, c, url.Values{"name": {"remote"}, "mode": {"url"},
		"url": {mdServer.URL + "/md"}, "preset": {"okta"}})
	assert.Contains(t, page, "metadata URL")
	assert.Contains(t, page, mdServer.URL+"/md")
	assert.Equal(t, partnerEntityID, d.s.idpMap()["remote"].EntityID)

	// The refresher fetches again, conditionally, and records it.
	require.Eventually(t, func() bool {
		got, err := d.s.store.IDPConfig(t.Context(), "remote")
		return err == nil && got.Version == 2 && fetches.Load() == 2
	}, 10*time.Second, 10*time.Millisecond)
	sc, err := d.s.store.IDPConfig(t.Context(), "remote")
	require.NoError(t, err)
	assert.Equal(t, `"v1"`, sc.ETag)
	assert.Empty(t, sc.LastError)
	assert.Equal(t, md, sc.Metadata)

	// A failure is kept for the IdPs page.
	d.s.refreshed(t.Context(), "remote", idp.RefreshStatus{LastAttempt: time.Now()},
		errors.New("idp: fetching metadata: connection refused"))
	_, page = adminGet(t, d, c, "/admin/idps")
	assert.Contains(t, page, "last refresh failed: idp: fetching metadata: connection refused")
	assert.Contains(t, d.s.idpMap(), "remote", "the last good copy stays in use")
}

// addHandmadeIDP adds the IdP "handmade", typed in by hand with the demo
// IdP's certificate and SSO at https://idp.hand.example/sso, plus extra
// fields.
func addHandmadeIDP(t *testing.T, d *demo, c *http.Client, extra url.Values) {
	t.Helper()
	cert := pemCert(t, d.s.demoIDP.config().SigningCertificates[0].Raw)
	fields := url.Values{"name": {"handmade"}, "mode": {"manual"},
		"entity_id": {"https://idp.hand.example/entity"},
		"sso_url":   {"https://idp.hand.example/sso"}, "binding": {"post"},
		"certs": {strings.ReplaceAll(cert, "\n", " ")}}
	for k, v := range extra {
		fields[k] = v
	}
	addIDP(t, d, c, fields)
}

// demoWithHandmadeIDP starts a demo, signs an admin in and adds the IdP
// "handmade" as addHandmadeIDP does; it returns the admin's browser.
func demoWithHandmadeIDP(t *testing.T) (*demo, *http.Client) {
	t.Helper()
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	addHandmadeIDP(t, d, c, nil)
	return d, c
}

func TestAdminIDPsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, dir)
	c := browser(t)
	adminSignIn(t, d, c)
	addHandmadeIDP(t, d, c, url.Values{"sha1": {"on"}})
	d.stop()

	d = startDemo(t, dir)
	c = browser(t)
	adminSignIn(t, d, c)
	got := d.s.idpMap()["handmade"]
	assert.Equal(t, "https://idp.hand.example/sso", got.SSOURL)
	assert.Equal(t, saml.BindingHTTPPost, got.SSOBinding)
	assert.True(t, got.InsecureAllowSHA1)
	assert.Contains(t, d.s.idpMap(), demoIDPName)
	_, page := adminGet(t, d, c, "/admin/idps")
	assert.Contains(t, page, `href="/admin/idps/handmade"`)
	assert.Contains(t, page, "InsecureAllowSHA1: SHA-1 signatures are accepted")
	assert.Contains(t, page, "demo IdP")
	assert.NotContains(t, page, `href="/admin/idps/demo"`, "the demo IdP is read-only")

	resp, _ := get(t, c, d.url("/admin/idps/demo"))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestAdminIDPFormsNeedCSRF(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	cert := pemCert(t, d.s.demoIDP.config().SigningCertificates[0].Raw)
	addIDP(t, d, c, url.Values{"name": {"handmade"}, "mode": {"manual"},
		"entity_id": {"https://idp.hand.example/entity"},
		"sso_url":   {"https://idp.hand.example/sso"}, "certs": {cert}})

	for _, path := range []string{"/admin/idps", "/admin/idps/handmade",
		"/admin/idps/handmade/delete"} {
		resp, err := c.PostForm(d.url(path), url.Values{"name": {"forged"}, "mode": {"manual"},
			"version": {"1"}})
		require.NoError(t, err)
		body(t, resp)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, path)
	}
	assert.Contains(t, d.s.idpMap(), "handmade")
	assert.Len(t, idpEvents(t, d), 1)
}

// pemCert encodes a DER certificate as PEM.
func pemCert(t *testing.T, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestAdminIDPUploadedMetadata(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	_, md := newPartnerIDP(t)
	_, page := adminGet(t, d, c, "/admin/idps")
	csrf := formWith(t, page, "/admin/idps").values.Get("csrf")

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": csrf, "name": "uploaded", "mode": "xml"} {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", "idp.xml")
	require.NoError(t, err)
	_, err = fw.Write(md)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	resp, err := c.Post(d.url("/admin/idps"), mw.FormDataContentType(), &buf)
	require.NoError(t, err)
	page = body(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "Saved uploaded")
	assert.Equal(t, partnerEntityID, d.s.idpMap()["uploaded"].EntityID)
}

// TestAdminIDPFromFederationMetadata: metadata holding several IdPs is
// refused with their entity IDs until one is chosen in Entity ID.
func TestAdminIDPFromFederationMetadata(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	_, md := newPartnerIDP(t)
	one := regexp.MustCompile(`^<\?xml[^>]*\?>\s*`).ReplaceAll(md, nil)
	two := bytes.ReplaceAll(one, []byte(partnerEntityID), []byte("https://second.example/idp"))
	federation := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
		string(one) + string(two) + `</md:EntitiesDescriptor>`

	resp, page := postIDPForm(t, d, c, "/admin/idps", "/admin/idps", url.Values{
		"name": {"fed"}, "mode": {"xml"}, "xml": {federation}})
	assert.NotEqual(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "https://second.example/idp", "the choices are named")

	page = addIDP(t, d, c, url.Values{"name": {"fed"}, "mode": {"xml"}, "xml": {federation},
		"entity_id": {"https://second.example/idp"}})
	assert.Contains(t, page, "https://second.example/idp")
	assert.Equal(t, "https://second.example/idp", d.s.idpMap()["fed"].EntityID)
}

// TestAdminFormTooLarge: a form over the limit is refused with 413 and a
// message naming the limit, not as an expired form.
func TestAdminFormTooLarge(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	resp, page := postIDPForm(t, d, c, "/admin/idps", "/admin/idps", url.Values{
		"name": {"huge"}, "mode": {"xml"}, "xml": {strings.Repeat("<", adminMaxForm/3+1)}})
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Contains(t, page, "metadata can be at most 5 MiB")
	assert.NotContains(t, page, "expired")
}

// What another instance on the same store changes in the stored IdPs is
// served here at the next sync: a changed IdP, a new one, a deleted one.
func TestStoredIDPsSyncFromOtherInstances(t *testing.T) {
	d, c := demoWithHandmadeIDP(t)
	ctx := t.Context()

	// Nothing changed elsewhere: the live handler stays.
	live := d.s.live.Load()
	require.NoError(t, d.s.syncStoredIDPs(ctx))
	assert.Same(t, live, d.s.live.Load())

	// Another instance changes handmade and adds other.
	sc, err := d.s.store.IDPConfig(ctx, "handmade")
	require.NoError(t, err)
	sc.Config.SSOURL = "https://idp.hand.example/sso2"
	_, err = d.s.store.PutIDPConfig(ctx, sc)
	require.NoError(t, err)
	other := sc
	other.Version = 0
	other.Config.Name, other.Config.EntityID = "other", "https://idp.other.example/entity"
	_, err = d.s.store.PutIDPConfig(ctx, other)
	require.NoError(t, err)
	assert.Equal(t, "https://idp.hand.example/sso", d.s.idpMap()["handmade"].SSOURL,
		"not before the sync")

	require.NoError(t, d.s.syncStoredIDPs(ctx))
	assert.Equal(t, "https://idp.hand.example/sso2", d.s.idpMap()["handmade"].SSOURL)
	assert.Contains(t, d.s.idpMap(), "other")
	_, page := adminGet(t, d, c, "/admin/idps")
	assert.Contains(t, page, `href="/admin/idps/other"`)

	// Another instance deletes other.
	require.NoError(t, d.s.store.DeleteIDPConfig(ctx, "other"))
	require.NoError(t, d.s.syncStoredIDPs(ctx))
	assert.NotContains(t, d.s.idpMap(), "other")
	assert.Contains(t, d.s.idpMap(), "handmade")
	assert.Contains(t, d.s.idpMap(), demoIDPName, "flag IdPs stay")

	// An edit here after the sync works: this instance knows the newest
	// version.
	sc, err = d.s.storedIDP("handmade")
	require.NoError(t, err)
	sc.Config.SSOURL = "https://idp.hand.example/sso3"
	_, err = d.s.putIDP(ctx, sc, "admin")
	require.NoError(t, err)
	assert.Equal(t, "https://idp.hand.example/sso3", d.s.idpMap()["handmade"].SSOURL)
}

// TestAdminLinkTrustWarning: a link with a group rule and no IdP, when
// more than one IdP can sign its viewers in, is made with a warning that
// each of them is trusted to say who is in the group.
func TestAdminLinkTrustWarning(t *testing.T) {
	d := startDemo(t, t.TempDir())
	c := browser(t)
	adminSignIn(t, d, c)
	create := func(fields url.Values) string {
		t.Helper()
		page := submitLinkForm(t, d, c, fields)
		require.Regexp(t, linkURLRE, page, "the link was made")
		return html.UnescapeString(page)
	}
	const warning = "can sign viewers in to this link, and each is trusted"
	groups := url.Values{"space": {demoSpace}, "scope": {"space"}, "groups": {"partners"}}
	assert.NotContains(t, create(groups), warning, "one IdP: nothing to warn about")

	_, md := newPartnerIDP(t)
	addIDP(t, d, c, url.Values{"name": {"partner"}, "mode": {"xml"}, "xml": {string(md)},
		"map_email": {"mail"}, "map_groups": {"memberOf"}})
	assert.Contains(t, create(groups), "Any of the IdPs "+demoIDPName+", partner "+warning)

	chosen := url.Values{"space": {demoSpace}, "scope": {"space"}, "groups": {"partners"},
		"idps": {"partner"}}
	assert.NotContains(t, create(chosen), warning, "the admin chose the IdP")
	emails := url.Values{"space": {demoSpace}, "scope": {"space"}, "domains": {"partner.example"}}
	assert.Contains(t, create(emails), warning, "email rules are asserted by the IdP too")

	withPage := url.Values{"space": {demoSpace}, "scope": {"space"}, "page": {demoHomeID},
		"idps": {"partner"}}
	assert.Contains(t, create(withPage), "The page given was not used",
		"a page left in the form of a space link is said to be ignored")
	assert.NotContains(t, create(chosen), "The page given was not used")
}
