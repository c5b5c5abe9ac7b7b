package confluence_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
)

// redirectTransport sends every request to target instead, recording the
// URL and Authorization the client meant to use.
type redirectTransport struct {
	target *url.URL
	next   http.RoundTripper

	mu   sync.Mutex
	urls []string
	auth []string
}

func (rt *redirectTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.urls = append(rt.urls, r.URL.String())
	rt.auth = append(rt.auth, r.Header.Get("Authorization"))
	rt.mu.Unlock()

	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rt.target.Scheme, rt.target.Host
	return rt.next.RoundTrip(r)
}

func TestCloudGatewayFromCloudID(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{PageSize: 2})
	ts := confluencetest.Start(t, s)
	target, err := url.Parse(ts.URL)
	require.NoError(t, err)
	rt := &redirectTransport{target: target, next: ts.Client().Transport}

	c, err := confluence.NewCloud(confluence.CloudConfig{CloudID: confluencetest.DefaultCloudID,
		AccessToken: confluencetest.DefaultAccessToken, HTTPClient: &http.Client{Transport: rt}})
	require.NoError(t, err)
	kids, err := c.Children(t.Context(), "1")
	require.NoError(t, err)
	assert.Len(t, kids, 5)

	require.Len(t, rt.urls, 3, "three pages of two")
	for i, u := range rt.urls {
		assert.True(t, strings.HasPrefix(u, "https://api.atlassian.com/ex/confluence/"+
			confluencetest.DefaultCloudID+"/wiki/api/v2/pages/1/children"), u)
		assert.Equal(t, "Bearer "+confluencetest.DefaultAccessToken, rt.auth[i])
	}
	assert.Contains(t, rt.urls[1], "cursor=", "the /wiki next link was followed on the gateway")
}

func TestRetryAfterDisconnect(t *testing.T) {
	clock := newFakeClock()
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	c := flavourWithClock(t, s, ts, "data center", confluence.RetryConfig{Sleep: clock.Sleep,
		Rand: bytes.NewReader(make([]byte, 64))}, clock.Now)
	s.Inject(confluencetest.Fault{PathContains: "/space/", Disconnect: true, Times: 3})

	sp, err := c.Space(t.Context(), "ENG")
	require.NoError(t, err)
	assert.Equal(t, "Engineering", sp.Name)
	assert.NotEmpty(t, clock.Sleeps(), "a dropped connection is retried after a backoff")
}

func TestTransportRefusals(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		status  int
		maxBody int64
		check   func(t *testing.T, err error)
	}{
		{"answer too large", `{"id":"1","key":"ENG","name":"` + strings.Repeat("x", 500) + `"}`,
			200, 100, func(t *testing.T, err error) {
				assert.ErrorContains(t, err, "larger than 100 bytes")
			}},
		{"not JSON", `<html>proxy error</html>`, 200, 0, func(t *testing.T, err error) {
			assert.ErrorContains(t, err, "decoding")
		}},
		{"error without envelope", `<html>Bad gateway</html>`, 502, 0,
			func(t *testing.T, err error) {
				var re *confluence.ResponseError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, 502, re.StatusCode)
				assert.Empty(t, re.Code)
				assert.ErrorIs(t, err, confluence.ErrUnavailable)
			}},
		{"conflict is not a sentinel", `{"statusCode":409,"message":"busy","reason":"Conflict"}`,
			409, 0, func(t *testing.T, err error) {
				var re *confluence.ResponseError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, "busy", re.Message)
				assert.NotErrorIs(t, err, confluence.ErrNotFound)
				assert.NotErrorIs(t, err, confluence.ErrUnauthorized)
				assert.NotErrorIs(t, err, confluence.ErrUnavailable)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter,
				r *http.Request) {
				if r.URL.Path == "/rest/api/user/current" {
					_, _ = io.WriteString(w, `{"type":"known","username":"u"}`)
					return
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer ts.Close()
			c, err := confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
				BaseURL: ts.URL, Token: "pat", HTTPClient: ts.Client(), MaxBodyBytes: tt.maxBody})
			require.NoError(t, err)
			_, err = c.Space(t.Context(), "ENG")
			require.Error(t, err)
			tt.check(t, err)
		})
	}
}

