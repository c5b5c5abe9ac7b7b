package idp

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/saml"
)

// metadataServer serves body (or what handle decides) over TLS.
func metadataServer(t *testing.T, handle http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(handle)
	t.Cleanup(srv.Close)
	return srv
}

func newTestFetcher(t *testing.T, srv *httptest.Server, path string, now time.Time,
	edit func(*FetcherConfig)) *Fetcher {
	t.Helper()
	cfg := FetcherConfig{URL: srv.URL + path, HTTPClient: srv.Client(),
		Metadata: MetadataOptions{Now: fixedClock(now)}}
	if edit != nil {
		edit(&cfg)
	}
	f, err := NewFetcher(cfg)
	require.NoError(t, err)
	return f
}

func TestFetch(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	other := newKeyPair(t, "other", now.Add(-time.Hour), now.Add(24*time.Hour))
	body := idpMetadataXML("https://idp.example.com", now.Add(48*time.Hour), "", kp.cert)
	signed := signXML(t, body, kp)
	signedByOther := signXML(t, body, other)

	tests := []struct {
		name    string
		handler http.HandlerFunc
		// block makes the handler wait, instead of calling handler,
		// until the test's cleanup; r.Context() is not a reliable signal
		// under -race.
		block     bool
		edit      func(*FetcherConfig)
		wantErr   error
		wantCheck saml.Check
		wantCode  int
		wantText  string
	}{
		{name: "ok", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Last-Modified", "Mon, 01 Jun 2026 00:00:00 GMT")
			_, _ = w.Write([]byte(body))
		}},
		{name: "redirects within the limit", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/md/3" {
				n := len(r.URL.Path)
				next := "/md/1"
				if n > 3 {
					next = "/md/" + string(rune(r.URL.Path[n-1]+1))
				}
				http.Redirect(w, r, next, http.StatusFound)
				return
			}
			_, _ = w.Write([]byte(body))
		}, edit: func(c *FetcherConfig) { c.MaxRedirects = 3 }},
		{name: "too many redirects", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/again", http.StatusFound)
		}, edit: func(c *FetcherConfig) { c.MaxRedirects = 2 }, wantText: "more than 2 redirects"},
		{name: "no redirects when negative", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/again", http.StatusFound)
		}, edit: func(c *FetcherConfig) { c.MaxRedirects = -1 }, wantText: "more than 0 redirects"},
		{name: "redirect to plain http", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://idp.example.com/md", http.StatusFound)
		}, wantErr: ErrInsecureURL},
		{name: "server error", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, wantCode: http.StatusInternalServerError, wantText: "HTTP status 500"},
		{name: "not found", handler: func(w http.ResponseWriter, r *http.Request) {
			http.NotFound(w, r)
		}, wantCode: http.StatusNotFound},
		{name: "timeout", block: true,
			edit:    func(c *FetcherConfig) { c.Timeout = 50 * time.Millisecond },
			wantErr: context.DeadlineExceeded},
		{name: "oversized with content-length", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(body))
		}, edit: func(c *FetcherConfig) { c.Metadata.MaxSize = 200 }, wantErr: ErrMetadataTooLarge,
			wantText: "announced"},
		{name: "oversized chunked", handler: func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 10; i++ {
				_, _ = w.Write([]byte(strings.Repeat(" ", 100)))
				w.(http.Flusher).Flush()
			}
		}, edit: func(c *FetcherConfig) { c.Metadata.MaxSize = 500 }, wantErr: ErrMetadataTooLarge,
			wantText: "sent more than 500 bytes"},
		{name: "expired metadata", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(idpMetadataXML("https://idp.example.com",
				now.Add(-time.Hour), "", kp.cert)))
		}, wantErr: ErrMetadataExpired, wantText: "expired at 2026-05-31T23:00:00Z"},
		{name: "signed by the pinned key", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(signed)
		}, edit: func(c *FetcherConfig) {
			c.Metadata.TrustedCertificates = []*x509.Certificate{kp.cert}
		}},
		{name: "signed by the wrong key", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(signedByOther)
		}, edit: func(c *FetcherConfig) {
			c.Metadata.TrustedCertificates = []*x509.Certificate{kp.cert}
		}, wantCheck: saml.CheckSignature},
		{name: "unsigned while a key is pinned", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(body))
		}, edit: func(c *FetcherConfig) {
			c.Metadata.TrustedCertificates = []*x509.Certificate{kp.cert}
		}, wantCheck: saml.CheckSignature},
		{name: "not metadata", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("<html><body>login</body></html>"))
		}, wantCheck: saml.CheckSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := blockingServer(t, func(w http.ResponseWriter, r *http.Request,
				release <-chan struct{}) {
				if tt.block {
					<-release
					return
				}
				tt.handler(w, r)
			})
			f := newTestFetcher(t, srv, "/md", now, tt.edit)

			md, err := f.Fetch(context.Background(), nil)
			if tt.wantErr == nil && tt.wantCheck == "" && tt.wantCode == 0 && tt.wantText == "" {
				require.NoError(t, err)
				assert.Equal(t, "https://idp.example.com", md.IDP.EntityID)
				assert.Equal(t, f.URL(), md.Source)
				assert.Equal(t, now, md.FetchedAt)
				return
			}
			require.Error(t, err)
			assert.Nil(t, md)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			if tt.wantCheck != "" {
				var ve *saml.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, tt.wantCheck, ve.Check)
			}
			if tt.wantCode != 0 {
				var fe *FetchError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, tt.wantCode, fe.StatusCode)
				assert.Equal(t, f.URL(), fe.URL)
			}
			assert.Contains(t, err.Error(), tt.wantText)
		})
	}
}

