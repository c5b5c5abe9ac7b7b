package confluence_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/confluence"
	"github.com/secureshare/secureshare/confluence/confluencetest"
)

func TestRetry(t *testing.T) {
	clock := newFakeClock()
	inAMinute := clock.Now().Add(time.Minute)

	tests := []struct {
		name       string
		faults     []confluencetest.Fault
		wantSleeps []time.Duration
		wantErr    func(t *testing.T, err error)
		wantCalls  int
	}{
		{
			name: "429 with Retry-After seconds",
			faults: []confluencetest.Fault{{Status: http.StatusTooManyRequests,
				RetryAfter: "3"}},
			wantSleeps: []time.Duration{3 * time.Second},
			wantCalls:  2,
		},
		{
			name: "429 with Retry-After date",
			faults: []confluencetest.Fault{{Status: http.StatusTooManyRequests,
				RetryAfter: inAMinute.Add(-50 * time.Second).Format(http.TimeFormat)}},
			wantSleeps: []time.Duration{10 * time.Second},
			wantCalls:  2,
		},
		{
			name: "429 with X-RateLimit-Reset",
			faults: []confluencetest.Fault{{Status: http.StatusTooManyRequests,
				RateLimitReset: clock.Now().Add(7 * time.Second).Format(time.RFC3339)}},
			wantSleeps: []time.Duration{7 * time.Second},
			wantCalls:  2,
		},
		{
			name: "503 twice without hint backs off exponentially",
			faults: []confluencetest.Fault{{Status: http.StatusServiceUnavailable,
				Times: 2}},
			wantSleeps: []time.Duration{time.Second, 2 * time.Second},
			wantCalls:  3,
		},
		{
			name: "429 forever gives up after MaxAttempts",
			faults: []confluencetest.Fault{{Status: http.StatusTooManyRequests,
				RetryAfter: "1", Times: 10}},
			wantSleeps: []time.Duration{time.Second, time.Second, time.Second},
			wantCalls:  4,
			wantErr: func(t *testing.T, err error) {
				var rl *confluence.RateLimitedError
				require.ErrorAs(t, err, &rl)
				assert.Equal(t, time.Second, rl.RetryAfter)
				assert.Equal(t, 4, rl.Attempts)
			},
		},
		{
			name: "503 forever is unavailable",
			faults: []confluencetest.Fault{{Status: http.StatusServiceUnavailable,
				Times: 10}},
			wantSleeps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			wantCalls:  4,
			wantErr: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, confluence.ErrUnavailable)
			},
		},
		{
			name: "Retry-After beyond MaxDelay fails at once",
			faults: []confluencetest.Fault{{Status: http.StatusTooManyRequests,
				RetryAfter: "3600"}},
			wantCalls: 1,
			wantErr: func(t *testing.T, err error) {
				var rl *confluence.RateLimitedError
				require.ErrorAs(t, err, &rl)
				assert.Equal(t, time.Hour, rl.RetryAfter)
			},
		},
		{
			name:      "400 is not retried",
			faults:    []confluencetest.Fault{{Status: http.StatusBadRequest, Times: 10}},
			wantCalls: 1,
			wantErr: func(t *testing.T, err error) {
				var re *confluence.ResponseError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, http.StatusBadRequest, re.StatusCode)
			},
		},
		{
			name:      "403 is not retried",
			faults:    []confluencetest.Fault{{Status: http.StatusForbidden, Times: 10}},
			wantCalls: 1,
			wantErr: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, confluence.ErrUnauthorized)
			},
		},
		{
			name:      "500 is not retried",
			faults:    []confluencetest.Fault{{Status: http.StatusInternalServerError}},
			wantCalls: 1,
			wantErr: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, confluence.ErrUnavailable)
			},
		},
	}
	for _, tt := range tests {
		for _, flavour := range []string{"cloud basic", "data center"} {
			t.Run(tt.name+"/"+flavour, func(t *testing.T) {
				clock := newFakeClock()
				s := fakeSpace(t, confluencetest.Config{})
				ts := confluencetest.Start(t, s)
				retry := confluence.RetryConfig{
					BaseDelay: time.Second, MaxDelay: 10 * time.Minute / 10,
					Rand:  bytes.NewReader(make([]byte, 64)), // zero jitter
					Sleep: clock.Sleep,
				}
				c := flavourWithClock(t, s, ts, flavour, retry, clock.Now)
				s.ResetRequests()
				for _, f := range tt.faults {
					f.PathContains = "/space"
					s.Inject(f)
				}

				_, err := c.Space(t.Context(), "ENG")
				if tt.wantErr != nil {
					require.Error(t, err)
					tt.wantErr(t, err)
				} else {
					require.NoError(t, err)
				}
				assert.Equal(t, tt.wantSleeps, clock.Sleeps())
				assert.Len(t, s.Requests(), tt.wantCalls)
			})
		}
	}
}