func TestNextLinkToAnotherHostIsRefused(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"results":[{"id":"2","title":"a"}],`+
			`"_links":{"next":"https://evil.example/wiki/api/v2/pages/1/children?cursor=x"}}`)
	}))
	defer ts.Close()
	c, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL, Email: "a@b",
		APIToken: "t", HTTPClient: ts.Client()})
	require.NoError(t, err)

	_, err = c.Children(t.Context(), "1")
	assert.ErrorContains(t, err, "leaves")
}

func TestDataCenterBlogPostIsNotAPage(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rest/api/user/current" {
			_, _ = io.WriteString(w, `{"type":"known","username":"u"}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"9","type":"blogpost","status":"current","title":"News"}`)
	}))
	defer ts.Close()
	c, err := confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
		BaseURL: ts.URL, Token: "pat", HTTPClient: ts.Client()})
	require.NoError(t, err)

	_, err = c.Page(t.Context(), "9")
	assert.ErrorIs(t, err, confluence.ErrNotFound)
}

// TestAttachmentRedirectDropsCredentials checks that a download redirected
// to another host (Cloud sends downloads to its media service) does not
// carry our token there.
func TestAttachmentRedirectDropsCredentials(t *testing.T) {
	var mediaAuth []string
	var mu sync.Mutex
	media := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		mu.Lock()
		mediaAuth = append(mediaAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		_, _ = io.WriteString(w, "png bytes")
	}))
	defer media.Close()

	var site *httptest.Server
	site = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/rest/api/user/current":
			_, _ = io.WriteString(w, `{"type":"known","username":"u"}`)
		case strings.HasSuffix(r.URL.Path, "/child/attachment"):
			_, _ = io.WriteString(w, `{"results":[{"id":"att1","title":"a.png",`+
				`"_links":{"download":"/download/attachments/1/a.png"}}],"size":1}`)
		default:
			http.Redirect(w, r, media.URL+"/file/a.png?token=signed", http.StatusFound)
		}
	}))
	defer site.Close()

	// One client that trusts both test certificates.
	hc := site.Client()
	hc.Transport.(*http.Transport).TLSClientConfig.RootCAs.AddCert(media.Certificate())
	c, err := confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
		BaseURL: site.URL, Token: "secret-pat", HTTPClient: hc})
	require.NoError(t, err)

	body, err := c.OpenAttachment(t.Context(), "1", "att1")
	require.NoError(t, err)
	defer body.Body.Close()
	data, err := io.ReadAll(body.Body)
	require.NoError(t, err)
	assert.Equal(t, "png bytes", string(data))
	assert.Equal(t, []string{""}, mediaAuth, "no Authorization sent to the other host")
}

func TestTimeoutBoundsEachAttempt(t *testing.T) {
	clock := newFakeClock()
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	hc := &http.Client{Transport: ts.Client().Transport} // no Timeout of its own
	c, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: confluencetest.DefaultEmail, APIToken: confluencetest.DefaultAPIToken,
		HTTPClient: hc, Timeout: 50 * time.Millisecond,
		Retry: confluence.RetryConfig{Sleep: clock.Sleep}, Now: clock.Now})
	require.NoError(t, err)
	s.Inject(confluencetest.Fault{PathContains: "/spaces", Delay: time.Hour})

	sp, err := c.Space(t.Context(), "ENG")
	require.NoError(t, err, "the hung attempt timed out and the retry succeeded")
	assert.Equal(t, "Engineering", sp.Name)
	assert.Len(t, clock.Sleeps(), 1)
}

// Adversarial review of the clients: a malicious, broken or
// man-in-the-middled Confluence. Each test is an attack; passing means
// the client defended itself (bounded work, no credentials to other
// origins, no waiting past the caller's context).

// TestRedirectNeverCarriesCredentials: Confluence (or whatever
// answers in its place) redirects every call to another origin. The
// other origin must never see our Authorization header, whatever the
// status, and whether the redirect goes to another host, to another port
// on the same host, or down to plain http.
func TestRedirectNeverCarriesCredentials(t *testing.T) {
	for _, tt := range []struct {
		name   string
		tls    bool
		status int
		host   func(u string) string
	}{
		{"302 to another port", true, http.StatusFound, nil},
		{"307 to another port", true, http.StatusTemporaryRedirect, nil},
		{"308 to another port", true, http.StatusPermanentRedirect, nil},
		{"301 down to http", false, http.StatusMovedPermanently, nil},
		{"302 to localhost by name", true, http.StatusFound,
			func(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			evil := newReviewRecorder(t, tt.tls)
			target := evil.URL
			if tt.host != nil {
				target = tt.host(target)
			}
			ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target+r.URL.RequestURI(), tt.status)
			})
			// The client trusts both test certificates, as a client
			// trusting the public CAs trusts any real host.
			client := ts.Client()
			client.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
			for name, c := range reviewAllClients(t, ts, reviewClientOpts{client: client,
				retry: confluence.RetryConfig{MaxAttempts: 1}}) {
				reviewCalls(t, c)
				for _, a := range evil.requests() {
					for _, s := range reviewSecrets {
						assert.NotContains(t, a, s, "%s sent its credentials to %s", name, target)
					}
				}
			}
			assert.NotEmpty(t, evil.requests(), "the redirect was followed at all")
		})
	}
}

// TestRedirectWithCallerCheckRedirect passes an HTTPClient whose
// own CheckRedirect allows everything, as many applications' clients do.
func TestRedirectWithCallerCheckRedirect(t *testing.T) {
	evil := newReviewRecorder(t, true)
	ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.RequestURI(), http.StatusFound)
	})
	client := ts.Client()
	client.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return nil }
	for _, c := range reviewAllClients(t, ts, reviewClientOpts{client: client,
		retry: confluence.RetryConfig{MaxAttempts: 1}}) {
		reviewCalls(t, c)
	}
	require.NotEmpty(t, evil.requests())
	for _, a := range evil.requests() {
		assert.Empty(t, a, "credentials followed the redirect")
	}
}

// TestNextLinkToAnotherOrigin: a list answer whose next link (in the
// body or the Link header) points at another origin, in the forms a
// careless resolver gets wrong. The other origin must get no request.
func TestNextLinkToAnotherOrigin(t *testing.T) {
	evil := newReviewRecorder(t, true)
	evilHost := strings.TrimPrefix(evil.URL, "https://")
	nexts := []string{
		evil.URL + "/wiki/api/v2/pages/5/children?cursor=x",
		"//" + evilHost + "/wiki/api/v2/pages/5/children?cursor=x",
		"https:" + "//" + evilHost + "/wiki/api/v2/pages/5/children",
		"https:" + evilHost + "/wiki/api/v2/pages/5/children",
		`\\` + evilHost + "/wiki/api/v2/pages/5/children",
		`/\` + evilHost + "/wiki/api/v2/pages/5/children",
		"https://ROOT@" + evilHost + "/wiki/api/v2/pages/5/children",
		// An encoded first slash: glued onto a root without a path, the
		// root's host became a user name and evilHost the host.
		"%2F@" + evilHost + "/wiki/api/v2/pages/5/children?cursor=x",
		"%2f%2f" + evilHost + "/wiki/api/v2/pages/5/children?cursor=x",
	}
	for i, next := range nexts {
		for _, header := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d header=%v", i, header), func(t *testing.T) {
				ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					if r.URL.Query().Get("cursor") != "" || r.URL.Query().Get("start") == "1" {
						fmt.Fprint(w, `{"results":[],"_links":{}}`)
						return
					}
					n := strings.Replace(next, "ROOT", r.Host, 1)
					if header {
						w.Header().Set("Link", "<"+n+`>; rel="next"`)
						fmt.Fprint(w, `{"results":[{"id":"6","title":"t","status":"current"}],`+
							`"start":0,"limit":1,"size":1,"_links":{}}`)
						return
					}
					fmt.Fprintf(w, `{"results":[{"id":"6","title":"t","status":"current"}],`+
						`"start":0,"limit":1,"size":1,"_links":{"next":%q}}`, n)
				})
				client := ts.Client()
				client.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
				before := len(evil.requests())
				for _, c := range reviewAllClients(t, ts, reviewClientOpts{client: client}) {
					_, _ = c.Children(t.Context(), "5")
					_, _ = c.Attachments(t.Context(), "5")
				}
				assert.Len(t, evil.requests(), before, "next link %q was followed", next)
			})
		}
	}
}

// TestDownloadLinkToAnotherOrigin: the attachment list names a
// download link on another origin; the bytes must not be fetched from
// there with our credentials.
func TestDownloadLinkToAnotherOrigin(t *testing.T) {
	evil := newReviewRecorder(t, true)
	evilHost := strings.TrimPrefix(evil.URL, "https://")
	for _, link := range []string{evil.URL + "/x.png", "//" + evilHost + "/x.png",
		`\\` + evilHost + "/x.png", "@" + evilHost + "/x.png", "%2F@" + evilHost + "/x.png",
		"%2f%2f" + evilHost + "/x.png"} {
		t.Run(link, func(t *testing.T) {
			ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"results":[{"id":"att1","title":"x.png","mediaType":"image/png",`+
					`"downloadLink":%q,"_links":{"download":%q}}],"_links":{},"start":0,`+
					`"limit":100,"size":1}`, link, link)
			})
			client := ts.Client()
			client.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
			for _, c := range reviewAllClients(t, ts, reviewClientOpts{client: client}) {
				if b, err := c.OpenAttachment(t.Context(), "5", "att1"); err == nil {
					b.Body.Close()
				}
			}
			for _, a := range evil.requests() {
				assert.Empty(t, a, "credentials sent to %s", link)
			}
		})
	}
}

