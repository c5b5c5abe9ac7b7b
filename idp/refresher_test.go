package idp

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// switchableIdP serves whatever metadata (or status) the test sets.
type switchableIdP struct {
	mu     sync.Mutex
	body   string
	status int
	hits   int
}

func (s *switchableIdP) set(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *switchableIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	if s.status != http.StatusOK {
		http.Error(w, "unavailable", s.status)
		return
	}
	_, _ = w.Write([]byte(s.body))
}

func (s *switchableIdP) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

func newTestRefresher(t *testing.T, idp *switchableIdP, clock *fakeClock,
	edit func(*RefresherConfig)) *Refresher {
	t.Helper()
	srv := metadataServer(t, idp.ServeHTTP)
	f, err := NewFetcher(FetcherConfig{URL: srv.URL + "/md", HTTPClient: srv.Client(),
		Metadata: MetadataOptions{Now: clock.Now}})
	require.NoError(t, err)
	cfg := RefresherConfig{Fetcher: f, Now: clock.Now, RetryInterval: 10 * time.Minute}
	if edit != nil {
		edit(&cfg)
	}
	r, err := NewRefresher(cfg)
	require.NoError(t, err)
	return r
}

func TestRefresherFailureThenRecovery(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	a := newKeyPair(t, "a", start.Add(-time.Hour), start.Add(1000*time.Hour))
	idp := &switchableIdP{}
	r := newTestRefresher(t, idp, clock, nil)

	// Nothing yet.
	_, err := r.Metadata()
	assert.ErrorIs(t, err, ErrNoMetadata)

	// The first fetch fails: no copy, the failure is reported.
	idp.set(http.StatusServiceUnavailable, "")
	err = r.Refresh(context.Background())
	var fe *FetchError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, http.StatusServiceUnavailable, fe.StatusCode)
	_, err = r.Metadata()
	assert.ErrorAs(t, err, &fe)
	st := r.Status()
	assert.Equal(t, start, st.LastAttempt)
	assert.True(t, st.LastSuccess.IsZero())
	assert.Equal(t, start.Add(10*time.Minute), st.NextRefresh, "retry")

	// Recovery.
	clock.Set(start.Add(10 * time.Minute))
	idp.set(http.StatusOK, idpMetadataXML("https://idp.example.com", time.Time{}, "", a.cert))
	require.NoError(t, r.Refresh(context.Background()))
	md, err := r.Metadata()
	require.NoError(t, err)
	assert.Equal(t, "https://idp.example.com", md.IDP.EntityID)
	st = r.Status()
	assert.NoError(t, st.LastError)
	assert.Equal(t, clock.Now(), st.LastSuccess)
	assert.Equal(t, clock.Now().Add(DefaultRefreshInterval), st.NextRefresh)

	// A later failure keeps the last good copy and reports the failure.
	clock.Set(start.Add(25 * time.Hour))
	idp.set(http.StatusInternalServerError, "")
	err = r.Refresh(context.Background())
	require.Error(t, err)
	kept, err := r.Metadata()
	require.NoError(t, err)
	assert.Same(t, md, kept)
	st = r.Status()
	assert.ErrorAs(t, st.LastError, &fe)
	assert.Equal(t, start.Add(10*time.Minute), st.LastSuccess)
}

func TestRefresherKeyRollover(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	oldKey := newKeyPair(t, "old", start.Add(-time.Hour), start.Add(1000*time.Hour))
	newKey := newKeyPair(t, "new", start.Add(-time.Hour), start.Add(1000*time.Hour))
	idp := &switchableIdP{}
	var logs bytes.Buffer
	r := newTestRefresher(t, idp, clock, func(c *RefresherConfig) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})

	steps := []struct {
		name  string
		certs []*x509.Certificate
	}{
		{name: "before", certs: []*x509.Certificate{oldKey.cert}},
		{name: "both during rollover", certs: []*x509.Certificate{oldKey.cert, newKey.cert}},
		{name: "after", certs: []*x509.Certificate{newKey.cert}},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clock.Set(start.Add(time.Duration(i) * 24 * time.Hour))
			idp.set(http.StatusOK, idpMetadataXML("https://idp.example.com", time.Time{}, "",
				s.certs...))
			require.NoError(t, r.Refresh(context.Background()))
			md, err := r.Metadata()
			require.NoError(t, err)

			var cfg Config
			cfg.ApplyMetadata(md.IDP)
			assert.Equal(t, s.certs, cfg.SigningCertificates)
		})
	}
	assert.Equal(t, 2, strings.Count(logs.String(), "signing certificates changed"), logs.String())

	t.Run("failure is logged", func(t *testing.T) {
		idp.set(http.StatusServiceUnavailable, "")
		require.Error(t, r.Refresh(context.Background()))
		assert.Contains(t, logs.String(), "level=WARN msg=\"idp: metadata refresh failed")
		assert.Contains(t, logs.String(), "HTTP status 503")
	})
}

