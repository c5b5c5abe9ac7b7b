package confluence_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
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