// TestHugeBody: an answer that never ends must be cut at
// MaxBodyBytes, not read into memory.
func TestHugeBody(t *testing.T) {
	ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"results":[`)
		chunk := strings.Repeat(`{"id":"1","title":"x"},`, 1000)
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	clients := reviewAllClients(t, ts, reviewClientOpts{maxBody: 1 << 20})
	for name, c := range clients {
		for call, err := range reviewCalls(t, c) {
			if call == "open attachment" {
				continue // its list is the same call as attachments
			}
			assert.Error(t, err, "%s %s", name, call)
			assert.NotErrorIs(t, err, context.DeadlineExceeded, "%s %s ran into the guard "+
				"deadline instead of the size bound", name, call)
		}
	}
}

// TestEndlessPagination: every list answer has a next link.
func TestEndlessPagination(t *testing.T) {
	var n atomic.Int64
	ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"results":[{"id":"%d","title":"t","status":"current"}],`+
			`"start":0,"limit":1,"size":1,"_links":{"next":"%s?cursor=%d&start=%d"}}`,
			i, r.URL.Path, i, i)
	})
	for name, c := range reviewAllClients(t, ts, reviewClientOpts{maxPages: 5}) {
		n.Store(0)
		_, err := c.Children(t.Context(), "5")
		assert.Error(t, err, name)
		assert.LessOrEqual(t, n.Load(), int64(5), "%s followed more than MaxPages", name)
	}
}