func TestRetryJitter(t *testing.T) {
	clock := newFakeClock()
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	// 0xff.. bytes take the largest jitter: almost half of each delay.
	retry := confluence.RetryConfig{BaseDelay: time.Second,
		Rand: bytes.NewReader(bytes.Repeat([]byte{0xff}, 64)), Sleep: clock.Sleep}
	c := flavourWithClock(t, s, ts, "cloud basic", retry, clock.Now)
	s.Inject(confluencetest.Fault{Status: http.StatusServiceUnavailable, Times: 3})

	_, err := c.Space(t.Context(), "ENG")
	require.NoError(t, err)
	sleeps := clock.Sleeps()
	require.Len(t, sleeps, 3)
	for i, d := range sleeps {
		full := time.Second << i
		assert.GreaterOrEqual(t, d, full/2, "attempt %d", i+1)
		assert.Less(t, d, full, "attempt %d has jitter", i+1)
	}
}

func TestRetryStopsAtContextDeadline(t *testing.T) {
	clock := newFakeClock()
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	retry := confluence.RetryConfig{Sleep: clock.Sleep}
	// Context deadlines are on the system clock, so this client uses it too;
	// only its sleeping is faked.
	c := flavourWithClock(t, s, ts, "cloud basic", retry, nil)
	s.ResetRequests()
	s.Inject(confluencetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "20"})

	// The deadline is sooner than the wait asked for.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := c.Space(ctx, "ENG")
	var rl *confluence.RateLimitedError
	require.ErrorAs(t, err, &rl)
	assert.Empty(t, clock.Sleeps(), "no point in waiting past the deadline")
	assert.Len(t, s.Requests(), 1)
}

func TestRetryCancelledWhileWaiting(t *testing.T) {
	s := fakeSpace(t, confluencetest.Config{})
	ts := confluencetest.Start(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	retry := confluence.RetryConfig{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while we wait
		<-ctx.Done()
		return ctx.Err()
	}}
	c := flavourWithClock(t, s, ts, "data center", retry, nil)
	s.Inject(confluencetest.Fault{Status: http.StatusServiceUnavailable})

	_, err := c.Space(ctx, "ENG")
	assert.ErrorIs(t, err, context.Canceled)
}

func flavourWithClock(t *testing.T, s *confluencetest.Server, ts *httptest.Server,
	flavour string, retry confluence.RetryConfig, now func() time.Time) client {
	t.Helper()
	if flavour == "data center" {
		c, err := confluence.NewDataCenter(t.Context(), confluence.DataCenterConfig{
			BaseURL: ts.URL, Token: confluencetest.DefaultPAT, HTTPClient: ts.Client(),
			Retry: retry, Now: now})
		require.NoError(t, err)
		return c
	}
	c, err := confluence.NewCloud(confluence.CloudConfig{BaseURL: ts.URL,
		Email: confluencetest.DefaultEmail, APIToken: confluencetest.DefaultAPIToken,
		HTTPClient: ts.Client(), Retry: retry, Now: now})
	require.NoError(t, err)
	return c
}

// TestRetryAfterTooLong: 429 and 503 asking for an absurd wait. The
// documented behaviour: "When Confluence asks for a longer one the call
// fails at once with a *RateLimitedError (or the 503) rather than hold
// the caller." So one request, no wait.
func TestRetryAfterTooLong(t *testing.T) {
	for _, tt := range []struct {
		status          int
		retryAfter      string
		rateLimitReset  string
		wantRetryAfterS int64 // minimum RetryAfter reported, for 429
	}{
		{429, "999999", "", 999999},
		{429, "86401", "", 86401},
		{429, "99999999999999999999", "", 0},
		{429, "Fri, 31 Dec 9999 23:59:59 GMT", "", 999999},
		{429, "", "9999-12-31T23:59:59Z", 999999},
		{429, "", "99999999999", 999999},
		{503, "999999", "", 0},
	} {
		name := fmt.Sprintf("%d %q %q", tt.status, tt.retryAfter, tt.rateLimitReset)
		t.Run(name, func(t *testing.T) {
			ts, n := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.rateLimitReset != "" {
					w.Header().Set("X-RateLimit-Reset", tt.rateLimitReset)
				}
				w.WriteHeader(tt.status)
			})
			sl := &reviewSleeper{}
			for name, c := range reviewAllClients(t, ts, reviewClientOpts{
				retry: confluence.RetryConfig{Sleep: sl.Sleep}}) {
				n.Store(0)
				_, err := c.Space(t.Context(), "ENG")
				require.Error(t, err)
				assert.Equal(t, int64(1), n.Load(), "%s retried although Confluence asked "+
					"for a wait longer than MaxDelay", name)
				var rl *confluence.RateLimitedError
				if tt.status == 429 && assert.ErrorAs(t, err, &rl, name) {
					assert.GreaterOrEqual(t, rl.RetryAfter, time.Duration(tt.wantRetryAfterS)*
						time.Second, "%s reports RetryAfter %v", name, rl.RetryAfter)
				}
			}
			assert.Empty(t, sl.sleeps, "waited")
		})
	}
}

// TestRetryNeverOutlivesContext: a Retry-After within MaxDelay but
// beyond the caller's deadline must fail at once, not sleep.
func TestRetryNeverOutlivesContext(t *testing.T) {
	ts, n := reviewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	for name, c := range reviewAllClients(t, ts, reviewClientOpts{}) {
		n.Store(0)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		start := time.Now()
		_, err := c.Space(ctx, "ENG")
		cancel()
		assert.Error(t, err, name)
		assert.Less(t, time.Since(start), 2*time.Second, name)
		assert.Equal(t, int64(1), n.Load(), name)
	}
}
