package interop

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// runAdminScenarios restarts the server without the IdP's flag
// configurations (two configurations of one entity ID cannot be served
// together), adds the IdP again on the admin pages with IdP-initiated
// sign-in allowed, and signs in and out through that configuration.
func runAdminScenarios(t *testing.T, s *server, logs string, idp idpUnderTest) {
	if idp.metadataURL == "" {
		t.Run("IdP added on the admin pages", func(t *testing.T) {
			t.Skip("no metadata URL for this IdP")
		})
		return
	}
	name := idp.redirectName + adminSuffix
	s.restart(s.placeholder)
	s.addIDP(t, logs, name, idp.metadataURL, true)
	acs := s.url("/saml/acs")
	newLink := func() string {
		return s.createLink(share.LinkSpec{Space: demoSpace, Scope: share.ScopePageTree,
			PageID: demoHomeID, Title: "interop " + name,
			Policy: share.Policy{IDPs: []string{name}, Groups: []string{linkGroup}}})
	}

	t.Run("IdP-initiated sign-in allowed on the admin pages lands on the default relay state",
		func(t *testing.T) {
			if idp.idpInitiatedURL == "" {
				t.Skip("this IdP cannot start an IdP-initiated sign-in")
			}
			b := newBrowser(t, logs, "idp-initiated-allowed")
			p, err := b.signIn(b.get(idp.idpInitiatedURL), idp.member, acs)
			require.NoError(t, err)
			text := visibleText(p.body)
			require.Equal(t, http.StatusOK, p.status, text)
			assert.Equal(t, s.url("/s/"), p.url.String(), "not the default relay state")
			assert.Contains(t, text, "You are signed in as "+idp.memberEmail)
			assertSession(t, s, b, idp.memberEmail)
			assertSharedPage(t, s, b.get(newLink()))
		})

	t.Run("Single Logout from our side ends both sessions", func(t *testing.T) {
		if !idp.singleLogout {
			t.Skip("the suite does not cover Single Logout with this IdP")
		}
		b := newBrowser(t, logs, "slo-sp-initiated")
		link := newLink()
		p, err := b.signIn(b.get(link), idp.member, acs)
		require.NoError(t, err)
		assertSharedPage(t, s, p)

		p = b.postSameOrigin(s.url("/saml/logout"), s.base, nil)
		p = b.followLogout(p, s)
		text := visibleText(p.body)
		assert.Equal(t, s.url("/s/"), p.url.String(), "the logout did not come back verified: %s",
			text)
		assert.Contains(t, text, "You are not signed in")
		assertLinkNeedsSignIn(t, b, link, idp)
	})

	t.Run("Single Logout from the IdP ends our session", func(t *testing.T) {
		if idp.idpLogoutURL == "" {
			t.Skip("the suite cannot start a logout at this IdP")
		}
		b := newBrowser(t, logs, "slo-idp-initiated")
		link := newLink()
		p, err := b.signIn(b.get(link), idp.member, acs)
		require.NoError(t, err)
		assertSharedPage(t, s, p)
		assertSession(t, s, b, idp.memberEmail)

		p = b.followLogout(b.get(idp.idpLogoutURL), s)
		t.Logf("the IdP's logout ended on %s: %.300s", p.url.Redacted(), visibleText(p.body))
		assertNoSession(t, s, b)
		assertLinkNeedsSignIn(t, b, link, idp)
	})
}

// followLogout submits the auto-submit forms of a logout exchange (a
// LogoutRequest or LogoutResponse sent by the POST binding) until a page
// has none, and returns that page.
func (b *browser) followLogout(p page, s *server) page {
	b.t.Helper()
	for range maxSteps {
		forms := parseForms(p.body)
		f, ok := formWith(forms, "SAMLResponse")
		if !ok {
			f, ok = formWith(forms, "SAMLRequest")
		}
		if !ok {
			return p
		}
		p = b.submit(p, f, nil)
	}
	b.t.Fatalf("logout still going on after %d pages", maxSteps)
	return p
}

// assertSession checks that our server sees b as signed in as email.
func assertSession(t *testing.T, s *server, b *browser, email string) {
	t.Helper()
	p := b.get(s.url("/s/"))
	assert.Contains(t, visibleText(p.body), "You are signed in as "+email)
}

// assertLinkNeedsSignIn checks that link no longer opens for b: it leads
// to the IdP (the Redirect binding, which metadata offers first), which
// asks for the password again because its session ended too.
func assertLinkNeedsSignIn(t *testing.T, b *browser, link string, idp idpUnderTest) {
	t.Helper()
	p := b.get(link)
	assert.True(t, sameHost(p.url, idp.ssoURL), "the link did not lead to the IdP: %s", p.url)
	_, login := loginForm(parseForms(p.body))
	assert.True(t, login, "the IdP did not ask for the password again (its session lives on)")
}
