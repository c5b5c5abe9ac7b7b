package confluence_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
)

// countingSource is a hand-written Source whose answers and failures the
// test controls, and which counts calls.
type countingSource struct {
	mu    sync.Mutex
	pages map[string]*confluence.Page
	err   error
	// pageErr fails one page's fetches, whatever err says.
	pageErr map[string]error
	calls   map[string]int
	gate    chan struct{} // when not nil, Page waits for it to close
}

func newCountingSource(pages ...*confluence.Page) *countingSource {
	s := &countingSource{pages: map[string]*confluence.Page{}, calls: map[string]int{}}
	for _, p := range pages {
		s.pages[p.ID] = p
	}
	return s
}

func (s *countingSource) Page(ctx context.Context, id string) (*confluence.Page, error) {
	s.mu.Lock()
	s.calls["page "+id]++
	gate, err, p := s.gate, s.err, s.pages[id]
	if e := s.pageErr[id]; e != nil {
		err = e
	}
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("page %s: %w", id, confluence.ErrNotFound)
	}
	return p, nil
}

func (s *countingSource) Space(_ context.Context, key string) (*confluence.Space, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["space "+key]++
	if s.err != nil {
		return nil, s.err
	}
	return &confluence.Space{Key: key, HomePageID: "1"}, nil
}

func (s *countingSource) Children(_ context.Context, id string) ([]confluence.PageRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["children "+id]++
	if s.err != nil {
		return nil, s.err
	}
	return []confluence.PageRef{{ID: id + "-1"}}, nil
}

func (s *countingSource) set(f func(s *countingSource)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *countingSource) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

func TestCacheFreshness(t *testing.T) {
	clock := newFakeClock()
	src := newCountingSource(&confluence.Page{ID: "1", Version: 1, Body: "<p>v1</p>"})
	c := confluence.NewCache(src, confluence.CacheConfig{MaxAge: time.Minute, Now: clock.Now})

	p1, err := c.Page(t.Context(), "1")
	require.NoError(t, err)
	p2, err := c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.Same(t, p1, p2, "a hit returns the cached page itself")
	assert.Equal(t, 1, src.count("page 1"))

	src.set(func(s *countingSource) {
		s.pages["1"] = &confluence.Page{ID: "1", Version: 2, Body: "<p>v2</p>"}
	})
	clock.Advance(59 * time.Second)
	p, err := c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, 1, p.Version, "still fresh")

	clock.Advance(time.Second)
	p, err = c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, 2, p.Version, "refreshed after MaxAge")
	assert.Equal(t, 2, src.count("page 1"))
}

func TestCacheServesStale(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		age       time.Duration
		wantStale bool
	}{
		{"source unavailable", confluence.ErrUnavailable, 2 * time.Minute, true},
		{"rate limited", &confluence.RateLimitedError{RetryAfter: time.Minute},
			2 * time.Minute, true},
		{"network error", fmt.Errorf("dial tcp: connection refused"), 2 * time.Minute, true},
		{"copy too old", confluence.ErrUnavailable, 2 * time.Hour, false},
		{"page gone", confluence.ErrNotFound, 2 * time.Minute, false},
		{"credentials revoked", confluence.ErrUnauthorized, 2 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			src := newCountingSource(&confluence.Page{ID: "1", Version: 3, Body: "<p>x</p>"})
			c := confluence.NewCache(src, confluence.CacheConfig{Now: clock.Now})
			_, err := c.Page(t.Context(), "1")
			require.NoError(t, err)

			src.set(func(s *countingSource) { s.err = tt.err })
			clock.Advance(tt.age)
			p, err := c.Page(t.Context(), "1")
			if !tt.wantStale {
				require.ErrorIs(t, err, tt.err)
				assert.Nil(t, p)
				return
			}
			require.NoError(t, err)
			assert.True(t, p.Stale)
			assert.Equal(t, 3, p.Version)

			src.set(func(s *countingSource) { s.err = nil })
			clock.Advance(time.Minute) // past the pause after the failure
			p, err = c.Page(t.Context(), "1")
			require.NoError(t, err)
			assert.False(t, p.Stale, "the stale mark is on a copy, not the cached page")
		})
	}
}