func TestRefresherSchedule(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		validUntil    time.Duration // from start; 0 = none
		cacheDuration string
		edit          func(*RefresherConfig)
		want          time.Duration
	}{
		{name: "default interval", want: DefaultRefreshInterval},
		{name: "configured interval", edit: func(c *RefresherConfig) { c.Interval = 6 * time.Hour },
			want: 6 * time.Hour},
		{name: "shorter cacheDuration wins", cacheDuration: "PT1H", want: time.Hour},
		{name: "longer cacheDuration loses", cacheDuration: "P7D", want: DefaultRefreshInterval},
		{name: "half way to validUntil", validUntil: 10 * time.Hour, want: 5 * time.Hour},
		{name: "validUntil far away", validUntil: 30 * 24 * time.Hour,
			want: DefaultRefreshInterval},
		{name: "never below the minimum", cacheDuration: "PT10S",
			want: DefaultMinRefreshInterval},
		{name: "configured minimum", cacheDuration: "PT10S",
			edit: func(c *RefresherConfig) { c.MinInterval = time.Minute }, want: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: start}
			kp := newKeyPair(t, "a", start.Add(-time.Hour), start.Add(1000*time.Hour))
			var vu time.Time
			if tt.validUntil != 0 {
				vu = start.Add(tt.validUntil)
			}
			idp := &switchableIdP{}
			idp.set(http.StatusOK, idpMetadataXML("https://idp.example.com", vu,
				tt.cacheDuration, kp.cert))
			r := newTestRefresher(t, idp, clock, tt.edit)
			require.NoError(t, r.Refresh(context.Background()))
			assert.Equal(t, start.Add(tt.want), r.Status().NextRefresh)
		})
	}
}

// With Spread, each scheduled wait is shortened by a random part of up to
// that fraction, so that instances started together drift apart; an
// out-of-range Spread is refused.
func TestRefresherSpread(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	kp := newKeyPair(t, "a", start.Add(-time.Hour), start.Add(1000*time.Hour))
	idp := &switchableIdP{}
	idp.set(http.StatusOK, idpMetadataXML("https://idp.example.com", time.Time{}, "PT10H",
		kp.cert))
	r := newTestRefresher(t, idp, clock, func(c *RefresherConfig) { c.Spread = 0.2 })
	seen := map[time.Duration]bool{}
	for range 40 {
		require.NoError(t, r.Refresh(context.Background()))
		w := r.Status().NextRefresh.Sub(start)
		assert.GreaterOrEqual(t, w, 8*time.Hour)
		assert.LessOrEqual(t, w, 10*time.Hour)
		seen[w] = true
	}
	assert.Greater(t, len(seen), 1, "the waits differ")

	for _, bad := range []float64{-0.1, 0.6, math.NaN()} {
		_, err := NewRefresher(RefresherConfig{Fetcher: r.cfg.Fetcher, Spread: bad})
		assert.ErrorContains(t, err, "Spread", "%v", bad)
	}

	// The randomness comes from Config.Rand: all zeros cut nothing, all
	// ones nearly the whole Spread.
	for _, tt := range []struct {
		fill byte
		want time.Duration
	}{{0x00, 10 * time.Hour}, {0xff, 8 * time.Hour}} {
		fixed := newTestRefresher(t, idp, clock, func(c *RefresherConfig) {
			c.Spread = 0.2
			c.Rand = bytes.NewReader(bytes.Repeat([]byte{tt.fill}, 8))
		})
		require.NoError(t, fixed.Refresh(context.Background()))
		assert.InDelta(t, float64(tt.want), float64(fixed.Status().NextRefresh.Sub(start)),
			float64(time.Second), "fill %#x", tt.fill)
	}
}

