package idp

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"
)

const (
	// DefaultRefreshInterval is how long metadata is used before it is
	// fetched again when it carries no cacheDuration.
	DefaultRefreshInterval = 24 * time.Hour
	// DefaultMinRefreshInterval is the shortest interval between scheduled
	// fetches, whatever cacheDuration or validUntil say.
	DefaultMinRefreshInterval = 5 * time.Minute
	// DefaultRetryInterval is how soon a failed fetch is retried.
	DefaultRetryInterval = 10 * time.Minute
)

// RefresherConfig configures a [Refresher].
type RefresherConfig struct {
	// Fetcher fetches the metadata. Required.
	Fetcher *Fetcher
	// Initial is a copy to start from, such as the one kept in storage
	// ([StoredConfig.ParsedMetadata]): [Refresher.Metadata] serves it until
	// a fetch succeeds, the first fetch is conditional on its ETag and
	// LastModified, and it pins the entity ID when the Fetcher does not.
	// Nil starts with nothing.
	Initial *Metadata
	// Interval is how long a copy is used when the metadata has no
	// cacheDuration; zero means [DefaultRefreshInterval]. A shorter
	// cacheDuration wins.
	Interval time.Duration
	// MinInterval floors every scheduled wait; zero means
	// [DefaultMinRefreshInterval].
	MinInterval time.Duration
	// RetryInterval is the wait after a failed fetch; zero means
	// [DefaultRetryInterval].
	RetryInterval time.Duration
	// Spread shortens each scheduled wait (not retries) by a random part
	// of it, up to this fraction (at most 0.5), so that instances started
	// together do not fetch together. Zero keeps waits exact.
	Spread float64
	// Rand is the randomness of Spread; nil means crypto/rand.Reader.
	Rand io.Reader
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After returns a channel that receives after d, like time.After; nil
	// means time.After. Tests inject a fake to control [Refresher.Run].
	After func(d time.Duration) <-chan time.Time
	// Logger receives a warning for each failed fetch and a note when the
	// signing certificates change; nil logs nothing. Failures are also
	// always available from [Refresher.Status].
	Logger *slog.Logger
}

// Refresher keeps an IdP's metadata current: it re-fetches before
// validUntil and after cacheDuration (SAML 2.0 Metadata, section 2.3.1),
// keeps the last good copy when a fetch fails, and reports the failure, so
// that a rolled-over signing certificate is picked up without an
// administrator. It is safe for concurrent use.
//
// The Refresher is pinned to one entity: its Fetcher's
// [MetadataOptions.EntityID] when set, else the entity ID of the first
// successful fetch. A later document for another entity ID is refused with
// an *[EntityChangedError] and the last good copy is kept, so that a
// re-pointed URL or a shared host serving another tenant cannot silently
// swap the keys sign-ins are checked against.
//
// Call [Refresher.Refresh] once at start-up, then run [Refresher.Run] in a
// goroutine. Readers call [Refresher.Metadata] before each use, which fails
// closed once the last good copy has expired.
type Refresher struct {
	cfg RefresherConfig

	fetchMu  sync.Mutex // serialises Refresh
	entityID string     // the pinned entity ID; guarded by fetchMu
	mu       sync.Mutex // guards status
	status   RefreshStatus
}

// RefreshStatus is the state of a [Refresher], for an admin page.
type RefreshStatus struct {
	// Metadata is the last good copy; nil before the first success.
	Metadata *Metadata
	// LastAttempt and LastSuccess are when the last fetch was tried and
	// when one last succeeded; zero when none.
	LastAttempt time.Time
	LastSuccess time.Time
	// LastError is the error of the last fetch, nil when it succeeded.
	LastError error
	// NextRefresh is when [Refresher.Run] will fetch next.
	NextRefresh time.Time
}

