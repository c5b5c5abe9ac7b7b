package confluence

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var parseNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"seconds", "120", 2 * time.Minute, true},
		{"zero", "0", 0, true},
		{"spaces", " 5 ", 5 * time.Second, true},
		{"http date", parseNow.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second,
			true},
		{"date in the past", parseNow.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"negative", "-5", 0, false},
		// Longer than a Duration holds: read as the longest wait, so the
		// caller refuses it as too long instead of ignoring it.
		{"absurdly long", "99999999999", maxHint, true},
		{"overflowing int64", "99999999999999999999", maxHint, true},
		{"over a day", "86401", 86401 * time.Second, true},
		{"garbage", "soon", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, parseNow)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRateLimitReset(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"ISO 8601", "2026-03-01T12:00:42Z", 42 * time.Second, true},
		{"ISO 8601 with millis", "2026-03-01T12:00:01.500Z", 1500 * time.Millisecond, true},
		{"ISO 8601 minutes only", "2026-03-01T12:05Z", 5 * time.Minute, true},
		{"unix seconds", "1772366410", 10 * time.Second, true},
		{"past", "2026-03-01T11:00:00Z", 0, true},
		{"garbage", "later", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRateLimitReset(tt.in, parseNow)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"cloud v2", `</wiki/api/v2/pages/1/children?cursor=abc>; rel="next", ` +
			`<https://x.atlassian.net/wiki>; rel="base"`, "/wiki/api/v2/pages/1/children?cursor=abc"},
		{"unquoted", `</next>; rel=next`, "/next"},
		{"base only", `<https://x.atlassian.net/wiki>; rel="base"`, ""},
		{"no brackets", `/next; rel="next"`, ""},
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, nextLink(tt.in))
		})
	}
}

