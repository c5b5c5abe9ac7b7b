package confluence

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	defaultMaxAttempts = 4
	defaultBaseDelay   = 500 * time.Millisecond
	defaultMaxDelay    = 30 * time.Second

	// maxHint stands for a requested wait too long to represent.
	maxHint = time.Duration(1<<63 - 1)
	// maxUnixSeconds is the last Unix time time.Unix handles sensibly
	// (year 9999).
	maxUnixSeconds = 253402300799
)

// errWaitTooLong means the wait Confluence asked for is longer than the
// policy or the context allows, so retrying is pointless.
var errWaitTooLong = errors.New("confluence: requested wait too long")

// RetryConfig says how a client retries answers 429 Too Many Requests and
// 503 Service Unavailable. Other answers, including every other 4xx, are
// never retried. The zero value is a safe default.
type RetryConfig struct {
	// MaxAttempts bounds the requests made for one call, the first
	// included. Zero means 4; 1 turns retrying off.
	MaxAttempts int

	// BaseDelay is the first backoff when Confluence gives no Retry-After
	// or X-RateLimit-Reset. It doubles with each attempt, and a random
	// jitter of up to half of it is taken off. Zero means 500ms.
	BaseDelay time.Duration

	// MaxDelay caps one wait. When Confluence asks for a longer one
	// (however long: a Retry-After of days, or a number too large to
	// represent, counts as very long, never as absent) the call fails at
	// once with a *RateLimitedError whose RetryAfter is the advertised
	// wait (or with the 503) rather than hold the caller. Zero means 30s.
	MaxDelay time.Duration

	// Rand is the source of jitter. Nil means crypto/rand.
	Rand io.Reader

	// Sleep waits for d or until ctx is done, returning ctx.Err() in the
	// latter case. Nil means a real timer; tests pass a fake.
	Sleep func(ctx context.Context, d time.Duration) error
}

// retryPolicy is a RetryConfig with its defaults applied.
type retryPolicy struct {
	maxAttempts int
	base, max   time.Duration
	rand        io.Reader
	sleep       func(ctx context.Context, d time.Duration) error
	now         func() time.Time
}

// newRetryPolicy applies the defaults of c.
func newRetryPolicy(c RetryConfig, now func() time.Time) retryPolicy {
	p := retryPolicy{maxAttempts: c.MaxAttempts, base: c.BaseDelay, max: c.MaxDelay,
		rand: c.Rand, sleep: c.Sleep, now: now}
	if p.maxAttempts <= 0 {
		p.maxAttempts = defaultMaxAttempts
	}
	if p.base <= 0 {
		p.base = defaultBaseDelay
	}
	if p.max <= 0 {
		p.max = defaultMaxDelay
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	if p.sleep == nil {
		p.sleep = sleepContext
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p
}

// wait sleeps before attempt+1: hint when Confluence gave one, else the
// jittered backoff. It returns errWaitTooLong when the wait would exceed
// the policy's cap or the context's deadline.
func (p retryPolicy) wait(ctx context.Context, attempt int, hint time.Duration) error {
	d := hint
	if d <= 0 {
		d = p.backoff(attempt)
	}
	if d > p.max {
		return errWaitTooLong
	}
	if deadline, ok := ctx.Deadline(); ok && p.now().Add(d).After(deadline) {
		return errWaitTooLong
	}
	return p.sleep(ctx, d)
}

// backoff returns base·2^(attempt-1), capped at max, less a random jitter
// of up to half of it.
func (p retryPolicy) backoff(attempt int) time.Duration {
	d := p.base
	for i := 1; i < attempt && d < p.max; i++ {
		d *= 2
	}
	d = min(d, p.max)

	var b [8]byte
	if _, err := io.ReadFull(p.rand, b[:]); err != nil {
		return d
	}
	half := int64(d / 2)
	if half <= 0 {
		return d
	}
	jitter := int64(binary.BigEndian.Uint64(b[:]) % uint64(half+1))
	return d - time.Duration(jitter)
}

// hint reads how long Confluence asked us to wait: Retry-After in seconds
// or as an HTTP date, else X-RateLimit-Reset as an ISO 8601 time or Unix
// seconds. It returns 0 when neither header is usable.
func (p retryPolicy) hint(h http.Header) time.Duration {
	if d, ok := parseRetryAfter(h.Get("Retry-After"), p.now()); ok {
		return d
	}
	if d, ok := parseRateLimitReset(h.Get("X-RateLimit-Reset"), p.now()); ok {
		return d
	}
	return 0
}

// parseRetryAfter parses a Retry-After value (RFC 9110 section 10.2.3).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if d, ok := parseSeconds(v); ok {
		return d, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// parseRateLimitReset parses Atlassian's X-RateLimit-Reset, an ISO 8601
// timestamp, or Unix seconds as other gateways send.
func parseRateLimitReset(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > maxUnixSeconds {
			return maxHint, true // so far ahead it overflows: wait "forever"
		}
		if secs == 0 {
			return 0, false
		}
		return max(time.Unix(secs, 0).Sub(now), 0), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	return 0, false
}

// parseSeconds parses a delay in decimal seconds. A number too large for
// a time.Duration, however many digits it has, is read as the longest
// wait there is, so that it is refused as too long rather than ignored.
func parseSeconds(v string) (time.Duration, bool) {
	if !isDigits(v) {
		return 0, false
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs > int64(maxHint/time.Second) {
		return maxHint, true
	}
	return time.Duration(secs) * time.Second, true
}

// isDigits reports whether v is a non-empty run of ASCII digits.
func isDigits(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
