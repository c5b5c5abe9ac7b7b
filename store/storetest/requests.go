package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
)

// fullRequest returns an AuthnRequest state with every field set.
func fullRequest(id string) share.AuthnRequestState {
	return share.AuthnRequestState{
		ID:       id,
		IDP:      "okta",
		ReturnTo: "/s/ENG/pages/65541?view=1",
		Created:  start,
		Expires:  start.Add(5 * time.Minute),
	}
}

func (h *harness) testAuthnRequests(t *testing.T) {
	ctx := context.Background()

	t.Run("save and consume every field", func(t *testing.T) {
		s, _, _ := h.open(t)
		st := fullRequest("_r1")
		requireAllSet(t, st)
		require.NoError(t, s.SaveAuthnRequest(ctx, st))

		got, err := s.ConsumeAuthnRequest(ctx, "_r1", start.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, utc(st), utc(got))
	})

	t.Run("consumed once", func(t *testing.T) {
		s, _, _ := h.open(t)
		require.NoError(t, s.SaveAuthnRequest(ctx, fullRequest("_r1")))

		_, err := s.ConsumeAuthnRequest(ctx, "_r1", start)
		require.NoError(t, err)
		_, err = s.ConsumeAuthnRequest(ctx, "_r1", start)
		assert.ErrorIs(t, err, share.ErrNotFound)
	})

	t.Run("save conflict", func(t *testing.T) {
		s, _, _ := h.open(t)
		require.NoError(t, s.SaveAuthnRequest(ctx, fullRequest("_r1")))

		other := fullRequest("_r1")
		other.ReturnTo = "/elsewhere"
		assert.ErrorIs(t, s.SaveAuthnRequest(ctx, other), share.ErrConflict)
		got, err := s.ConsumeAuthnRequest(ctx, "_r1", start)
		require.NoError(t, err)
		assert.Equal(t, fullRequest("_r1").ReturnTo, got.ReturnTo, "state replaced by a refused save")
	})

	t.Run("not found", func(t *testing.T) {
		s, _, _ := h.open(t)
		require.NoError(t, s.SaveAuthnRequest(ctx, fullRequest("_r1")))

		for _, id := range []string{"_r2", "_R1", ""} {
			_, err := s.ConsumeAuthnRequest(ctx, id, start)
			assert.ErrorIs(t, err, share.ErrNotFound, "ID %q", id)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		cases := []struct {
			name    string
			now     time.Time
			expired bool
		}{
			{"one microsecond before", start.Add(5*time.Minute - time.Microsecond), false},
			{"at expiry", start.Add(5 * time.Minute), true},
			{"after expiry", start.Add(time.Hour), true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s, _, _ := h.open(t)
				require.NoError(t, s.SaveAuthnRequest(ctx, fullRequest("_r1")))

				_, err := s.ConsumeAuthnRequest(ctx, "_r1", tc.now)
				if !tc.expired {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, share.ErrExpired)
				_, err = s.ConsumeAuthnRequest(ctx, "_r1", start)
				assert.ErrorIs(t, err, share.ErrNotFound, "expired state was not removed")
			})
		}
	})

	t.Run("concurrent consumers", func(t *testing.T) {
		s, _, reopen := h.open(t)
		stores := []Store{s}
		if reopen != nil {
			stores = append(stores, reopen())
		}
		require.NoError(t, s.SaveAuthnRequest(ctx, fullRequest("_race")))

		var (
			wins atomic.Int64
			wg   sync.WaitGroup
			gate = make(chan struct{})
			errs = make(chan error, claimers)
		)
		for i := range claimers {
			st := stores[i%len(stores)]
			wg.Go(func() {
				<-gate
				_, err := st.ConsumeAuthnRequest(ctx, "_race", start)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, share.ErrNotFound):
					errs <- err
				}
			})
		}
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		assert.Equal(t, int64(1), wins.Load(), "consumers that got the state")
	})
}
