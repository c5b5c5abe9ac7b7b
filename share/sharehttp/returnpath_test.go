package sharehttp

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// returnPathCase is one line of testdata/return-paths.txt.
type returnPathCase struct {
	path string
	ok   bool
}

// readReturnPaths reads testdata/return-paths.txt.
func readReturnPaths(tb testing.TB) []returnPathCase {
	tb.Helper()
	f, err := os.Open("testdata/return-paths.txt")
	require.NoError(tb, err)
	defer f.Close()
	var cases []returnPathCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		verdict, path, _ := strings.Cut(line, " ")
		require.Contains(tb, []string{"ok", "bad"}, verdict, "line %q", line)
		cases = append(cases, returnPathCase{path: path, ok: verdict == "ok"})
	}
	require.NoError(tb, sc.Err())
	return cases
}

func TestSafeReturnPath(t *testing.T) {
	for _, tt := range readReturnPaths(t) {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.ok, SafeReturnPath(tt.path, ""))
		})
	}
	controls := []string{"/s/\x00", "/s/\r\nx", "/s/\t", "/s/\x7f", "/\x00/evil.example"}
	for _, p := range controls {
		t.Run("control "+url.PathEscape(p), func(t *testing.T) {
			assert.False(t, SafeReturnPath(p, ""))
		})
	}
	long := "/s/" + strings.Repeat("a", maxReturnPath)
	assert.False(t, SafeReturnPath(long, ""), "too long")
}

func TestSafeReturnPathPrefix(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/share/s/abc", true},
		{"/share", true},
		{"/shared/s/abc", false},
		{"/s/abc", false},
		{"/share/saml/acs", false},
		{"/share/../s/abc", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, SafeReturnPath(tt.path, "/share"))
		})
	}
}

// FuzzSafeReturnPath checks that every accepted path, once a browser
// resolves it against our origin, stays on our origin, under our prefix
// and outside /saml/, and that a redirect to it does too.
func FuzzSafeReturnPath(f *testing.F) {
	for _, c := range readReturnPaths(f) {
		f.Add(c.path)
		f.Add("/share" + c.path)
	}
	base, err := url.Parse("https://share.example.com/share/s/x")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, p string) {
		if !SafeReturnPath(p, "/share") {
			return
		}
		u, err := base.Parse(p)
		require.NoError(t, err)
		assert.Equal(t, "share.example.com", u.Host, "%q leaves the site", p)
		assert.Equal(t, "https", u.Scheme)
		assert.Empty(t, u.User)
		dec, err := url.PathUnescape(u.EscapedPath())
		require.NoError(t, err)
		assert.True(t, dec == "/share" || strings.HasPrefix(dec, "/share/"), "%q leaves the prefix", p)
		assert.NotContains(t, dec, "\\")
		assert.NotContains(t, dec, "//")
		assert.False(t, dec == "/share/saml" || strings.HasPrefix(dec, "/share/saml/"),
			"%q reaches /saml", p)
		for _, r := range dec {
			assert.False(t, r < 0x20 || r == 0x7f, "%q decodes to a control character", p)
		}

		rec := httptest.NewRecorder()
		http.Redirect(rec, httptest.NewRequest("GET", "https://share.example.com/share/saml/acs",
			nil), p, http.StatusSeeOther)
		loc, err := base.Parse(rec.Header().Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "share.example.com", loc.Host, "redirect to %q leaves the site", p)
	})
}