func TestFetchConditional(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	body := idpMetadataXML("https://idp.example.com", now.Add(2*time.Hour), "", kp.cert)
	var fetches, notModified atomic.Int32
	srv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` &&
			r.Header.Get("If-Modified-Since") == "Mon, 01 Jun 2026 00:00:00 GMT" {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fetches.Add(1)
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 01 Jun 2026 00:00:00 GMT")
		_, _ = w.Write([]byte(body))
	})

	first, err := newTestFetcher(t, srv, "/md", now, nil).Fetch(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, `"v1"`, first.ETag)
	assert.Equal(t, "Mon, 01 Jun 2026 00:00:00 GMT", first.LastModified)

	later := now.Add(time.Hour)
	second, err := newTestFetcher(t, srv, "/md", later, nil).Fetch(context.Background(), first)
	require.NoError(t, err)
	assert.Equal(t, int32(1), fetches.Load())
	assert.Equal(t, int32(1), notModified.Load())
	assert.Same(t, first.IDP, second.IDP)
	assert.Equal(t, later, second.FetchedAt)
	assert.Equal(t, now, first.FetchedAt, "the previous copy is not modified")

	t.Run("304 for a copy that has expired", func(t *testing.T) {
		_, err := newTestFetcher(t, srv, "/md", now.Add(3*time.Hour), nil).
			Fetch(context.Background(), first)
		var ee *MetadataExpiredError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, now.Add(2*time.Hour), ee.ValidUntil)
	})
}

func TestNewFetcherURLRules(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		allowHTTP bool
		wantErr   error
	}{
		{name: "https", url: "https://idp.example.com/md"},
		{name: "plain http refused", url: "http://idp.example.com/md", wantErr: ErrInsecureURL},
		{name: "plain http loopback refused without opt-in", url: "http://127.0.0.1:9101/md",
			wantErr: ErrInsecureURL},
		{name: "plain http loopback allowed", url: "http://127.0.0.1:9101/md", allowHTTP: true},
		{name: "plain http localhost allowed", url: "http://localhost/md", allowHTTP: true},
		{name: "plain http ipv6 loopback allowed", url: "http://[::1]:80/md", allowHTTP: true},
		{name: "plain http elsewhere refused even with opt-in", url: "http://10.0.0.1/md",
			allowHTTP: true, wantErr: ErrInsecureURL},
		{name: "ftp url refused", url: "ftp://idp.example.com/md", wantErr: ErrInsecureURL},
		{name: "relative", url: "/md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFetcher(FetcherConfig{URL: tt.url, InsecureAllowHTTP: tt.allowHTTP})
			switch {
			case tt.name == "relative":
				assert.ErrorContains(t, err, "not an absolute URL")
			case tt.wantErr != nil:
				assert.ErrorIs(t, err, tt.wantErr)
			default:
				assert.NoError(t, err)
			}
		})
	}
}

func TestFetchPlainHTTPLoopback(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(idpMetadataXML("https://idp.example.com", time.Time{}, "", kp.cert)))
	}))
	defer srv.Close()

	f, err := NewFetcher(FetcherConfig{URL: srv.URL, InsecureAllowHTTP: true,
		Metadata: MetadataOptions{Now: fixedClock(now)}})
	require.NoError(t, err)
	md, err := f.Fetch(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, "https://idp.example.com", md.IDP.EntityID)
}

func TestFetchHonoursCallerContext(t *testing.T) {
	srv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	f := newTestFetcher(t, srv, "/md", time.Now(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Fetch(ctx, nil)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
}

func TestFetchDoesNotChangeInjectedClient(t *testing.T) {
	client := &http.Client{Timeout: time.Second}
	_, err := NewFetcher(FetcherConfig{URL: "https://idp.example.com/md", HTTPClient: client})
	require.NoError(t, err)
	assert.Nil(t, client.CheckRedirect)
}

// blockingServer serves over TLS; handlers may wait on the returned channel,
// which is closed before the server shuts down, so that no handler returns
// (and writes an implicit 200) while the client is still waiting.
func blockingServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request,
	release <-chan struct{})) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		handle(w, r, release)
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv
}

func TestFetchHostileServers(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	body := idpMetadataXML("https://idp.example.com", now.Add(48*time.Hour), "", kp.cert)

	var bomb bytes.Buffer
	zw, err := gzip.NewWriterLevel(&bomb, gzip.BestSpeed)
	require.NoError(t, err)
	_, err = zw.Write(make([]byte, 64<<20))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	var gzBody bytes.Buffer
	zw = gzip.NewWriter(&gzBody)
	_, err = zw.Write([]byte(body))
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, release <-chan struct{})
		edit    func(*FetcherConfig)
		ctx     func() context.Context
		wantErr error  // errors.Is target; nil with wantMsg "" means success
		wantMsg string // substring of the error text
	}{
		{name: "slow headers time out with a deadline error",
			handler: func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
				<-release
			}, edit: func(c *FetcherConfig) { c.Timeout = 100 * time.Millisecond },
			wantErr: context.DeadlineExceeded},
		{name: "slow body after headers times out with a deadline error",
			handler: func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
				w.Header().Set("Content-Type", "application/samlmetadata+xml")
				_, _ = w.Write([]byte(body[:100]))
				w.(http.Flusher).Flush()
				<-release
			}, edit: func(c *FetcherConfig) { c.Timeout = 100 * time.Millisecond },
			wantErr: context.DeadlineExceeded},
		{name: "cancelled caller context",
			handler: func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
				_, _ = w.Write([]byte(body))
			}, ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			}, wantErr: context.Canceled},
		{name: "gzip bomb stops at the size limit",
			handler: func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = w.Write(bomb.Bytes())
			}, wantErr: ErrMetadataTooLarge},
		{name: "gzip-compressed metadata is accepted",
			handler: func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = w.Write(gzBody.Bytes())
			}},
		{name: "wrong content type with real metadata is accepted",
			handler: func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write([]byte(body))
			}},
		{name: "redirect loop",
			handler: func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				http.Redirect(w, r, r.URL.Path, http.StatusMovedPermanently)
			}, wantMsg: "redirects"},
		{name: "redirect to plain http on loopback without InsecureAllowHTTP",
			handler: func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				http.Redirect(w, r, "http://127.0.0.1:1/md", http.StatusFound)
			}, wantErr: ErrInsecureURL},
		{name: "304 without a previous copy is an error",
			handler: func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				w.WriteHeader(http.StatusNotModified)
			}, wantMsg: "HTTP status 304"},
		{name: "chunked body far over the limit",
			handler: func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
				chunk := bytes.Repeat([]byte(" "), 64<<10)
				for i := 0; i < 200; i++ {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}, wantErr: ErrMetadataTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := blockingServer(t, tt.handler)
			f := newTestFetcher(t, srv, "/md", now, tt.edit)
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}

			start := time.Now()
			md, err := f.Fetch(ctx, nil)
			assert.Less(t, time.Since(start), 5*time.Second)
			if tt.wantErr == nil && tt.wantMsg == "" {
				require.NoError(t, err)
				assert.Equal(t, "https://idp.example.com", md.IDP.EntityID)
				return
			}
			require.Error(t, err)
			assert.Nil(t, md)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

// TestFetchRedirectToLoopbackHTTPWhenAllowed documents that
// InsecureAllowHTTP lets an https server redirect to plain http on a loopback
// address (the rule is applied per hop, and loopback passes).
func TestFetchRedirectToLoopbackHTTPWhenAllowed(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	body := idpMetadataXML("https://idp.example.com", now.Add(48*time.Hour), "", kp.cert)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(plain.Close)
	tlsSrv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/md", http.StatusFound)
	})

	f := newTestFetcher(t, tlsSrv, "/md", now, func(c *FetcherConfig) {
		c.InsecureAllowHTTP = true
	})
	md, err := f.Fetch(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, "https://idp.example.com", md.IDP.EntityID)
}

// TestFetchErrorHidesURLPassword: errors carry no secrets (STYLE.md). A
// metadata URL with user:password must not print the password.
func TestFetchErrorHidesURLPassword(t *testing.T) {
	srv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	})
	u := strings.Replace(srv.URL, "https://", "https://admin:s3cr3t-pw@", 1)
	f, err := NewFetcher(FetcherConfig{URL: u + "/md", HTTPClient: srv.Client()})
	require.NoError(t, err)

	_, err = f.Fetch(context.Background(), nil)
	require.Error(t, err)
	var fe *FetchError
	require.True(t, errors.As(err, &fe))
	assert.NotContains(t, err.Error(), "s3cr3t-pw")
}

// TestFetchLoginPageMessage: an admin who pastes the IdP's login page URL
// instead of its metadata URL gets an HTML page back. The error says that
// this is not SAML metadata, not an XML-internal detail such as "DTD".
func TestFetchLoginPageMessage(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	srv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!DOCTYPE html>\n<html><head><title>Sign in</title></head>" +
			"<body><form><input name=\"user\"/></form></body></html>"))
	})
	f := newTestFetcher(t, srv, "/login", now, nil)

	_, err := f.Fetch(context.Background(), nil)
	require.Error(t, err)
	var ve *saml.ValidationError
	if errors.As(err, &ve) {
		t.Logf("check %s: %v", ve.Check, err)
	}
	assert.Contains(t, strings.ToLower(err.Error()), "metadata",
		"the message should tell the admin the URL did not return SAML metadata: %v", err)
	assert.NotContains(t, err.Error(), "DTD",
		"an HTML doctype is reported as a DTD attack, which misleads the admin: %v", err)
}

// TestFetchNonHTTPSchemeMessage: a redirect to file:// is refused as a
// redirect to a non-HTTPS URL, wrapping ErrInsecureURL for callers that
// branch on it, not as "not an absolute URL".
func TestFetchNonHTTPSchemeMessage(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	srv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	f := newTestFetcher(t, srv, "/md", now, nil)

	_, err := f.Fetch(context.Background(), nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInsecureURL)
	assert.NotContains(t, err.Error(), "not an absolute URL")
}

// TestFetchManyAttributesIsFast: metadata from a URL goes through the saml
// package's XML checks, whose duplicate-attribute test must not be
// quadratic in the number of attributes on one element, or a metadata
// server could make each refresh burn seconds of CPU with a few hundred
// kilobytes, well under the 5 MiB default limit.
func TestFetchManyAttributesIsFast(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	body := idpMetadataXML("https://idp.example.com", now.Add(48*time.Hour), "", kp.cert)
	var attrs strings.Builder
	n := 40000
	if raceEnabled() {
		n = 10000 // the race detector slows the quadratic loop about tenfold
	}
	for i := 0; i < n; i++ {
		attrs.WriteString(" z")
		attrs.WriteString(strconvBase36(i))
		attrs.WriteString(`=""`)
	}
	body = strings.Replace(body, "<md:IDPSSODescriptor",
		"<md:IDPSSODescriptor"+attrs.String(), 1)
	srv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(body))
	})
	f := newTestFetcher(t, srv, "/md", now, nil)

	start := time.Now()
	_, _ = f.Fetch(context.Background(), nil)
	assert.Less(t, time.Since(start), time.Second)
}

func strconvBase36(i int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 36 {
		b = append([]byte{digits[i%36]}, b...)
	}
	return string(b)
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, st := range bi.Settings {
		if st.Key == "-race" {
			return st.Value == "true"
		}
	}
	return false
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "nothing to redact", in: "https://idp.example.com/md?appid=1&x=%2F",
			want: "https://idp.example.com/md?appid=1&x=%2F"},
		{name: "password", in: "https://admin:s3cr3t@idp.example.com/md",
			want: "https://admin:xxxxx@idp.example.com/md"},
		{name: "user without password kept", in: "https://admin@idp.example.com/md",
			want: "https://admin@idp.example.com/md"},
		{name: "secret-looking query parameters",
			in:   "https://idp.example.com/md?appid=7&access_token=abc&sig=def&Password=ghi",
			want: "https://idp.example.com/md?Password=xxxxx&access_token=xxxxx&appid=7&sig=xxxxx"},
		{name: "unparsable", in: "https://idp.example.com/%zz", want: "(unparsable URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, RedactURL(tt.in))
		})
	}
}

// TestFetchErrorsRedactTheQuery: a secret in the query string stays out of
// every error and of Metadata.Source.
func TestFetchErrorsRedactTheQuery(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	kp := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	body := idpMetadataXML("https://idp.example.com", time.Time{}, "", kp.cert)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		maxSize int
		wantErr bool
	}{
		{name: "status", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusForbidden)
		}, wantErr: true},
		{name: "too large", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte(" "), 600))
		}, maxSize: 500, wantErr: true},
		{name: "redirect to http", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://idp.example.com/md?token=t0p-s3cr3t", http.StatusFound)
		}, wantErr: true},
		{name: "success", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(body))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := metadataServer(t, tt.handler)
			f := newTestFetcher(t, srv, "/md?token=t0p-s3cr3t", now, func(c *FetcherConfig) {
				c.Metadata.MaxSize = tt.maxSize
			})
			md, err := f.Fetch(context.Background(), nil)
			assert.NotContains(t, f.URL(), "t0p-s3cr3t")
			if !tt.wantErr {
				require.NoError(t, err)
				assert.NotContains(t, md.Source, "t0p-s3cr3t")
				return
			}
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "t0p-s3cr3t")
		})
	}
}