func TestRefresherRetryNoLaterThanSchedule(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	kp := newKeyPair(t, "a", start.Add(-time.Hour), start.Add(1000*time.Hour))
	idp := &switchableIdP{}
	idp.set(http.StatusOK, idpMetadataXML("https://idp.example.com", time.Time{}, "PT1H", kp.cert))
	r := newTestRefresher(t, idp, clock, func(c *RefresherConfig) {
		c.RetryInterval = 2 * time.Hour
	})
	require.NoError(t, r.Refresh(context.Background()))

	clock.Set(start.Add(50 * time.Minute))
	idp.set(http.StatusBadGateway, "")
	require.Error(t, r.Refresh(context.Background()))
	assert.Equal(t, start.Add(time.Hour), r.Status().NextRefresh)
}

func TestRefresherExpiredCopyFailsClosed(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	kp := newKeyPair(t, "a", start.Add(-time.Hour), start.Add(1000*time.Hour))
	vu := start.Add(4 * time.Hour)
	idp := &switchableIdP{}
	idp.set(http.StatusOK, idpMetadataXML("https://idp.example.com", vu, "", kp.cert))
	r := newTestRefresher(t, idp, clock, nil)
	require.NoError(t, r.Refresh(context.Background()))
	assert.Equal(t, start.Add(2*time.Hour), r.Status().NextRefresh)

	// Every refresh fails until the copy expires.
	idp.set(http.StatusServiceUnavailable, "")
	clock.Set(start.Add(3 * time.Hour))
	require.Error(t, r.Refresh(context.Background()))
	_, err := r.Metadata()
	require.NoError(t, err, "still valid")

	clock.Set(vu)
	_, err = r.Metadata()
	var ee *MetadataExpiredError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, vu, ee.ValidUntil)
	assert.Contains(t, err.Error(), "expired at 2026-06-01T04:00:00Z")
}

// fakeTimers hands Run's waits to the test.
type fakeTimers struct {
	waits chan time.Duration
	fire  chan time.Time
}

func (f *fakeTimers) After(d time.Duration) <-chan time.Time {
	f.waits <- d
	return f.fire
}

func TestRefresherRun(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	a := newKeyPair(t, "a", start.Add(-time.Hour), start.Add(1000*time.Hour))
	b := newKeyPair(t, "b", start.Add(-time.Hour), start.Add(1000*time.Hour))
	idp := &switchableIdP{}
	idp.set(http.StatusOK, idpMetadataXML("https://idp.example.com", time.Time{}, "PT2H", a.cert))
	timers := &fakeTimers{waits: make(chan time.Duration), fire: make(chan time.Time)}
	r := newTestRefresher(t, idp, clock, func(c *RefresherConfig) { c.After = timers.After })

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	// Run fetches at once, then waits cacheDuration.
	assert.Equal(t, 2*time.Hour, <-timers.waits)
	assert.Equal(t, 1, idp.count())
	md, err := r.Metadata()
	require.NoError(t, err)
	assert.Len(t, md.IDP.SigningCertificates, 1)

	// The IdP fails: Run records it and waits the retry interval.
	idp.set(http.StatusServiceUnavailable, "")
	clock.Set(start.Add(2 * time.Hour))
	timers.fire <- clock.Now()
	assert.Equal(t, 10*time.Minute, <-timers.waits)
	assert.Equal(t, 2, idp.count())
	assert.Error(t, r.Status().LastError)

	// The IdP recovers with a second key.
	idp.set(http.StatusOK, idpMetadataXML("https://idp.example.com", time.Time{}, "PT2H",
		a.cert, b.cert))
	clock.Set(start.Add(2*time.Hour + 10*time.Minute))
	timers.fire <- clock.Now()
	assert.Equal(t, 2*time.Hour, <-timers.waits)
	assert.Equal(t, 3, idp.count())
	md, err = r.Metadata()
	require.NoError(t, err)
	assert.Len(t, md.IDP.SigningCertificates, 2)
	assert.NoError(t, r.Status().LastError)

	cancel()
	assert.True(t, errors.Is(<-done, context.Canceled))
}

func TestNewRefresherNeedsFetcher(t *testing.T) {
	_, err := NewRefresher(RefresherConfig{})
	assert.ErrorContains(t, err, "Fetcher")
}