// TestSlowloris: answers whose headers or body never finish. Every
// call must end by its Timeout or by the caller's context.
func TestSlowloris(t *testing.T) {
	hang := func(headers bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if headers {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", "1000000")
				w.WriteHeader(http.StatusOK)
				io.WriteString(w, `{"results":[{"id":"att1","title":"x","downloadLink":"/d",`+
					`"_links":{"download":"/d"}}`)
				w.(http.Flusher).Flush()
			}
			<-r.Context().Done()
		}
	}
	for _, tt := range []struct {
		name    string
		headers bool
		timeout time.Duration // client Timeout; 0 leaves the 30s default
		ctx     time.Duration // caller deadline; 0 means none
	}{
		{"body never ends, Timeout bounds it", true, 300 * time.Millisecond, 0},
		{"headers never come, Timeout bounds it", false, 300 * time.Millisecond, 0},
		{"body never ends, context bounds it", true, 0, 300 * time.Millisecond},
		{"headers never come, context bounds it", false, 0, 300 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts, _ := reviewServer(t, hang(tt.headers))
			for name, c := range reviewAllClients(t, ts, reviewClientOpts{timeout: tt.timeout,
				retry: confluence.RetryConfig{MaxAttempts: 1}}) {
				ctx := t.Context()
				if tt.ctx > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctx)
					defer cancel()
				}
				start := time.Now()
				_, err := c.Page(ctx, "5")
				assert.Error(t, err, name)
				assert.Less(t, time.Since(start), 5*time.Second, "%s took %v", name,
					time.Since(start))
			}
		})
	}
}