// NewRefresher checks cfg and returns a Refresher holding cfg.Initial, or
// no metadata yet.
func NewRefresher(cfg RefresherConfig) (*Refresher, error) {
	if cfg.Fetcher == nil {
		return nil, errors.New("idp: refresher needs a Fetcher")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultRefreshInterval
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = DefaultMinRefreshInterval
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = DefaultRetryInterval
	}
	if cfg.Spread < 0 || cfg.Spread > 0.5 || math.IsNaN(cfg.Spread) {
		return nil, fmt.Errorf("idp: refresher's Spread %v is not between 0 and 0.5", cfg.Spread)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Refresher{cfg: cfg, entityID: cfg.Fetcher.cfg.Metadata.EntityID}
	if md := cfg.Initial; md != nil {
		if md.IDP == nil {
			return nil, errors.New("idp: refresher's Initial metadata has no IdP")
		}
		if r.entityID != "" && md.IDP.EntityID != r.entityID {
			return nil, &EntityChangedError{URL: cfg.Fetcher.URL(), Want: r.entityID,
				Got: md.IDP.EntityID}
		}
		r.entityID = md.IDP.EntityID
		r.status.Metadata = md
		r.status.LastSuccess = md.FetchedAt
	}
	return r, nil
}

// Refresh fetches the metadata now. On success the new copy replaces the
// old one; on failure the last good copy is kept, the error is recorded in
// [Refresher.Status] and returned. A document for another entity than the
// pinned one is a failure, an *[EntityChangedError].
func (r *Refresher) Refresh(ctx context.Context) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	r.mu.Lock()
	prev := r.status.Metadata
	r.mu.Unlock()

	md, err := r.cfg.Fetcher.Fetch(ctx, prev)
	if err == nil && r.entityID != "" && md.IDP.EntityID != r.entityID {
		md, err = nil, &EntityChangedError{URL: r.cfg.Fetcher.URL(), Want: r.entityID,
			Got: md.IDP.EntityID}
	}
	if err == nil {
		r.entityID = md.IDP.EntityID
	}
	now := r.cfg.Now()

	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.LastAttempt = now
	r.status.LastError = err
	url := r.cfg.Fetcher.URL()
	if err != nil {
		r.status.NextRefresh = now.Add(r.retryWait(now))
		r.cfg.Logger.WarnContext(ctx, "idp: metadata refresh failed; keeping the last good copy",
			"url", url, "error", err, "last_success", r.status.LastSuccess,
			"retry_at", r.status.NextRefresh)
		return err
	}
	if prev != nil && !sameCertificates(prev.IDP.SigningCertificates, md.IDP.SigningCertificates) {
		r.cfg.Logger.InfoContext(ctx, "idp: metadata signing certificates changed", "url", url,
			"entity_id", md.IDP.EntityID, "before", len(prev.IDP.SigningCertificates),
			"after", len(md.IDP.SigningCertificates))
	}
	r.status.Metadata = md
	r.status.LastSuccess = now
	r.status.NextRefresh = now.Add(r.spread(r.wait(md, now)))
	return nil
}

// spread shortens d by a random part of up to Spread of it, never below
// MinInterval.
func (r *Refresher) spread(d time.Duration) time.Duration {
	if r.cfg.Spread == 0 || d <= r.cfg.MinInterval {
		return d
	}
	cut := time.Duration(r.fraction() * r.cfg.Spread * float64(d))
	return max(d-cut, r.cfg.MinInterval)
}

// fraction is a random number in [0, 1) from cfg.Rand; 0 when it fails.
func (r *Refresher) fraction() float64 {
	src := r.cfg.Rand
	if src == nil {
		src = rand.Reader
	}
	var b [8]byte
	if _, err := io.ReadFull(src, b[:]); err != nil {
		return 0
	}
	return float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
}

// Run refreshes at [RefreshStatus.NextRefresh] until ctx is done, then
// returns ctx.Err(). It fetches at once if nothing was fetched yet. Failures
// are recorded in [Refresher.Status] and retried after RetryInterval.
func (r *Refresher) Run(ctx context.Context) error {
	for {
		r.mu.Lock()
		next, fetched := r.status.NextRefresh, !r.status.LastAttempt.IsZero()
		r.mu.Unlock()

		if fetched {
			d := next.Sub(r.cfg.Now())
			if d > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-r.cfg.After(d):
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = r.Refresh(ctx) // recorded in status
	}
}

// Metadata returns the last good copy. Before the first success it returns
// the last fetch error, or [ErrNoMetadata]; once the copy's validUntil has
// passed it returns a *[MetadataExpiredError], so that sign-ins fail closed
// rather than trust keys the IdP may have retired.
func (r *Refresher) Metadata() (*Metadata, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	md := r.status.Metadata
	if md == nil {
		if r.status.LastError != nil {
			return nil, r.status.LastError
		}
		return nil, ErrNoMetadata
	}
	now := r.cfg.Now()
	if md.Expired(now) {
		return nil, &MetadataExpiredError{EntityID: md.IDP.EntityID,
			ValidUntil: md.IDP.ValidUntil, Now: now}
	}
	return md, nil
}

// Status returns a snapshot of the refresher's state.
func (r *Refresher) Status() RefreshStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// wait is how long to use md fetched at now: the interval (or a shorter
// cacheDuration), but leaving half the time to validUntil so that a
// failure can be retried before the copy expires; never below MinInterval.
func (r *Refresher) wait(md *Metadata, now time.Time) time.Duration {
	d := r.cfg.Interval
	if cd := md.IDP.CacheDuration; cd > 0 && cd < d {
		d = cd
	}
	if vu := md.IDP.ValidUntil; !vu.IsZero() {
		if half := vu.Sub(now) / 2; half < d {
			d = half
		}
	}
	return max(d, r.cfg.MinInterval)
}

// retryWait is the wait after a failure: RetryInterval, but no later than
// the normal schedule of the copy in hand.
func (r *Refresher) retryWait(now time.Time) time.Duration {
	d := r.cfg.RetryInterval
	if md := r.status.Metadata; md != nil {
		if w := r.status.LastSuccess.Add(r.wait(md, r.status.LastSuccess)).Sub(now); w > 0 &&
			w < d {
			d = w
		}
	}
	return max(d, time.Second)
}

// sameCertificates reports whether a and b hold the same certificates in
// the same order.
func sameCertificates(a, b []*x509.Certificate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
