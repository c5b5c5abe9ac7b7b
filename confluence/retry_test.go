package confluence_test

import (
	"bytes"
	"context"
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