// TestSlowAttachmentEndsWithContext: an attachment body that
// trickles forever. Downloads have no Timeout by design, so cancelling
// the caller's context must end the read.
func TestSlowAttachmentEndsWithContext(t *testing.T) {
	ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "attachment") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"results":[{"id":"att1","title":"x","downloadLink":"/d/x",`+
				`"_links":{"download":"/d/x"}}],"_links":{},"start":0,"limit":100,"size":1}`)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "\x89PNG")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	for name, c := range reviewAllClients(t, ts, reviewClientOpts{}) {
		ctx, cancel := context.WithCancel(t.Context())
		b, err := c.OpenAttachment(ctx, "5", "att1")
		require.NoError(t, err, name)
		done := make(chan error, 1)
		go func() {
			_, err := io.ReadAll(b.Body)
			done <- err
		}()
		cancel()
		select {
		case <-done:
			// Ended; net/http reports the cancellation as an error or,
			// racing with the server's own cancellation, as a short body.
		case <-time.After(5 * time.Second):
			t.Errorf("%s: reading the body outlived the cancelled context", name)
		}
		b.Body.Close()
	}
}

// TestRedirectLoopAndGzipBomb: a redirect loop must end, and a
// gzip-compressed answer that inflates without end must be cut at
// MaxBodyBytes (the transport inflates it transparently).
func TestRedirectLoopAndGzipBomb(t *testing.T) {
	t.Run("redirect loop", func(t *testing.T) {
		ts, n := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"?again", http.StatusFound)
		})
		for name, c := range reviewAllClients(t, ts, reviewClientOpts{
			retry: confluence.RetryConfig{MaxAttempts: 1}}) {
			n.Store(0)
			_, err := c.Space(t.Context(), "ENG")
			assert.Error(t, err, name)
			assert.LessOrEqual(t, n.Load(), int64(11), name)
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, `{"results":[`)
			chunk := []byte(strings.Repeat(" ", 1<<16))
			for r.Context().Err() == nil {
				if _, err := zw.Write(chunk); err != nil {
					return
				}
			}
		})
		for name, c := range reviewAllClients(t, ts, reviewClientOpts{maxBody: 1 << 20}) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			_, err := c.Space(ctx, "ENG")
			cancel()
			assert.Error(t, err, name)
			assert.NotErrorIs(t, err, context.DeadlineExceeded, name)
		}
	})
}

// TestListAnswersBounded: a list answer of many tiny items, far more than
// we ask for, is refused before it costs memory out of all proportion,
// and so is a list that keeps going past 10,000 items.
func TestListAnswersBounded(t *testing.T) {
	item := `{"id":"6","title":"t","status":"current"}`
	answer := func(n int, next string) string {
		return `{"results":[` + strings.TrimSuffix(strings.Repeat(item+",", n), ",") +
			`],"start":0,"limit":250,"size":` + fmt.Sprint(n) + `,"_links":{"next":"` + next + `"}}`
	}
	tests := []struct {
		name    string
		items   int
		endless bool
		wantErr string // "" means the list is read whole
	}{
		{"one answer with too many items", 1001, false, "answered 1001 results"},
		{"a list that does not end", 1000, true, "more than 10000 results"},
		{"answers within the bounds", 250, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, served := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				next := ""
				if tt.endless {
					next = r.URL.Path + "?cursor=more"
				}
				io.WriteString(w, answer(tt.items, next))
			})
			for name, c := range reviewAllClients(t, ts, reviewClientOpts{maxPages: 1000}) {
				before := served.Load()
				kids, err := c.Children(t.Context(), "5")
				if tt.wantErr == "" {
					require.NoError(t, err, name)
					assert.Len(t, kids, tt.items, name)
					continue
				}
				require.Error(t, err, name)
				assert.Contains(t, err.Error(), tt.wantErr, name)
				assert.LessOrEqual(t, served.Load()-before, int64(12),
					"%s: stopped at the bound", name)
			}
		})
	}
}

// TestAttachmentWithoutDownloadLink: an attachment the list names without
// a download link is not found; its bytes are never fetched from "/wiki",
// which would stream the site's home page as the attachment.
func TestAttachmentWithoutDownloadLink(t *testing.T) {
	var fetchedHome atomic.Bool
	ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wiki" || r.URL.Path == "/wiki/" {
			fetchedHome.Store(true)
			io.WriteString(w, "<html>the logged-in home page</html>")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"results":[{"id":"att1","title":"x.png","mediaType":"image/png",`+
			`"downloadLink":"","_links":{}}],"_links":{},"start":0,"limit":100,"size":1}`)
	})
	c := reviewAllClients(t, ts, reviewClientOpts{})["cloud basic"]
	_, err := c.OpenAttachment(t.Context(), "5", "att1")
	assert.ErrorIs(t, err, confluence.ErrNotFound)
	assert.False(t, fetchedHome.Load(), "the site's home page was fetched as the attachment")
}

