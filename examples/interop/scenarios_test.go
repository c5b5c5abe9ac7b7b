package interop

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/secureshare/secureshare/share"
)

// The demo Confluence's content that the scenarios share (see
// examples/secureshare/demowiki.go).
const (
	demoSpace       = "DEMO"
	demoHomeID      = "10"
	demoHomeTitle   = "Partner Programme"
	demoGuideTitle  = "Integration Guide"
	demoRestrictTtl = "Pricing Negotiations (internal)"
	linkGroup       = "partners"
)

// idpUnderTest is a running IdP, configured at the server under two
// names: one whose metadata offers the Redirect binding (which the server
// prefers) and one whose metadata offers only HTTP-POST.
type idpUnderTest struct {
	// redirectName and postName are the IdP's names at our server; an
	// empty postName skips the POST binding scenario.
	redirectName, postName string
	// ssoURL is the IdP's SingleSignOnService location.
	ssoURL string
	// member is in linkGroup; outsider is not.
	member, outsider           credentials
	memberEmail, outsiderEmail string
	// wrongPassword is the member with a wrong password; nil when the IdP
	// checks no passwords.
	wrongPassword *credentials
	// idpInitiatedURL starts an IdP-initiated sign-in with our server as
	// the SP; empty when the IdP cannot.
	idpInitiatedURL string
	// attributes are attribute names and one value each that the Test
	// Configuration report must list.
	attributes map[string]string
	// metadataURL is the IdP's metadata URL, for adding it on the admin
	// pages with IdP-initiated sign-in allowed; empty skips the scenarios
	// that need it.
	metadataURL string
	// singleLogout is true when the IdP answers our LogoutRequest (SAML
	// 2.0 Profiles, section 4.4) with a LogoutResponse to our SLO endpoint.
	singleLogout bool
	// idpLogoutURL starts a logout at the IdP that sends us a
	// LogoutRequest; empty when the suite has no way to start one.
	idpLogoutURL string
}

// adminSuffix names the IdP added on the admin pages: the redirect name
// with this suffix.
const adminSuffix = "-admin"

