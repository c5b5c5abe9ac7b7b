package main

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// demo is a demo server started in process on a free loopback port.
type demo struct {
	t    *testing.T
	dir  string
	s    *server
	done chan error
	once sync.Once
}

// noEnv is an empty environment.
func noEnv(string) string { return "" }

// startDemo starts the zero-set-up demo with its data in dir, and stops
// it when the test ends.
func startDemo(t *testing.T, dir string, extra ...string) *demo {
	t.Helper()
	args := append([]string{"--listen", "127.0.0.1:0", "--data-dir", dir}, extra...)
	f, err := parseServeFlags(args, noEnv, io.Discard)
	require.NoError(t, err)
	s, err := newServer(t.Context(), f, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	d := &demo{t: t, dir: dir, s: s, done: make(chan error, 1)}
	go func() { d.done <- s.serve() }()
	t.Cleanup(d.stop)
	return d
}

// stop shuts the server down and waits for it; it may be called twice.
func (d *demo) stop() {
	d.once.Do(func() {
		require.NoError(d.t, d.s.shutdown(context.Background()))
		require.NoError(d.t, <-d.done)
		d.s.close()
	})
}

// url is the absolute URL of path on the demo.
func (d *demo) url(path string) string { return d.s.baseURL + path }

// link returns the URL and token of the demo link with key.
func (d *demo) link(key string) (linkURL, token string) {
	d.t.Helper()
	for _, l := range d.s.links {
		if l.Key == key {
			return d.s.handler().LinkURL(l.Token), l.Token
		}
	}
	d.t.Fatalf("no demo link %q", key)
	return "", ""
}

// browser is an HTTP client with a cookie jar that follows redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar}
}

// get fetches u with c and returns the answer and its body.
func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	return resp, body(t, resp)
}

// body reads and closes an answer's body.
func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// htmlForm is a form on a page: where it posts and its hidden fields.
type htmlForm struct {
	action string
	values url.Values
}

var (
	formRE  = regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	inputRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// forms returns the forms of a page, in order.
func forms(page string) []htmlForm {
	var out []htmlForm
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		f := htmlForm{action: html.UnescapeString(m[1]), values: url.Values{}}
		for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
			f.values.Add(in[1], html.UnescapeString(in[2]))
		}
		out = append(out, f)
	}
	return out
}

// submit posts a form found on the page at base with c, following
// redirects.
func submit(t *testing.T, c *http.Client, base *url.URL, f htmlForm) (*http.Response, string) {
	t.Helper()
	target, err := base.Parse(f.action)
	require.NoError(t, err)
	resp, err := c.PostForm(target.String(), f.values)
	require.NoError(t, err)
	return resp, body(t, resp)
}

// signIn opens linkURL with c, which must lead to the demo IdP, picks the
// demo user email there and posts the IdP's answer to the ACS as the
// auto-submitting form would. It returns the final answer.
func signIn(t *testing.T, d *demo, c *http.Client, linkURL, email string) (*http.Response,
	string) {
	t.Helper()
	resp, page := get(t, c, linkURL)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	require.Equal(t, demoIDPPath+"/sso", resp.Request.URL.Path, "sent to the demo IdP")
	require.Contains(t, page, "Demo identity provider")

	var chosen *htmlForm
	for _, f := range forms(page) {
		if f.values.Get("user") == email {
			chosen = &f
		}
	}
	require.NotNil(t, chosen, "no button for %s on %s", email, page)
	resp, page = submit(t, c, resp.Request.URL, *chosen)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	require.Contains(t, page, `document.getElementById("saml-post").submit()`)

	posts := forms(page)
	require.Len(t, posts, 1)
	require.Equal(t, d.s.handler().ACSURL(), posts[0].action)
	require.NotEmpty(t, posts[0].values.Get("SAMLResponse"))
	require.NotEmpty(t, posts[0].values.Get("RelayState"))
	return submit(t, c, resp.Request.URL, posts[0])
}

// notifyWriter closes ready at its first write.
type notifyWriter struct {
	once  sync.Once
	ready chan struct{}
	mu    sync.Mutex
	b     strings.Builder
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.once.Do(func() { close(w.ready) })
	return w.b.Write(p)
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
