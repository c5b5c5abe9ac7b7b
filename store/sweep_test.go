package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// testClock is a settable clock for the store's Config.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var epoch = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// countRows returns the number of rows in table.
func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	require.NoError(t, s.db.queryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n))
	return n
}

// fillExpiring stores, in each swept table, one row that expires after a
// minute and one after an hour, and a link that expires after a minute.
func fillExpiring(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for i, d := range []time.Duration{time.Minute, time.Hour} {
		name := string(rune('a' + i))
		_, err := s.ClaimAssertion(ctx, "_"+name, now.Add(d))
		require.NoError(t, err)
		require.NoError(t, s.SaveAuthnRequest(ctx, share.AuthnRequestState{
			ID: "_req" + name, Created: now, Expires: now.Add(d)}))
		require.NoError(t, s.CreateSession(ctx, share.Session{
			IDHash: share.Digest{byte(i + 1)}, Created: now, LastSeen: now, Expires: now.Add(d)}))
	}
	require.NoError(t, s.CreateLink(ctx, share.Link{ID: "l1", TokenHash: share.Digest{9},
		Space: "ENG", Scope: share.ScopeSpace, Created: now, Expires: now.Add(time.Minute)}))
}

func TestSweep(t *testing.T) {
	cases := []struct {
		name    string
		advance time.Duration
		swept   int64
		left    int
	}{
		{"nothing expired", time.Minute - time.Microsecond, 0, 2},
		{"at the first expiry", time.Minute, 3, 1},
		{"everything expired", 2 * time.Hour, 6, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &testClock{t: epoch}
			s := openTest(t, Config{DSN: "memory:", Now: clk.Now})
			defer s.Close()
			fillExpiring(t, s, epoch)

			clk.Advance(tc.advance)
			n, err := s.Sweep(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.swept, n)
			for _, table := range []string{"replay_cache", "authn_requests", "sessions"} {
				assert.Equal(t, tc.left, countRows(t, s, table), table)
			}
			assert.Equal(t, 1, countRows(t, s, "links"), "expired links are kept")
		})
	}
}

func TestSweepLoop(t *testing.T) {
	clk := &testClock{t: epoch}
	s := openTest(t, Config{DSN: "memory:", Now: clk.Now})
	defer s.Close()
	fillExpiring(t, s, epoch)

	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time)
	done := make(chan error, 1)
	go func() { done <- s.SweepLoop(ctx, ticks) }()

	// The loop receives the second tick only after the first sweep ends.
	clk.Advance(2 * time.Minute)
	ticks <- clk.Now()
	ticks <- clk.Now()
	assert.Equal(t, 1, countRows(t, s, "replay_cache"), "after the first sweeps")

	clk.Advance(2 * time.Hour)
	ticks <- clk.Now()
	ticks <- clk.Now()
	assert.Equal(t, 0, countRows(t, s, "replay_cache"), "after the later sweeps")

	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

func TestSweepLoopEnds(t *testing.T) {
	t.Run("ticks closed", func(t *testing.T) {
		s := openTest(t, Config{DSN: "memory:"})
		defer s.Close()
		ticks := make(chan time.Time)
		close(ticks)
		assert.NoError(t, s.SweepLoop(context.Background(), ticks))
	})

	t.Run("store closed", func(t *testing.T) {
		s := openTest(t, Config{DSN: "memory:"})
		require.NoError(t, s.Close())
		ticks := make(chan time.Time, 1)
		ticks <- epoch
		assert.ErrorIs(t, s.SweepLoop(context.Background(), ticks), ErrClosed)
	})
}

func TestClosedStore(t *testing.T) {
	s := openTest(t, Config{DSN: "memory:"})
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "second Close")
	ctx := context.Background()

	calls := map[string]func() error{
		"ClaimAssertion": func() error { _, err := s.ClaimAssertion(ctx, "_a", epoch); return err },
		"CreateLink":     func() error { return s.CreateLink(ctx, share.Link{ID: "l"}) },
		"UpdateLink":     func() error { return s.UpdateLink(ctx, share.Link{ID: "l"}) },
		"Link":           func() error { _, err := s.Link(ctx, "l"); return err },
		"LinkByToken":    func() error { _, err := s.LinkByToken(ctx, share.Digest{1}); return err },
		"ListLinks":      func() error { _, _, err := s.ListLinks(ctx, share.LinkQuery{}); return err },
		"SpaceSettings":  func() error { _, err := s.SpaceSettings(ctx, "X"); return err },
		"PutSpaceSettings": func() error {
			return s.PutSpaceSettings(ctx, share.Space{Key: "X"})
		},
		"CreateSession": func() error { return s.CreateSession(ctx, share.Session{}) },
		"Session":       func() error { _, err := s.Session(ctx, share.Digest{1}); return err },
		"TouchSession":  func() error { return s.TouchSession(ctx, share.Digest{1}, epoch) },
		"DeleteSession": func() error { return s.DeleteSession(ctx, share.Digest{1}) },
		"DeleteSessions": func() error {
			_, err := s.DeleteSessions(ctx, share.SessionMatch{IDP: "i", NameID: "n"})
			return err
		},
		"AppendAudit": func() error { return s.AppendAudit(ctx, share.AuditEvent{ID: "e"}) },
		"QueryAudit": func() error {
			_, _, err := s.QueryAudit(ctx, share.AuditFilter{})
			return err
		},
		"SaveAuthnRequest": func() error {
			return s.SaveAuthnRequest(ctx, share.AuthnRequestState{ID: "r"})
		},
		"ConsumeAuthnRequest": func() error {
			_, err := s.ConsumeAuthnRequest(ctx, "r", epoch)
			return err
		},
		"Sweep": func() error { _, err := s.Sweep(ctx); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, call(), ErrClosed)
		})
	}
}

func TestClaimAssertionEmptyID(t *testing.T) {
	s := openTest(t, Config{DSN: "memory:"})
	defer s.Close()
	_, err := s.ClaimAssertion(context.Background(), "", epoch.Add(time.Hour))
	assert.Error(t, err)
}
