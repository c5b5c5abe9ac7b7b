package interop

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// addIDP adds an IdP on the server's admin pages, the way an admin does:
// sign in, open /admin/idps, and submit its form (with the session's CSRF
// token) in the metadata URL mode. allowIDPInitiated ticks "Allow
// IdP-initiated sign-in", which no flag of serve can set.
func (s *server) addIDP(t *testing.T, logs, name, metadataURL string, allowIDPInitiated bool) {
	t.Helper()
	b := newBrowser(t, logs, "admin-add-"+name)
	p := b.post(s.url("/admin/login"), url.Values{"user": {adminUser},
		"password": {adminPassword}})
	require.Equal(t, http.StatusOK, p.status, visibleText(p.body))
	p = b.get(s.url("/admin/idps"))
	require.Equal(t, http.StatusOK, p.status, visibleText(p.body))
	f, ok := formWith(parseForms(p.body), "idp_initiated")
	require.True(t, ok, "no IdP form on /admin/idps")

	vals := f.values()
	require.NotEmpty(t, vals.Get("csrf"), "the IdP form has no CSRF token")
	vals.Set("name", name)
	vals.Set("mode", "url")
	vals.Set("url", metadataURL)
	if allowIDPInitiated {
		vals.Set("idp_initiated", "on")
	}
	action, err := p.url.Parse(f.action)
	require.NoError(t, err)
	p = b.post(action.String(), vals)

	text := visibleText(p.body)
	require.Equal(t, http.StatusOK, p.status, text)
	require.Contains(t, text, "Saved "+name, "the admin pages did not save the IdP")
}
