package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// claimers is how many goroutines race for one assertion ID.
const claimers = 32

// raceRounds is how many IDs the concurrency tests race for, one after
// the other. A racy implementation can get one round right by luck.
const raceRounds = 20

func (h *harness) testReplayCache(t *testing.T) {
	t.Run("first claim is fresh, repeat is not", func(t *testing.T) {
		s, clk, _ := h.open(t)
		ctx := context.Background()
		exp := clk.Now().Add(5 * time.Minute)

		fresh, err := s.ClaimAssertion(ctx, "_a1", exp)
		require.NoError(t, err)
		assert.True(t, fresh, "first claim")
		fresh, err = s.ClaimAssertion(ctx, "_a1", exp)
		require.NoError(t, err)
		assert.False(t, fresh, "second claim of the same ID")
		fresh, err = s.ClaimAssertion(ctx, "_a2", exp)
		require.NoError(t, err)
		assert.True(t, fresh, "another ID")
	})

	t.Run("IDs differing only in case are distinct", func(t *testing.T) {
		s, clk, _ := h.open(t)
		exp := clk.Now().Add(time.Minute)
		requireFresh(t, s, "_abc", exp, true)
		requireFresh(t, s, "_ABC", exp, true)
		requireFresh(t, s, "_abc", exp, false)
	})

	t.Run("expiry", func(t *testing.T) {
		cases := []struct {
			name    string
			advance time.Duration
			fresh   bool
		}{
			{"one microsecond before expiry", time.Minute - time.Microsecond, false},
			{"at expiry", time.Minute, true},
			{"long after expiry", 24 * time.Hour, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s, clk, _ := h.open(t)
				exp := clk.Now().Add(time.Minute)
				requireFresh(t, s, "_exp", exp, true)

				clk.Advance(tc.advance)
				requireFresh(t, s, "_exp", clk.Now().Add(time.Minute), tc.fresh)
			})
		}
	})

	t.Run("a claim that has already expired holds nothing", func(t *testing.T) {
		s, clk, _ := h.open(t)
		requireFresh(t, s, "_past", clk.Now().Add(-time.Second), true)
		requireFresh(t, s, "_past", clk.Now().Add(time.Minute), true)
		requireFresh(t, s, "_past", clk.Now().Add(time.Minute), false)
	})

	t.Run("reclaimed ID is held for its new lifetime", func(t *testing.T) {
		s, clk, _ := h.open(t)
		requireFresh(t, s, "_re", clk.Now().Add(time.Minute), true)
		clk.Advance(2 * time.Minute)
		requireFresh(t, s, "_re", clk.Now().Add(time.Hour), true)
		clk.Advance(30 * time.Minute)
		requireFresh(t, s, "_re", clk.Now().Add(time.Hour), false)
	})

	t.Run("concurrent claims of one ID", func(t *testing.T) {
		s, clk, _ := h.open(t)
		exp := clk.Now().Add(time.Minute)
		for i := range raceRounds {
			id := fmt.Sprintf("_race-%d", i)
			wins := raceClaims(t, []Store{s}, id, exp)
			require.Equal(t, int64(1), wins, "claims of %s that reported fresh", id)
		}
	})

	t.Run("concurrent claims of one ID on two stores", func(t *testing.T) {
		s, clk, reopen := h.open(t)
		requireReopen(t, reopen)
		other := reopen()
		exp := clk.Now().Add(time.Minute)
		for i := range raceRounds {
			id := fmt.Sprintf("_race2-%d", i)
			wins := raceClaims(t, []Store{s, other}, id, exp)
			require.Equal(t, int64(1), wins, "claims of %s that reported fresh", id)
		}
	})
}

// requireFresh claims id and checks the answer.
func requireFresh(t *testing.T, s Store, id string, exp time.Time, want bool) {
	t.Helper()
	fresh, err := s.ClaimAssertion(context.Background(), id, exp)
	require.NoError(t, err)
	require.Equal(t, want, fresh, "fresh claim of %q", id)
}

// raceClaims has claimers goroutines, spread over stores, claim id at the
// same moment, and returns how many were told the ID was fresh.
func raceClaims(t *testing.T, stores []Store, id string, exp time.Time) int64 {
	t.Helper()
	var (
		wins  atomic.Int64
		wg    sync.WaitGroup
		ready sync.WaitGroup
		gate  = make(chan struct{})
		errs  = make(chan error, claimers)
	)
	ready.Add(claimers)
	for i := range claimers {
		s := stores[i%len(stores)]
		wg.Go(func() {
			ready.Done()
			<-gate
			fresh, err := s.ClaimAssertion(context.Background(), id, exp)
			if err != nil {
				errs <- err
				return
			}
			if fresh {
				wins.Add(1)
			}
		})
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "concurrent claim")
	}
	return wins.Load()
}
