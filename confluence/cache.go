package confluence

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

const (
	defaultCacheBytes   = 64 << 20
	defaultMaxAge       = time.Minute
	defaultMaxStale     = time.Hour
	defaultFetchTimeout = 30 * time.Second
	defaultMissMaxAge   = 15 * time.Second
	defaultFailPause    = 5 * time.Second
	maxFailPause        = 5 * time.Minute
	defaultMaxMisses    = 10000
	entryOverhead       = 256
)

// CacheConfig configures a [Cache]. The zero value is a usable default.
type CacheConfig struct {
	// MaxBytes bounds the approximate memory held by cached pages, child
	// lists and spaces; the least recently used go first. Zero means
	// 64 MiB.
	MaxBytes int64

	// MaxAge is how long a cached answer is served without asking the
	// source again. Zero means one minute. Restrictions and labels change
	// without a new page version, so keep it short.
	MaxAge time.Duration

	// MaxStale is how long after it was fetched a copy may still be served,
	// marked stale, while the source fails. Zero means one hour. A page
	// restricted or labelled for exclusion in Confluence while fetching it
	// fails is served, stale, until then: shorten it if that matters more
	// than riding out an outage.
	MaxStale time.Duration

	// FetchTimeout bounds one fetch shared by concurrent callers, which
	// runs on after the caller that started it gives up. Zero means 30s.
	FetchTimeout time.Duration

	// MissMaxAge is how long an answer of not found or unauthorized is
	// remembered, so that outsiders asking again and again for IDs that do
	// not exist (or that the account may not see) do not each cost a call
	// to Confluence. Zero means 15 seconds, and it never exceeds MaxAge; a
	// negative value turns remembering misses off. A page restored or
	// unrestricted in Confluence may answer not found for this long.
	MissMaxAge time.Duration

	// MaxMisses bounds the misses remembered, separately from MaxBytes so
	// that bogus IDs cannot push real pages out; the oldest go first.
	// Zero means 10000.
	MaxMisses int

	// FailPause is how long the source is left alone after it failed (an
	// error other than not found or unauthorized, or no answer within
	// FetchTimeout): meanwhile every request gets the last good copy at
	// once, marked stale, or the failure itself when there is none, instead
	// of waiting for another fetch and its retries. A rate-limit answer's
	// RetryAfter lengthens the pause, up to five minutes. Zero means five
	// seconds; a negative value turns pausing off.
	FailPause time.Duration

	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Cache is a [Source] that keeps recent answers of another Source, so that
// outsiders' traffic does not become Confluence's rate limit.
//
// Pages are kept by ID with their version, child lists by parent ID and
// spaces by key, for MaxAge. Concurrent misses for the same key share one
// fetch. Answers of not found and unauthorized are remembered too, for
// MissMaxAge and up to MaxMisses of them, so that bogus IDs do not become
// calls to Confluence. When the source fails with anything but not found or
// unauthorized, the last good copy younger than MaxStale is served; a page
// served this way has Stale set. After a failure that is an outage
// ([ErrUnavailable], a rate limit, a timeout; not [ErrBadAnswer], which
// concerns one answer) the source is left alone for FailPause, during
// which copies are served stale at once and requests without one fail at
// once, so that an outage of Confluence does not make every outsider wait
// for retries. A not-found answer drops the cached copy
// at once, so that a page that was deleted or restricted stops being
// served.
//
// A hit returns the cached value itself, without copying: callers must not
// modify it. Cache is safe for concurrent use. Attachments are not cached.
type Cache struct {
	src Source
	cfg CacheConfig

	group singleflight.Group

	mu     sync.Mutex
	items  map[cacheKey]*cacheEntry
	lru    *list.List // of *cacheEntry, most recent first
	bytes  int64
	misses map[cacheKey]*missEntry
	missQ  *list.List // of *missEntry, newest first

	// pausedUntil and pauseErr are the source's last failure while it is
	// left alone (see CacheConfig.FailPause); guarded by mu.
	pausedUntil time.Time
	pauseErr    error
	probing     bool // one request is asking the source after a pause
}

type cacheKind uint8

const (
	kindPage cacheKind = iota + 1
	kindSpace
	kindChildren
)

type cacheKey struct {
	kind cacheKind
	id   string
}

// missEntry remembers a not-found or unauthorized answer.
type missEntry struct {
	key  cacheKey
	err  error
	at   time.Time
	elem *list.Element
}

type cacheEntry struct {
	key     cacheKey
	val     any
	size    int64
	fetched time.Time
	elem    *list.Element
}

// NewCache returns a cache in front of src.
func NewCache(src Source, cfg CacheConfig) *Cache {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = defaultCacheBytes
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = defaultMaxAge
	}
	if cfg.MaxStale <= 0 {
		cfg.MaxStale = defaultMaxStale
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = defaultFetchTimeout
	}
	if cfg.MissMaxAge == 0 {
		cfg.MissMaxAge = defaultMissMaxAge
	}
	cfg.MissMaxAge = min(cfg.MissMaxAge, cfg.MaxAge)
	if cfg.MaxMisses <= 0 {
		cfg.MaxMisses = defaultMaxMisses
	}
	if cfg.FailPause == 0 {
		cfg.FailPause = defaultFailPause
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cache{src: src, cfg: cfg, items: map[cacheKey]*cacheEntry{}, lru: list.New(),
		misses: map[cacheKey]*missEntry{}, missQ: list.New()}
}

// Page returns the page from the cache or the source.
func (c *Cache) Page(ctx context.Context, id string) (*Page, error) {
	if v, ok := c.fresh(cacheKey{kindPage, id}); ok {
		return v.(*Page), nil
	}
	if err := c.missed(cacheKey{kindPage, id}); err != nil {
		return nil, err
	}
	v, stale, err := c.load(ctx, cacheKey{kindPage, id},
		func(ctx context.Context) (any, int64, error) {
			p, err := c.src.Page(ctx, id)
			if err != nil {
				return nil, 0, err
			}
			return p, pageSize(p), nil
		})
	if err != nil {
		return nil, err
	}
	p := v.(*Page)
	if stale {
		cp := *p
		cp.Stale = true
		return &cp, nil
	}
	return p, nil
}

// Space returns the space from the cache or the source.
func (c *Cache) Space(ctx context.Context, key string) (*Space, error) {
	if v, ok := c.fresh(cacheKey{kindSpace, key}); ok {
		return v.(*Space), nil
	}
	if err := c.missed(cacheKey{kindSpace, key}); err != nil {
		return nil, err
	}
	v, _, err := c.load(ctx, cacheKey{kindSpace, key}, func(ctx context.Context) (any, int64, error) {
		s, err := c.src.Space(ctx, key)
		if err != nil {
			return nil, 0, err
		}
		return s, entryOverhead + int64(len(s.Name)), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Space), nil
}

// Children returns the child list from the cache or the source.
func (c *Cache) Children(ctx context.Context, pageID string) ([]PageRef, error) {
	if v, ok := c.fresh(cacheKey{kindChildren, pageID}); ok {
		return v.([]PageRef), nil
	}
	if err := c.missed(cacheKey{kindChildren, pageID}); err != nil {
		return nil, err
	}
	v, _, err := c.load(ctx, cacheKey{kindChildren, pageID},
		func(ctx context.Context) (any, int64, error) {
			refs, err := c.src.Children(ctx, pageID)
			if err != nil {
				return nil, 0, err
			}
			size := int64(entryOverhead)
			for _, r := range refs {
				size += 64 + int64(len(r.ID)+len(r.Title))
			}
			return refs, size, nil
		})
	if err != nil {
		return nil, err
	}
	return v.([]PageRef), nil
}

// fresh returns the cached value for key if it is younger than MaxAge.
func (c *Cache) fresh(key cacheKey) (any, bool) {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok || now.Sub(e.fetched) >= c.cfg.MaxAge {
		return nil, false
	}
	c.lru.MoveToFront(e.elem)
	return e.val, true
}

// missed returns the remembered miss for key if it is younger than
// MissMaxAge, else nil.
func (c *Cache) missed(key cacheKey) error {
	if c.cfg.MissMaxAge < 0 {
		return nil
	}
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.misses[key]
	if !ok {
		return nil
	}
	if now.Sub(m.at) >= c.cfg.MissMaxAge {
		c.forget(m)
		return nil
	}
	return m.err
}

// remember keeps a miss for key, dropping the oldest beyond MaxMisses.
func (c *Cache) remember(key cacheKey, err error) {
	if c.cfg.MissMaxAge < 0 {
		return
	}
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.misses[key]; ok {
		c.forget(old)
	}
	m := &missEntry{key: key, err: err, at: now}
	m.elem = c.missQ.PushFront(m)
	c.misses[key] = m
	for c.missQ.Len() > c.cfg.MaxMisses {
		c.forget(c.missQ.Back().Value.(*missEntry))
	}
}

// forget drops a remembered miss; c.mu must be held.
func (c *Cache) forget(m *missEntry) {
	c.missQ.Remove(m.elem)
	delete(c.misses, m.key)
}

// load fetches key once for all concurrent callers, falling back to a
// stale copy when the fetch fails or the source is paused after a failure.
func (c *Cache) load(ctx context.Context, key cacheKey,
	fetch func(context.Context) (any, int64, error)) (any, bool, error) {
	probe, err := c.paused()
	if err != nil {
		return c.fallback(key, err)
	}
	ch := c.group.DoChan(string(rune(key.kind))+key.id, func() (any, error) {
		// A fetch that finished between our miss and this call has
		// filled the cache already.
		if v, ok := c.fresh(key); ok {
			return v, nil
		}
		if err := c.missed(key); err != nil {
			return nil, err
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.FetchTimeout)
		defer cancel()
		v, size, err := fetch(fctx)
		switch {
		case errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized):
			c.remember(key, err)
		case outage(err):
			c.pause(err)
		}
		if err != nil {
			return nil, err
		}
		c.store(key, v, size)
		return v, nil
	})

	var res singleflight.Result
	select {
	case <-ctx.Done():
		if probe {
			c.endProbe(ctx.Err())
		}
		return nil, false, ctx.Err()
	case res = <-ch:
	}
	if probe {
		c.endProbe(res.Err)
	}
	if res.Err == nil {
		return res.Val, false, nil
	}
	return c.fallback(key, res.Err)
}

// outage reports whether err says Confluence as a whole cannot be used
// for now (a server error, a failed or timed-out connection, a rate
// limit), which pauses the source. Any other failure (an unusable answer
// for one page, say) concerns only what was asked for.
func outage(err error) bool {
	var rl *RateLimitedError
	return errors.Is(err, ErrUnavailable) || errors.As(err, &rl) ||
		errors.Is(err, context.DeadlineExceeded)
}

// paused returns the source's last failure while it is left alone. When
// a pause is over, one caller at a time gets probe set and asks the
// source; the others keep getting the failure (and so the stale copies)
// until that probe has its answer, so that nobody waits behind it.
func (c *Cache) paused() (probe bool, err error) {
	if c.cfg.FailPause < 0 {
		return false, nil
	}
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.pauseErr == nil:
		return false, nil
	case now.Before(c.pausedUntil) || c.probing:
		return false, c.pauseErr
	}
	c.probing = true
	return true, nil
}