// TestCachePausesAfterFailure: once the source failed, it is left alone
// for FailPause: copies are served stale at once, pages without a copy fail
// at once with the failure, and nothing reaches the source until the pause
// is over. A rate-limit answer's RetryAfter lengthens the pause, up to five
// minutes; not found does not pause.
func TestCachePausesAfterFailure(t *testing.T) {
	clock := newFakeClock()
	src := newCountingSource(&confluence.Page{ID: "1", Version: 1}, &confluence.Page{ID: "2"})
	c := confluence.NewCache(src, confluence.CacheConfig{Now: clock.Now,
		FailPause: 10 * time.Second})
	_, err := c.Page(t.Context(), "1")
	require.NoError(t, err)

	src.set(func(s *countingSource) { s.err = confluence.ErrUnavailable })
	clock.Advance(2 * time.Minute)
	p, err := c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.True(t, p.Stale)
	assert.Equal(t, 2, src.count("page 1"), "the failed refresh")

	for range 5 {
		p, err = c.Page(t.Context(), "1")
		require.NoError(t, err)
		assert.True(t, p.Stale)
		_, err = c.Page(t.Context(), "2")
		require.ErrorIs(t, err, confluence.ErrUnavailable, "no copy: the failure, at once")
	}
	assert.Equal(t, 2, src.count("page 1"), "left alone during the pause")
	assert.Zero(t, src.count("page 2"))

	src.set(func(s *countingSource) { s.err = nil })
	clock.Advance(10 * time.Second)
	p, err = c.Page(t.Context(), "2")
	require.NoError(t, err)
	assert.False(t, p.Stale)
	assert.Equal(t, 1, src.count("page 2"), "asked again after the pause")

	// A rate limit with RetryAfter pauses that long, at most five minutes.
	for _, tt := range []struct {
		retryAfter, paused time.Duration
	}{{time.Minute, time.Minute}, {time.Hour, 5 * time.Minute}} {
		src.set(func(s *countingSource) { s.err = &confluence.RateLimitedError{RetryAfter: tt.retryAfter} })
		clock.Advance(2 * time.Minute)
		_, err = c.Page(t.Context(), "1")
		require.NoError(t, err)
		n := src.count("page 1")
		src.set(func(s *countingSource) { s.err = nil })
		clock.Advance(tt.paused - time.Second)
		p, err = c.Page(t.Context(), "1")
		require.NoError(t, err)
		assert.True(t, p.Stale, "still paused")
		assert.Equal(t, n, src.count("page 1"))
		clock.Advance(time.Second)
		p, err = c.Page(t.Context(), "1")
		require.NoError(t, err)
		assert.False(t, p.Stale, "asked again after %v", tt.paused)
	}

	// Not found is an answer, not a failure: no pause.
	_, err = c.Page(t.Context(), "404")
	require.ErrorIs(t, err, confluence.ErrNotFound)
	clock.Advance(2 * time.Minute)
	p, err = c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.False(t, p.Stale)
}

// TestCacheBadAnswerIsNotAnOutage: a page whose answer cannot be used
// fails alone (served from its own last copy): the source is not paused,
// so other pages are still asked, and one restricted meanwhile is seen.
func TestCacheBadAnswerIsNotAnOutage(t *testing.T) {
	clock := newFakeClock()
	src := newCountingSource(&confluence.Page{ID: "1", Version: 1},
		&confluence.Page{ID: "2", Version: 1})
	c := confluence.NewCache(src, confluence.CacheConfig{Now: clock.Now,
		FailPause: 10 * time.Second})
	for _, id := range []string{"1", "2"} {
		_, err := c.Page(t.Context(), id)
		require.NoError(t, err)
	}

	src.set(func(s *countingSource) {
		s.pageErr = map[string]error{"1": fmt.Errorf("decoding: %w", confluence.ErrBadAnswer)}
		s.pages["2"] = &confluence.Page{ID: "2", Version: 1, Restricted: true}
	})
	clock.Advance(2 * time.Minute)
	p, err := c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.True(t, p.Stale, "its own last copy")
	p, err = c.Page(t.Context(), "2")
	require.NoError(t, err)
	assert.False(t, p.Stale, "the source was not paused")
	assert.True(t, p.Restricted, "the restriction made meanwhile is seen")
	assert.Equal(t, 2, src.count("page 2"))

	_, err = c.Page(t.Context(), "3")
	assert.ErrorIs(t, err, confluence.ErrNotFound, "and pages not cached are asked for too")
}

