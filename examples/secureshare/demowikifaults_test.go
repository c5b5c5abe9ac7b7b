package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseWikiFault(t *testing.T) {
	tests := []struct {
		in   string
		want wikiFault
		err  string
	}{
		{"", wikiFault{}, ""},
		{" \n", wikiFault{}, ""},
		{"503 10s\n", wikiFault{status: 503, span: 10 * time.Second}, ""},
		{"429 1m", wikiFault{status: 429, span: time.Minute}, ""},
		{"503", wikiFault{status: 503}, ""},
		{"slow 2s 10s", wikiFault{delay: 2 * time.Second, span: 10 * time.Second}, ""},
		{"slow 2s", wikiFault{delay: 2 * time.Second}, ""},
		{"slow", wikiFault{}, "needs a delay"},
		{"slow soon", wikiFault{}, "not a positive duration"},
		{"500 10s", wikiFault{}, "not 503, 429 or slow"},
		{"503 -1s", wikiFault{}, "not a positive duration"},
		{"503 10s 20s", wikiFault{}, "unexpected"},
	}
	for _, tt := range tests {
		got, err := parseWikiFault(tt.in)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, "%q", tt.in)
			continue
		}
		require.NoError(t, err, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

func TestWikiFaultsFollowTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faults")
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("page"))
	})
	w := newWikiFaults(path, ok, slog.New(slog.DiscardHandler))
	now := time.Unix(1_700_000_000, 0)
	w.now, w.every = func() time.Time { return now }, 0
	write := func(s string) {
		t.Helper()
		require.NoError(t, os.WriteFile(path, []byte(s), 0o600))
		// Make the modification time differ even on coarse clocks.
		now = now.Add(time.Second)
		require.NoError(t, os.Chtimes(path, now, now))
	}
	answer := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, httptest.NewRequest("GET", "/wiki/api/v2/pages/10", nil))
		return rec
	}

	assert.Equal(t, http.StatusOK, answer().Code, "no file: no fault")

	write("503 10s\n")
	rec := answer()
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), `"errors"`)
	now = now.Add(9 * time.Second)
	assert.Equal(t, http.StatusServiceUnavailable, answer().Code, "still within 10s")
	now = now.Add(time.Second)
	assert.Equal(t, http.StatusOK, answer().Code, "over after 10s, file unchanged")

	write("429 5s")
	rec = answer()
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))

	write("429 5s") // the same again restarts it
	now = now.Add(4 * time.Second)
	assert.Equal(t, http.StatusTooManyRequests, answer().Code)

	write("")
	assert.Equal(t, http.StatusOK, answer().Code, "emptied: over at once")

	write("503")
	now = now.Add(time.Hour)
	assert.Equal(t, http.StatusServiceUnavailable, answer().Code, "no duration: until changed")
	require.NoError(t, os.Remove(path))
	assert.Equal(t, http.StatusOK, answer().Code, "file removed")

	write("teapot 10s")
	assert.Equal(t, http.StatusOK, answer().Code, "a bad file means no fault")

	write("slow 30ms 10s")
	start := time.Now()
	rec = answer()
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "page", rec.Body.String())
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
}

func TestDemoWikiFaultsFile(t *testing.T) {
	dir := t.TempDir()
	faults := filepath.Join(dir, "wiki-faults")
	d := startDemo(t, dir, "--demo-wiki-faults-file", faults)
	partners, token := d.link("partners")
	c := browser(t)
	resp, page := signIn(t, d, c, partners, "alice@partner.example")
	require.Equal(t, http.StatusOK, resp.StatusCode, page)

	// The home page and the pages it links to are cached now; the
	// diagram, two levels down, is not.
	require.NoError(t, os.WriteFile(faults, []byte("503 1m"), 0o600))
	time.Sleep(2 * faultsCheckEvery)
	resp, page = get(t, c, d.url("/s/"+token+"/p/"+demoDiagramID))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode,
		"a page not cached fails cleanly: %s", page)
	assert.NotContains(t, page, demoDiagramTitle)
	resp, page = get(t, c, d.url("/s/"+token))
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the cached page is still served")
	assert.Contains(t, page, demoHomeTitle)

	// Once the fault is gone, the page comes back by itself: after the
	// cache's pause following the failure (five seconds), the next
	// request reaches Confluence again.
	require.NoError(t, os.WriteFile(faults, nil, 0o600))
	require.Eventually(t, func() bool {
		resp, page = get(t, c, d.url("/s/"+token+"/p/"+demoDiagramID))
		return resp.StatusCode == http.StatusOK
	}, time.Minute, 250*time.Millisecond, "recovered")
	assert.Contains(t, page, demoDiagramTitle)
}
