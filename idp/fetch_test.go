package idp

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
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
		name      string
		handler   http.HandlerFunc
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
		{name: "timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, edit: func(c *FetcherConfig) { c.Timeout = 50 * time.Millisecond },
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
			srv := metadataServer(t, tt.handler)
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
