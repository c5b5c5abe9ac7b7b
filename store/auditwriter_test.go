package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store/storetest"
)

// auditBackends returns a function per backend that opens a fresh store
// for t and closes it when t ends. PostgreSQL is there when configured.
func auditBackends(t *testing.T) map[string]func(t *testing.T) *Store {
	t.Helper()
	open := func(t *testing.T, dsn string) *Store {
		t.Helper()
		s := openTest(t, Config{DSN: dsn})
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	m := map[string]func(t *testing.T) *Store{
		"memory": func(t *testing.T) *Store { return open(t, "memory:") },
		"sqlite": func(t *testing.T) *Store {
			return open(t, "sqlite:"+filepath.Join(t.TempDir(), "audit.db"))
		},
	}
	if base := storetest.PostgresDSNOptional(t); base != "" {
		m["postgres"] = func(t *testing.T) *Store {
			return open(t, storetest.PostgresSchema(t, base))
		}
	}
	return m
}

// auditEvent returns a small event with the given ID.
func auditEvent(id string) share.AuditEvent {
	return share.AuditEvent{ID: id, Time: epoch, Kind: share.EventLinkOpened,
		Actor: "x@partner.example", LinkID: "l1", Space: "ENG", PageID: "65541", Detail: id}
}

// allEvents returns every stored event by ID, failing t on a repeat.
func allEvents(t *testing.T, s *Store) map[string]share.AuditEvent {
	t.Helper()
	got := map[string]share.AuditEvent{}
	f := share.AuditFilter{Limit: share.MaxPageSize}
	for {
		page, next, err := s.QueryAudit(context.Background(), f)
		require.NoError(t, err)
		for _, e := range page {
			require.NotContains(t, got, e.ID, "event returned twice")
			got[e.ID] = e
		}
		if next == "" {
			return got
		}
		f.Cursor = next
	}
}

func TestAppendAuditConcurrent(t *testing.T) {
	const goroutines, each = 64, 50
	for name, open := range auditBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, goroutines*each)
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						errs <- s.AppendAudit(ctx, auditEvent(fmt.Sprintf("g%02d-%02d", g, i)))
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}

			got := allEvents(t, s)
			assert.Len(t, got, goroutines*each)
			for g := range goroutines {
				for i := range each {
					id := fmt.Sprintf("g%02d-%02d", g, i)
					assert.Equal(t, auditEvent(id), got[id], "event %s", id)
				}
			}
			if name == "sqlite" {
				assert.Greater(t, s.audit.largest.Load(), int64(1), "no batch held two events")
			}
		})
	}
}

func TestAppendAuditConflictInBusyBatch(t *testing.T) {
	const ids, copies = 200, 3
	for name, open := range auditBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			require.NoError(t, s.AppendAudit(ctx, auditEvent("old")))

			// Every ID is appended by several goroutines at once, and "old"
			// again by each goroutine.
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				wins = map[string]int{}
			)
			for c := range copies {
				wg.Go(func() {
					for i := range ids {
						id := fmt.Sprintf("e%03d", i)
						err := s.AppendAudit(ctx, auditEvent(id))
						if err != nil {
							assert.ErrorIs(t, err, share.ErrConflict, "%s copy %d", id, c)
							continue
						}
						mu.Lock()
						wins[id]++
						mu.Unlock()
					}
					assert.ErrorIs(t, s.AppendAudit(ctx, auditEvent("old")), share.ErrConflict)
				})
			}
			wg.Wait()

			got := allEvents(t, s)
			assert.Len(t, got, ids+1)
			for i := range ids {
				id := fmt.Sprintf("e%03d", i)
				assert.Equal(t, 1, wins[id], "successful appends of %s", id)
				assert.Contains(t, got, id)
			}
		})
	}
}

// TestAuditWriterBatchOutcomes writes hand-made batches through the
// writer's commit, so that the batch's content is certain.
func TestAuditWriterBatchOutcomes(t *testing.T) {
	nul := auditEvent("nul")
	nul.Detail = "a\x00b" // PostgreSQL refuses NUL in text; SQLite stores it

	for name, open := range auditBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			require.NoError(t, s.AppendAudit(ctx, auditEvent("old")))
			twice := auditEvent("a")
			twice.Detail = "second a"
			events := []share.AuditEvent{auditEvent("a"), auditEvent("old"), auditEvent("b"),
				twice, nul, auditEvent("c")}
			batch := make([]*auditRequest, len(events))
			for i, e := range events {
				batch[i] = &auditRequest{e: e, err: make(chan error, 1)}
			}

			var inserts insertCache
			s.audit.commit(ctx, &inserts, batch)

			want := []error{nil, share.ErrConflict, nil, share.ErrConflict, nil, nil}
			if name == "postgres" {
				want[4] = errors.New("any")
			}
			for i, r := range batch {
				err := <-r.err
				switch {
				case want[i] == nil:
					assert.NoError(t, err, events[i].ID)
				case errors.Is(want[i], share.ErrConflict):
					assert.ErrorIs(t, err, share.ErrConflict, events[i].ID)
				default:
					assert.Error(t, err, events[i].ID)
					assert.NotErrorIs(t, err, share.ErrConflict, events[i].ID)
				}
			}
			got := allEvents(t, s)
			assert.Equal(t, "a", got["a"].Detail, "the first of two events with one ID is kept")
			for _, id := range []string{"old", "b", "c"} {
				assert.Contains(t, got, id)
			}
			if name == "postgres" {
				assert.NotContains(t, got, "nul")
			}
		})
	}
}