// TestCacheProbeAfterPause: when a pause is over, one request asks the
// source; while it waits, the others get the stale copy at once instead of
// queueing behind it. The probe's answer ends the pause.
func TestCacheProbeAfterPause(t *testing.T) {
	clock := newFakeClock()
	src := newCountingSource(&confluence.Page{ID: "1", Version: 1})
	c := confluence.NewCache(src, confluence.CacheConfig{Now: clock.Now,
		FailPause: 10 * time.Second})
	_, err := c.Page(t.Context(), "1")
	require.NoError(t, err)
	src.set(func(s *countingSource) { s.err = confluence.ErrUnavailable })
	clock.Advance(2 * time.Minute)
	_, err = c.Page(t.Context(), "1") // fails, pauses
	require.NoError(t, err)

	gate := make(chan struct{})
	src.set(func(s *countingSource) { s.err, s.gate = nil, gate })
	clock.Advance(10 * time.Second)
	before := src.count("page 1")
	probe := make(chan *confluence.Page)
	go func() {
		p, _ := c.Page(context.Background(), "1")
		probe <- p
	}()
	require.Eventually(t, func() bool { return src.count("page 1") == before+1 },
		10*time.Second, time.Millisecond, "the probe reached the source")

	for range 3 {
		p, err := c.Page(t.Context(), "1")
		require.NoError(t, err)
		assert.True(t, p.Stale, "served at once while the probe waits")
	}
	assert.Equal(t, before+1, src.count("page 1"), "one probe only")

	close(gate)
	p := <-probe
	require.NotNil(t, p)
	assert.False(t, p.Stale)
	p, err = c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.False(t, p.Stale, "the pause is over")
}

// TestCachePauseOff: a negative FailPause asks the source every time.
func TestCachePauseOff(t *testing.T) {
	clock := newFakeClock()
	src := newCountingSource(&confluence.Page{ID: "1"})
	c := confluence.NewCache(src, confluence.CacheConfig{Now: clock.Now, FailPause: -1})
	src.set(func(s *countingSource) { s.err = confluence.ErrUnavailable })
	for range 3 {
		_, err := c.Page(t.Context(), "1")
		require.ErrorIs(t, err, confluence.ErrUnavailable)
	}
	assert.Equal(t, 3, src.count("page 1"))
}

func TestCacheDropsPageThatWentAway(t *testing.T) {
	clock := newFakeClock()
	src := newCountingSource(&confluence.Page{ID: "1", Version: 1})
	c := confluence.NewCache(src, confluence.CacheConfig{Now: clock.Now})
	_, err := c.Page(t.Context(), "1")
	require.NoError(t, err)

	src.set(func(s *countingSource) { delete(s.pages, "1") })
	clock.Advance(2 * time.Minute)
	_, err = c.Page(t.Context(), "1")
	require.ErrorIs(t, err, confluence.ErrNotFound)

	// Confluence is down now. Within MissMaxAge the miss is remembered;
	// after it, the dropped copy must not come back as stale either.
	src.set(func(s *countingSource) { s.err = confluence.ErrUnavailable })
	_, err = c.Page(t.Context(), "1")
	assert.ErrorIs(t, err, confluence.ErrNotFound)
	clock.Advance(20 * time.Second)
	_, err = c.Page(t.Context(), "1")
	assert.ErrorIs(t, err, confluence.ErrUnavailable)
}