// runScenarios signs in through the IdP in every way the suite covers.
func runScenarios(t *testing.T, s *server, logs string, idp idpUnderTest) {
	acs := s.url("/saml/acs")
	newLink := func(name string) string {
		return s.createLink(share.LinkSpec{Space: demoSpace, Scope: share.ScopePageTree,
			PageID: demoHomeID, Title: "interop " + name,
			Policy: share.Policy{IDPs: []string{name}, Groups: []string{linkGroup}}})
	}

	t.Run("SP-initiated Redirect binding, member reads the page", func(t *testing.T) {
		b := newBrowser(t, logs, "redirect-member")
		p := b.get(newLink(idp.redirectName))
		require.True(t, strings.HasPrefix(p.url.String(), idp.ssoURL) ||
			sameHost(p.url, idp.ssoURL), "the link did not lead to the IdP: %s", p.url)
		p, err := b.signIn(p, idp.member, acs)
		require.NoError(t, err)
		assertSharedPage(t, s, p)
	})

	t.Run("SP-initiated POST binding, member reads the page", func(t *testing.T) {
		if idp.postName == "" {
			t.Skip("no POST-only configuration of this IdP")
		}
		b := newBrowser(t, logs, "post-member")
		p := b.get(newLink(idp.postName))
		f, ok := formWith(parseForms(p.body), "SAMLRequest")
		require.True(t, ok, "the link did not answer with an auto-submit AuthnRequest form")
		assert.Equal(t, http.MethodPost, f.method)
		assert.Equal(t, idp.ssoURL, f.action)
		p, err := b.signIn(p, idp.member, acs)
		require.NoError(t, err)
		assertSharedPage(t, s, p)
	})

	t.Run("user outside the link's group is denied with the reason", func(t *testing.T) {
		b := newBrowser(t, logs, "outsider")
		p, err := b.signIn(b.get(newLink(idp.redirectName)), idp.outsider, acs)
		require.NoError(t, err)
		text := visibleText(p.body)
		assert.Equal(t, http.StatusForbidden, p.status, text)
		assert.Contains(t, text, "This link is for members of "+linkGroup+
			"; you signed in as "+idp.outsiderEmail)
		assert.NotContains(t, text, demoGuideTitle)
	})

	t.Run("wrong password gets no session", func(t *testing.T) {
		if idp.wrongPassword == nil {
			t.Skip("this IdP checks no passwords")
		}
		b := newBrowser(t, logs, "wrong-password")
		link := newLink(idp.redirectName)
		_, err := b.signIn(b.get(link), *idp.wrongPassword, acs)
		require.ErrorIs(t, err, errLoginFormAgain)
		assertNoSession(t, s, b)
		p := b.get(link)
		assert.True(t, sameHost(p.url, idp.ssoURL), "the link did not ask for a sign-in again")
	})

	t.Run("IdP-initiated response is refused while not allowed", func(t *testing.T) {
		if idp.idpInitiatedURL == "" {
			t.Skip("this IdP cannot start an IdP-initiated sign-in")
		}
		// An IdP from --idp-metadata has AllowIDPInitiated off (no flag
		// sets it), so the response must be refused as unsolicited and
		// start no session.
		b := newBrowser(t, logs, "idp-initiated")
		p, err := b.signIn(b.get(idp.idpInitiatedURL), idp.member, acs)
		require.NoError(t, err)
		text := visibleText(p.body)
		assert.Equal(t, http.StatusForbidden, p.status, text)
		assert.Contains(t, text, "failed check: unsolicited")
		assertNoSession(t, s, b)
	})

	t.Run("Test Configuration lists the attributes sent", func(t *testing.T) {
		b := newBrowser(t, logs, "test-configuration")
		p := b.post(s.url("/admin/login"), url.Values{"user": {adminUser},
			"password": {adminPassword}})
		require.Equal(t, http.StatusOK, p.status, visibleText(p.body))
		p, err := b.signIn(b.get(s.url("/saml/test/"+idp.redirectName)), idp.member, acs)
		require.NoError(t, err)
		text := visibleText(p.body)
		require.Equal(t, http.StatusOK, p.status, text)
		assert.Contains(t, text, "sign-in would succeed")
		got := reportAttributes(p.body)
		t.Logf("attributes %s sent: %v", idp.redirectName, got)
		for name, value := range idp.attributes {
			assert.Contains(t, got[name], value, "attribute %s", name)
		}
		assertNoSession(t, s, b)
	})

	runAdminScenarios(t, s, logs, idp)
}

// assertSharedPage checks that p is the shared DEMO home page with its
// child and without the restricted page.
func assertSharedPage(t *testing.T, s *server, p page) {
	t.Helper()
	text := visibleText(p.body)
	require.Equal(t, http.StatusOK, p.status, text)
	assert.True(t, strings.HasPrefix(p.url.String(), s.url("/s/")), "ended on %s", p.url)
	assert.Contains(t, text, demoHomeTitle)
	assert.Contains(t, text, demoGuideTitle)
	assert.NotContains(t, text, demoRestrictTtl)
}

// assertNoSession checks that our server does not see b as signed in.
func assertNoSession(t *testing.T, s *server, b *browser) {
	t.Helper()
	p := b.get(s.url("/s/"))
	assert.Contains(t, visibleText(p.body), "You are not signed in")
}

// sameHost reports whether u is on the host and port of raw.
func sameHost(u *url.URL, raw string) bool {
	r, err := url.Parse(raw)
	return err == nil && u.Host == r.Host
}

// reportAttributes reads the "Attributes received" table of a Test
// Configuration report: attribute name to values.
func reportAttributes(doc string) map[string][]string {
	out := map[string][]string{}
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return out
	}
	var table *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "table" &&
			strings.Contains(attr(n, "class"), "ss-attributes") {
			table = n
		}
		for c := n.FirstChild; c != nil && table == nil; c = c.NextSibling {
			find(c)
		}
	}
	find(root)
	if table == nil {
		return out
	}
	var rows func(*html.Node)
	rows = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" {
			var cells []*html.Node
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.Data == "td" {
					cells = append(cells, c)
				}
			}
			if len(cells) >= 4 {
				name := strings.TrimSpace(text(cells[0]))
				for v := cells[3].FirstChild; v != nil; v = v.NextSibling {
					if v.Type == html.ElementNode {
						out[name] = append(out[name], strings.TrimSpace(text(v)))
					}
				}
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rows(c)
		}
	}
	rows(table)
	return out
}