// TestFailuresHaveSentinels: a connection that breaks is ErrUnavailable,
// with no query string of ours in the message; an answer that is not
// JSON, or a link that leaves the site, is ErrBadAnswer.
func TestFailuresHaveSentinels(t *testing.T) {
	t.Run("connection reset", func(t *testing.T) {
		ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
		for name, c := range reviewAllClients(t, ts, reviewClientOpts{
			retry: confluence.RetryConfig{MaxAttempts: 1}}) {
			_, err := c.Children(t.Context(), "5")
			require.Error(t, err, name)
			assert.ErrorIs(t, err, confluence.ErrUnavailable, name)
			assert.NotContains(t, err.Error(), "limit=", "%s: no query string: %v", name, err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>a login page</html>")
		})
		for name, c := range reviewAllClients(t, ts, reviewClientOpts{}) {
			_, err := c.Page(t.Context(), "5")
			assert.ErrorIs(t, err, confluence.ErrBadAnswer, name)
			assert.NotErrorIs(t, err, confluence.ErrUnavailable, name)
		}
	})
	t.Run("next link off the site", func(t *testing.T) {
		ts, _ := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"results":[],"_links":{"next":"https://evil.example/wiki/x"}}`)
		})
		c := reviewAllClients(t, ts, reviewClientOpts{})["cloud basic"]
		_, err := c.Children(t.Context(), "5")
		assert.ErrorIs(t, err, confluence.ErrBadAnswer)
	})
}