func TestCacheCollapsesConcurrentMisses(t *testing.T) {
	src := newCountingSource(&confluence.Page{ID: "1", Version: 1})
	gate := make(chan struct{})
	src.set(func(s *countingSource) { s.gate = gate })
	c := confluence.NewCache(src, confluence.CacheConfig{Now: newFakeClock().Now})

	const n = 50
	var wg sync.WaitGroup
	results := make(chan *confluence.Page, n)
	for range n {
		wg.Go(func() {
			p, err := c.Page(t.Context(), "1")
			assert.NoError(t, err)
			results <- p
		})
	}
	close(gate)
	wg.Wait()
	close(results)

	var first *confluence.Page
	for p := range results {
		if first == nil {
			first = p
		}
		assert.Same(t, first, p)
	}
	assert.Equal(t, 1, src.count("page 1"), "one fetch for all callers")
}

func TestCacheCallerGivesUpFetchGoesOn(t *testing.T) {
	src := newCountingSource(&confluence.Page{ID: "1", Version: 1})
	gate := make(chan struct{})
	src.set(func(s *countingSource) { s.gate = gate })
	c := confluence.NewCache(src, confluence.CacheConfig{Now: newFakeClock().Now})

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Page(ctx, "1")
	require.ErrorIs(t, err, context.Canceled)

	close(gate)
	p, err := c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, "1", p.ID)
	assert.LessOrEqual(t, src.count("page 1"), 2)
}

func TestCacheEvictsBeyondMaxBytes(t *testing.T) {
	body := strings.Repeat("x", 1000)
	var pages []*confluence.Page
	for i := range 5 {
		pages = append(pages, &confluence.Page{ID: fmt.Sprint(i), Body: body})
	}
	src := newCountingSource(pages...)
	// Room for three pages of about 1.25 KB.
	c := confluence.NewCache(src, confluence.CacheConfig{MaxBytes: 4000,
		Now: newFakeClock().Now})

	for i := range 5 {
		_, err := c.Page(t.Context(), fmt.Sprint(i))
		require.NoError(t, err)
	}
	for i := 4; i >= 2; i-- { // the three most recent are still there
		_, err := c.Page(t.Context(), fmt.Sprint(i))
		require.NoError(t, err)
		assert.Equal(t, 1, src.count(fmt.Sprint("page ", i)), "page %d cached", i)
	}
	_, err := c.Page(t.Context(), "0")
	require.NoError(t, err)
	assert.Equal(t, 2, src.count("page 0"), "page 0 was evicted")

	huge := &confluence.Page{ID: "huge", Body: strings.Repeat("y", 5000)}
	src.set(func(s *countingSource) { s.pages["huge"] = huge })
	for range 2 {
		_, err := c.Page(t.Context(), "huge")
		require.NoError(t, err)
	}
	assert.Equal(t, 2, src.count("page huge"), "larger than MaxBytes: not kept")
}

func TestCacheSpaceAndChildren(t *testing.T) {
	src := newCountingSource()
	c := confluence.NewCache(src, confluence.CacheConfig{Now: newFakeClock().Now})
	for range 3 {
		sp, err := c.Space(t.Context(), "ENG")
		require.NoError(t, err)
		assert.Equal(t, "ENG", sp.Key)
		kids, err := c.Children(t.Context(), "1")
		require.NoError(t, err)
		assert.Equal(t, []string{"1-1"}, ids(kids))
	}
	assert.Equal(t, 1, src.count("space ENG"))
	assert.Equal(t, 1, src.count("children 1"))
}

func TestCacheHitDoesNotAllocate(t *testing.T) {
	body := strings.Repeat("<p>content</p>", 10000)
	src := newCountingSource(&confluence.Page{ID: "1", Body: body})
	c := confluence.NewCache(src, confluence.CacheConfig{Now: newFakeClock().Now})
	_, err := c.Page(t.Context(), "1")
	require.NoError(t, err)

	ctx := t.Context()
	var p *confluence.Page
	allocs := testing.AllocsPerRun(100, func() { p, _ = c.Page(ctx, "1") })
	assert.Zero(t, allocs)
	assert.Equal(t, unsafe.StringData(body), unsafe.StringData(p.Body), "body not copied")
}