func TestResolveStaysOnTheSite(t *testing.T) {
	tr, err := newTransport(transportConfig{base: "https://api.atlassian.com/ex/confluence/abc"})
	require.NoError(t, err)
	tests := []struct {
		name, ref, want string
	}{
		{"v2 next starting with /wiki", "/wiki/api/v2/pages/1/children?cursor=x",
			"https://api.atlassian.com/ex/confluence/abc/wiki/api/v2/pages/1/children?cursor=x"},
		{"absolute on the root", "https://api.atlassian.com/ex/confluence/abc/wiki/x",
			"https://api.atlassian.com/ex/confluence/abc/wiki/x"},
		{"other host", "https://evil.example/wiki/x", ""},
		{"protocol relative", "//evil.example/wiki/x", ""},
		{"other cloud ID", "https://api.atlassian.com/ex/confluence/other/wiki/x", ""},
		{"plain http", "http://api.atlassian.com/ex/confluence/abc/wiki/x", ""},
		{"relative path", "wiki/x", ""},
		// The root's host turned into a user name, evil.example into the
		// host: the credential would have gone there.
		{"encoded slash then @", "%2F@evil.example/wiki/api/v2/pages/5/children?cursor=x", ""},
		{"user name on the root", "https://evil@api.atlassian.com/ex/confluence/abc/wiki/x", ""},
		{"dot-dot out of the gateway path", "/../../other-product/x", ""},
		{"dot-dot inside", "/wiki/../../x", ""},
		{"encoded dot-dot", "/wiki/%2e%2e/%2e%2e/x", ""},
		{"dot segment", "/wiki/./x", ""},
		{"encoded characters kept", "/wiki/download/attachments/5/a%20b%2Fc.png?version=1",
			"https://api.atlassian.com/ex/confluence/abc/wiki/download/attachments/5/a%20b%2Fc.png?version=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tr.resolve(tt.ref)
			if tt.want == "" {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestResolveOnARootWithoutPath: on a site URL with no path (the usual
// Cloud base URL, Data Center at its root), the same spellings stay on it.
func TestResolveOnARootWithoutPath(t *testing.T) {
	tr, err := newTransport(transportConfig{base: "https://acme.atlassian.net"})
	require.NoError(t, err)
	for _, ref := range []string{"%2F@evil.example/wiki/x", "%2f%2fevil.example/wiki/x",
		"/..%2F..%2F@evil.example", "\\evil.example/x", "/\\evil.example/x"} {
		got, err := tr.resolve(ref)
		if err != nil {
			continue
		}
		u, perr := url.Parse(got)
		require.NoError(t, perr, got)
		assert.Equal(t, "acme.atlassian.net", u.Host, "%q resolved to %q", ref, got)
		assert.Nil(t, u.User, "%q resolved to %q", ref, got)
	}
	got, err := tr.resolve("/wiki/api/v2/pages/1/children?cursor=a%2Bb")
	require.NoError(t, err)
	assert.Equal(t, "https://acme.atlassian.net/wiki/api/v2/pages/1/children?cursor=a%2Bb", got)
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	p := newRetryPolicy(RetryConfig{BaseDelay: time.Second, MaxDelay: 5 * time.Second,
		Rand: zeroReader{}}, nil)
	var got []time.Duration
	for attempt := 1; attempt <= 5; attempt++ {
		got = append(got, p.backoff(attempt))
	}
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second,
		5 * time.Second, 5 * time.Second}, got)
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

func FuzzParseRetryHeaders(f *testing.F) {
	for _, s := range []string{"120", "0", "-1", parseNow.Format(http.TimeFormat),
		"2026-03-01T12:00:42Z", "1772366410", "soon", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := parseRetryAfter(v, parseNow); ok {
			assert.GreaterOrEqual(t, d, time.Duration(0))
		}
		if d, ok := parseRateLimitReset(v, parseNow); ok {
			assert.GreaterOrEqual(t, d, time.Duration(0))
		}
		_ = nextLink(v)
	})
}

func TestTruncate(t *testing.T) {
	assert.Equal(t, "short", truncate("short", 10))
	assert.Equal(t, "abc…", truncate("abcdef", 3))
	assert.Equal(t, "é…", truncate("éé", 3), "never splits a rune")
}

func TestParseBrowserURL(t *testing.T) {
	tests := []struct {
		name, in, scheme, host string
		ok                     bool
	}{
		{"plain", "https://Example.atlassian.net/wiki", "https", "example.atlassian.net", true},
		{"default port and trailing dot", "https://example.atlassian.net.:443/x", "https",
			"example.atlassian.net", true},
		{"backslashes", `https:\\example.atlassian.net\wiki`, "https",
			"example.atlassian.net", true},
		{"one slash", "http:/example.atlassian.net/x", "http", "example.atlassian.net", true},
		{"no slash", "http:example.atlassian.net/x", "http", "example.atlassian.net", true},
		{"ideographic full stop", "https://example\u3002atlassian.net/", "https",
			"example.atlassian.net", true},
		{"fullwidth letters", "https://\uff45xample.atlassian.net/", "https",
			"example.atlassian.net", true},
		{"tab in scheme", "ht\ttps://example.atlassian.net/", "https",
			"example.atlassian.net", true},
		{"leading controls", "\x01 https://example.atlassian.net/", "https",
			"example.atlassian.net", true},
		{"userinfo", "https://a@example.atlassian.net/", "https", "example.atlassian.net", true},
		{"protocol relative backslashes", `\\example.atlassian.net/x`, "",
			"example.atlassian.net", true},
		{"backslash in query kept", `/wiki/x?a=\b`, "", "", true},
		{"relative", "/wiki/spaces/ENG/pages/5", "", "", true},
		{"mailto", "mailto:a@example.com", "mailto", "", true},
		{"empty", "  ", "", "", false},
		{"bad escape", "https://example.com/%zz", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, host, ok := parseBrowserURL(tt.in)
			require.Equal(t, tt.ok, ok)
			if !ok {
				return
			}
			assert.Equal(t, tt.scheme, u.Scheme)
			assert.Equal(t, tt.host, host)
		})
	}
	u, _, _ := parseBrowserURL(`/wiki/x?a=\b`)
	assert.Equal(t, `a=\b`, u.RawQuery)
}

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"basic", "bad auth Basic cmVhZGVyOnNlY3JldA==", "bad auth Basic [redacted]"},
		{"bearer any case", "got bearer abc.def-ghi", "got bearer [redacted]"},
		{"known secret", "token was pat-secret-1", "token [redacted] [redacted]"},
		{"nothing to hide", "No content found with id: 5", "No content found with id: 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, redact(tt.in, []string{"pat-secret-1"}))
		})
	}
}

func TestInlineSafe(t *testing.T) {
	tests := []struct {
		ct   string
		want bool
	}{
		{"image/png", true}, {"IMAGE/JPEG; q=1", true}, {"video/mp4", true},
		{"text/html", false}, {"text/html; charset=utf-8", false}, {"image/svg+xml", false},
		{"application/xhtml+xml", false}, {"text/xml", false}, {"application/xml", false},
		{"text/javascript", false}, {"application/pdf", false}, {"text/plain", false},
		{"", false}, {"garbage", false},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			assert.Equal(t, tt.want, InlineSafe(tt.ct))
			ct, inline := downloadType(tt.ct)
			assert.Equal(t, tt.want, inline)
			if !tt.want {
				assert.Equal(t, "application/octet-stream", ct)
			}
		})
	}
}