// endProbe ends a probe with its result: an answer from the source (a
// value, not found or unauthorized) ends the pause; a failure has paused
// the source again already; a probe given up by its caller lets the next
// caller probe.
func (c *Cache) endProbe(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.probing = false
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) {
		c.pauseErr = nil
	}
}

// pause leaves the source alone for FailPause, or as long as a rate-limit
// answer asked (at most maxFailPause), after it failed with err.
func (c *Cache) pause(err error) {
	if c.cfg.FailPause < 0 {
		return
	}
	d := c.cfg.FailPause
	var rl *RateLimitedError
	if errors.As(err, &rl) && rl.RetryAfter > d {
		d = min(rl.RetryAfter, maxFailPause)
	}
	until := c.cfg.Now().Add(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
	c.pauseErr = err
}

// fallback decides what a failed fetch means for the cached copy.
func (c *Cache) fallback(key cacheKey, err error) (any, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return nil, false, err
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) {
		c.remove(e)
		return nil, false, err
	}
	if c.cfg.Now().Sub(e.fetched) >= c.cfg.MaxStale {
		return nil, false, err
	}
	return e.val, true, nil
}

// store keeps v under key and evicts the least recently used entries
// beyond MaxBytes. A value larger than MaxBytes is not kept.
func (c *Cache) store(key cacheKey, v any, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.items[key]; ok {
		c.remove(old)
	}
	if m, ok := c.misses[key]; ok {
		c.forget(m)
	}
	if size > c.cfg.MaxBytes {
		return
	}

	e := &cacheEntry{key: key, val: v, size: size, fetched: c.cfg.Now()}
	e.elem = c.lru.PushFront(e)
	c.items[key] = e
	c.bytes += size
	for c.bytes > c.cfg.MaxBytes {
		c.remove(c.lru.Back().Value.(*cacheEntry))
	}
}

// remove drops e; c.mu must be held.
func (c *Cache) remove(e *cacheEntry) {
	c.lru.Remove(e.elem)
	delete(c.items, e.key)
	c.bytes -= e.size
}

// pageSize approximates the memory a page holds.
func pageSize(p *Page) int64 {
	n := entryOverhead + len(p.ID) + len(p.Title) + len(p.SpaceKey) + len(p.Body)
	for _, a := range p.Ancestors {
		n += 48 + len(a.ID) + len(a.Title)
	}
	for _, l := range p.Labels {
		n += 16 + len(l)
	}
	return int64(n)
}