func BenchmarkCacheHit(b *testing.B) {
	body := strings.Repeat("<p>content</p>", 10000)
	src := newCountingSource(&confluence.Page{ID: "1", Body: body})
	c := confluence.NewCache(src, confluence.CacheConfig{})
	ctx := context.Background()
	if _, err := c.Page(ctx, "1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Page(ctx, "1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHitParallel(b *testing.B) {
	src := newCountingSource(&confluence.Page{ID: "1", Body: "<p>x</p>"})
	c := confluence.NewCache(src, confluence.CacheConfig{})
	ctx := context.Background()
	if _, err := c.Page(ctx, "1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Page(ctx, "1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestCacheStaleSpaceAndChildren(t *testing.T) {
	clock := newFakeClock()
	src := newCountingSource()
	c := confluence.NewCache(src, confluence.CacheConfig{Now: clock.Now})
	_, err := c.Space(t.Context(), "ENG")
	require.NoError(t, err)
	_, err = c.Children(t.Context(), "1")
	require.NoError(t, err)

	src.set(func(s *countingSource) { s.err = confluence.ErrUnavailable })
	clock.Advance(5 * time.Minute)
	sp, err := c.Space(t.Context(), "ENG")
	require.NoError(t, err, "last good space while the source is down")
	assert.Equal(t, "ENG", sp.Key)
	kids, err := c.Children(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, []string{"1-1"}, ids(kids))
	assert.Equal(t, 2, src.count("space ENG"), "the source was asked again")

	_, err = c.Children(t.Context(), "2")
	assert.ErrorIs(t, err, confluence.ErrUnavailable, "nothing cached to fall back on")
}

// TestScopeOverCache walks a space share twice through a cache in front of
// the Cloud client: the second walk costs Confluence nothing.
func TestScopeOverCache(t *testing.T) {
	clock := newFakeClock()
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	client := flavours(t, s, ts, confluence.RetryConfig{})["cloud basic"]
	cache := confluence.NewCache(client, confluence.CacheConfig{Now: clock.Now})
	sc, err := confluence.NewScope(cache, confluence.ScopeConfig{SpaceKey: "ENG",
		ExcludeLabels: []string{"internal-only"}})
	require.NoError(t, err)

	s.ResetRequests()
	_, first := walk(t, sc, "1")
	n := len(s.Requests())
	assert.Positive(t, n)
	_, second := walk(t, sc, "1")
	assert.Equal(t, first, second)
	assert.Len(t, s.Requests(), n, "the second walk is served from the cache")

	// Restricting a page takes effect once the cached copy ages out.
	s.AddPage(confluencetest.Page{ID: "2", SpaceKey: "ENG", ParentID: "1", Title: "Guide",
		Restricted: true})
	clock.Advance(2 * time.Minute)
	_, err = sc.Page(t.Context(), "5")
	var w *confluence.WithheldError
	require.ErrorAs(t, err, &w)
	assert.Equal(t, "2", w.Because)
}

func TestCacheFetchTimeout(t *testing.T) {
	src := newCountingSource(&confluence.Page{ID: "1"})
	src.set(func(s *countingSource) { s.gate = make(chan struct{}) }) // never opens
	c := confluence.NewCache(src, confluence.CacheConfig{FetchTimeout: 10 * time.Millisecond})

	_, err := c.Page(t.Context(), "1")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a hung source does not hang callers")
}

func TestCacheConcurrentScopes(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	client := flavours(t, s, ts, confluence.RetryConfig{})["data center"]
	cache := confluence.NewCache(client, confluence.CacheConfig{MaxBytes: 4 << 10})
	sc, err := confluence.NewScope(cache, confluence.ScopeConfig{SpaceKey: "ENG",
		ExcludeLabels: []string{"internal-only"}})
	require.NoError(t, err)

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			seen, err := reachable(t.Context(), sc, "1")
			assert.NoError(t, err)
			assert.ElementsMatch(t, []string{"1", "2", "5", "6", "12"}, seen)
		})
	}
	wg.Wait()
}

// reachable lists the pages reachable from root through Children; unlike
// walk it may run outside the test goroutine.
func reachable(ctx context.Context, sc *confluence.Scope, root string) ([]string, error) {
	var seen []string
	queue := []string{root}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		seen = append(seen, id)
		kids, err := sc.Children(ctx, id)
		if err != nil {
			return nil, err
		}
		queue = append(queue, ids(kids)...)
	}
	return seen, nil
}