// TestRefreshKeepsTheEntity: a Refresher keeps one IdP's metadata current.
// If the URL starts serving another entity (the IdP admin re-pointed it, or
// a shared host serves another tenant), the refresh fails and the last good
// copy of the first entity is kept: the new entity's keys must not replace
// the old ones without an administrator.
func TestRefreshKeepsTheEntity(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	a := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	b := newKeyPair(t, "other", now.Add(-time.Hour), now.Add(24*time.Hour))
	bodies := []string{
		idpMetadataXML("https://idp.example.com", time.Time{}, "", a.cert),
		idpMetadataXML("https://someone-else.example.com", time.Time{}, "", b.cert),
	}
	var calls atomic.Int32
	srv := metadataServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(bodies[min(int(calls.Add(1))-1, 1)]))
	})
	r, err := NewRefresher(RefresherConfig{Fetcher: newTestFetcher(t, srv, "/md", now, nil),
		Now: fixedClock(now)})
	require.NoError(t, err)

	require.NoError(t, r.Refresh(context.Background()))
	_ = r.Refresh(context.Background())
	md, err := r.Metadata()
	require.NoError(t, err)
	assert.Equal(t, "https://idp.example.com", md.IDP.EntityID)
}

// TestRefresherEntityPinning: the refusal of another entity says what
// changed, keeps the last good copy, and the log line shows no password of
// the metadata URL; an entity ID set in the Fetcher's options pins from
// the first fetch.
func TestRefresherEntityPinning(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	a := newKeyPair(t, "idp", now.Add(-time.Hour), now.Add(24*time.Hour))
	b := newKeyPair(t, "other", now.Add(-time.Hour), now.Add(24*time.Hour))
	first := idpMetadataXML("https://idp.example.com", time.Time{}, "", a.cert)
	second := idpMetadataXML("https://someone-else.example.com", time.Time{}, "", b.cert)

	tests := []struct {
		name     string
		entityID string // Fetcher's MetadataOptions.EntityID
		bodies   []string
		wantErrs []bool // per refresh
	}{
		{name: "pinned by the first fetch", bodies: []string{first, second, first},
			wantErrs: []bool{false, true, false}},
		{name: "pinned by the configuration", entityID: "https://idp.example.com",
			bodies: []string{first, first}, wantErrs: []bool{false, false}},
		{name: "same entity with a new key is a rollover, not a change",
			bodies: []string{first, idpMetadataXML("https://idp.example.com", time.Time{}, "",
				b.cert)}, wantErrs: []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := &switchableIdP{}
			srv := metadataServer(t, idp.ServeHTTP)
			u := strings.Replace(srv.URL, "https://", "https://admin:s3cr3t-pw@", 1) + "/md"
			f, err := NewFetcher(FetcherConfig{URL: u, HTTPClient: srv.Client(),
				Metadata: MetadataOptions{Now: fixedClock(now), EntityID: tt.entityID}})
			require.NoError(t, err)
			var logs bytes.Buffer
			r, err := NewRefresher(RefresherConfig{Fetcher: f, Now: fixedClock(now),
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			require.NoError(t, err)

			for i, body := range tt.bodies {
				idp.set(http.StatusOK, body)
				err := r.Refresh(context.Background())
				if !tt.wantErrs[i] {
					require.NoError(t, err, "refresh %d", i+1)
					continue
				}
				var ce *EntityChangedError
				require.ErrorAs(t, err, &ce, "refresh %d", i+1)
				assert.ErrorIs(t, err, ErrEntityChanged)
				assert.Equal(t, "https://idp.example.com", ce.Want)
				assert.Equal(t, "https://someone-else.example.com", ce.Got)
				assert.Contains(t, err.Error(), `from "https://idp.example.com" to `+
					`"https://someone-else.example.com"`)
				assert.ErrorIs(t, r.Status().LastError, ErrEntityChanged)
				md, err := r.Metadata()
				require.NoError(t, err)
				assert.Equal(t, "https://idp.example.com", md.IDP.EntityID)
				assert.True(t, a.cert.Equal(md.IDP.SigningCertificates[0]))
			}
			assert.NotContains(t, logs.String(), "s3cr3t-pw")
		})
	}
}