func TestAppendAuditCancelled(t *testing.T) {
	for name, open := range auditBackends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)

			t.Run("before the call", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				assert.ErrorIs(t, s.AppendAudit(ctx, auditEvent("early")), context.Canceled)
				assert.NotContains(t, allEvents(t, s), "early", "stored after an early cancel")
			})

			t.Run("while waiting", func(t *testing.T) {
				// Callers give up at every stage of their append while
				// others keep appending: each answer is nil or the
				// context's error, every acknowledged event is stored,
				// and the store goes on working.
				const goroutines, each = 32, 20
				var (
					wg    sync.WaitGroup
					mu    sync.Mutex
					acked []string
				)
				for g := range goroutines {
					wg.Go(func() {
						for i := range each {
							id := fmt.Sprintf("c%02d-%02d", g, i)
							ctx, cancel := context.WithCancel(context.Background())
							if (g+i)%2 == 0 {
								go cancel()
							}
							err := s.AppendAudit(ctx, auditEvent(id))
							cancel()
							if err != nil {
								assert.ErrorIs(t, err, context.Canceled, id)
								continue
							}
							mu.Lock()
							acked = append(acked, id)
							mu.Unlock()
						}
					})
				}
				wg.Wait()

				require.NoError(t, s.AppendAudit(context.Background(), auditEvent("after")))
				got := allEvents(t, s)
				for _, id := range append(acked, "after") {
					assert.Contains(t, got, id)
				}
			})
		})
	}
}

func TestCloseWithPendingAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "close.db")
	s := openTest(t, Config{DSN: "sqlite:" + path})
	ctx := context.Background()

	const goroutines = 32
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		acked   []string
		started sync.WaitGroup
	)
	started.Add(goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("p%02d-%04d", g, i)
				err := s.AppendAudit(ctx, auditEvent(id))
				if i == 0 {
					started.Done()
				}
				if errors.Is(err, ErrClosed) {
					return
				}
				if !assert.NoError(t, err, id) {
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		})
	}
	started.Wait()
	require.NoError(t, s.Close())
	wg.Wait()

	<-s.audit.done // the writer goroutine has returned
	assert.ErrorIs(t, s.AppendAudit(ctx, auditEvent("late")), ErrClosed)
	r := openTest(t, Config{DSN: "sqlite:" + path})
	defer r.Close()
	got := allEvents(t, r)
	assert.Len(t, got, len(acked), "stored events besides the acknowledged ones")
	for _, id := range acked {
		assert.Contains(t, got, id)
	}
}

// silentDB is a database whose connection has gone silent: every
// statement waits until its context ends, as on a connection whose
// packets a firewall drops.
type silentDB struct{ database }

func (silentDB) exec(ctx context.Context, _ string, _ ...any) (int64, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

// TestAuditWriterSilentDatabase: a batch that the database never answers
// fails at the writer's timeout as unavailable, the writer takes the next
// batch, and close returns, instead of all of them waiting for the
// operating system to give up on the connection.
func TestAuditWriterSilentDatabase(t *testing.T) {
	s := openTest(t, Config{DSN: "memory:"})
	defer s.Close()
	w := newAuditWriter(context.Background(), silentDB{s.db}, "sqlite", 1)
	w.timeout = 50 * time.Millisecond

	for _, id := range []string{"first", "second"} {
		// The caller's own deadline, far longer, only keeps a broken writer
		// from hanging the test.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := w.append(ctx, auditEvent(id))
		cancel()
		require.Error(t, err, id)
		assert.ErrorIs(t, err, share.ErrUnavailable, id)
		assert.ErrorIs(t, err, context.DeadlineExceeded, id)
		assert.Contains(t, err.Error(), "did not answer an audit write within 50ms")
	}

	closed := make(chan struct{})
	go func() { w.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("close still waits for the silent database")
	}
}