func TestCacheRemembersMisses(t *testing.T) {
	tests := []struct {
		name      string
		cfg       confluence.CacheConfig
		advance   time.Duration
		wantCalls int // source calls for "404" after two asks around advance
	}{
		{"within MissMaxAge", confluence.CacheConfig{}, 10 * time.Second, 1},
		{"past MissMaxAge", confluence.CacheConfig{}, 15 * time.Second, 2},
		{"custom MissMaxAge", confluence.CacheConfig{MissMaxAge: time.Second},
			2 * time.Second, 2},
		{"capped at MaxAge", confluence.CacheConfig{MaxAge: 5 * time.Second,
			MissMaxAge: time.Hour}, 6 * time.Second, 2},
		{"turned off", confluence.CacheConfig{MissMaxAge: -1}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			src := newCountingSource()
			tt.cfg.Now = clock.Now
			c := confluence.NewCache(src, tt.cfg)
			_, err := c.Page(t.Context(), "404")
			require.ErrorIs(t, err, confluence.ErrNotFound)
			clock.Advance(tt.advance)
			_, err = c.Page(t.Context(), "404")
			assert.ErrorIs(t, err, confluence.ErrNotFound)
			assert.Equal(t, tt.wantCalls, src.count("page 404"))
		})
	}
}

func TestCacheMissesAreBounded(t *testing.T) {
	src := newCountingSource(&confluence.Page{ID: "1", Version: 1})
	c := confluence.NewCache(src, confluence.CacheConfig{MaxMisses: 2, Now: newFakeClock().Now})
	_, err := c.Page(t.Context(), "1")
	require.NoError(t, err)
	for _, id := range []string{"a", "b", "c"} {
		_, err := c.Page(t.Context(), id)
		require.ErrorIs(t, err, confluence.ErrNotFound)
	}

	// "a" was the oldest miss and was forgotten; "c" is remembered; the
	// page itself was never pushed out by misses.
	_, _ = c.Page(t.Context(), "a")
	_, _ = c.Page(t.Context(), "c")
	_, err = c.Page(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, 2, src.count("page a"))
	assert.Equal(t, 1, src.count("page c"))
	assert.Equal(t, 1, src.count("page 1"))
}

func TestCacheForgetsMissWhenPageAppears(t *testing.T) {
	clock := newFakeClock()
	src := newCountingSource()
	c := confluence.NewCache(src, confluence.CacheConfig{Now: clock.Now,
		MissMaxAge: 30 * time.Second})
	_, err := c.Page(t.Context(), "7")
	require.ErrorIs(t, err, confluence.ErrNotFound)

	src.set(func(s *countingSource) { s.pages["7"] = &confluence.Page{ID: "7", Version: 1} })
	clock.Advance(31 * time.Second)
	p, err := c.Page(t.Context(), "7")
	require.NoError(t, err)
	assert.Equal(t, "7", p.ID)
}

// TestCacheShieldsConfluenceFromBogusIDs: an outsider with a
// session asks the share, again and again, for page IDs that do not
// exist (or that the account cannot see). The issue asks that outsiders'
// traffic not become Confluence's rate limit; defended means repeated
// misses for the same ID within MaxAge reach Confluence at most once.
func TestCacheShieldsConfluenceFromBogusIDs(t *testing.T) {
	s, ts := reviewModel(t)
	for name, c := range reviewClients(t, ts) {
		t.Run(name, func(t *testing.T) {
			clock := &reviewCacheClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			sc, err := confluence.NewScope(confluence.NewCache(c,
				confluence.CacheConfig{Now: clock.Now}), confluence.ScopeConfig{SpaceKey: "ENG"})
			require.NoError(t, err)
			s.ResetRequests()
			for range 20 {
				_, err := sc.Page(t.Context(), "987654")
				require.ErrorIs(t, err, confluence.ErrNotFound)
			}
			assert.LessOrEqual(t, len(s.Requests()), 1,
				"20 requests for one missing page reached Confluence %d times",
				len(s.Requests()))
		})
	}
}
