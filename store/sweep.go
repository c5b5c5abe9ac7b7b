package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// sweptTables are the tables with rows that expire, each with its expiry
// column. Links and audit events never expire from storage: an expired
// link is kept so that its history stays readable.
var sweptTables = []struct{ table, column string }{
	{"replay_cache", "expires"},
	{"authn_requests", "expires"},
	{"sessions", "expires"},
}

// Sweep deletes the replay-cache entries, AuthnRequest states and
// sessions whose expiry is not after the store's clock, and returns how
// many rows it deleted. Nothing depends on sweeping for correctness: the
// store and its callers check expiry on every read. Sweeping only keeps
// the tables small. It is safe to run on several instances at once.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}

	now := s.now().UnixMicro()
	var total int64
	for _, t := range sweptTables {
		n, err := s.db.exec(ctx, `DELETE FROM `+t.table+` WHERE `+t.column+` <= ?`, now)
		if err != nil {
			return total, fmt.Errorf("store: sweeping %s: %w", t.table, err)
		}
		total += n
	}
	return total, nil
}

// SweepLoop calls [Store.Sweep] each time ticks delivers, until ctx is
// done, ticks is closed or the store is closed, and then returns
// ctx.Err(), nil or [ErrClosed]. Errors of
// single sweeps go to [Config].Logger and do not stop the loop. A host
// application usually runs it in its own goroutine:
//
//	t := time.NewTicker(5 * time.Minute)
//	defer t.Stop()
//	go st.SweepLoop(ctx, t.C)
//
// The tick values are ignored; expiry is judged by [Config].Now, so tests
// can drive the loop with a channel of their own and a fake clock.
func (s *Store) SweepLoop(ctx context.Context, ticks <-chan time.Time) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-ticks:
			if !ok {
				return nil
			}
			n, err := s.Sweep(ctx)
			if errors.Is(err, ErrClosed) {
				return err
			}
			if err != nil {
				s.logger.ErrorContext(ctx, "store: sweep failed", "err", err)
				continue
			}
			s.logger.DebugContext(ctx, "store: swept expired rows", "rows", n)
		}
	}
}
