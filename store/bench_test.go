package store

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/share"
	"github.com/secureshare/secureshare/store/storetest"
)

// benchLinks is how many links the lookup benchmark stores.
const benchLinks = 10_000

// benchStores opens one store per backend for b: memory, SQLite and, when
// SECURESHARE_TEST_POSTGRES is set, PostgreSQL.
func benchStores(b *testing.B) map[string]func(b *testing.B) *Store {
	return map[string]func(b *testing.B) *Store{
		"memory": func(b *testing.B) *Store { return openBench(b, "memory:") },
		"sqlite": func(b *testing.B) *Store {
			return openBench(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
		},
		"postgres": func(b *testing.B) *Store {
			return openBench(b, storetest.PostgresSchema(b, storetest.PostgresDSN(b)))
		},
	}
}

// openBench opens a store closed when b ends.
func openBench(b *testing.B, dsn string) *Store {
	b.Helper()
	s, err := Open(context.Background(), dsn)
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkLinkByToken looks links up by token digest among benchLinks.
func BenchmarkLinkByToken(b *testing.B) {
	for _, name := range []string{"memory", "sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := benchStores(b)[name](b)
			ctx := context.Background()
			hashes := make([]share.Digest, benchLinks)
			for i := range hashes {
				id := "l" + strconv.Itoa(i)
				hashes[i] = sha(id)
				require.NoError(b, s.CreateLink(ctx, share.Link{ID: id, TokenHash: hashes[i],
					Space: "ENG", Scope: share.ScopeSpace, Title: id, Created: epoch,
					Policy: share.Policy{Groups: []string{"Partners", "Auditors"}}}))
			}

			i := 0
			for b.Loop() {
				if _, err := s.LinkByToken(ctx, hashes[i%benchLinks]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkClaimAssertion claims assertion IDs in the replay cache: new
// IDs (a successful login) and one ID over and over (a replay).
func BenchmarkClaimAssertion(b *testing.B) {
	for _, name := range []string{"memory", "sqlite", "postgres"} {
		b.Run(name+"/fresh", func(b *testing.B) {
			s := benchStores(b)[name](b)
			ctx := context.Background()
			exp := time.Now().Add(time.Hour)
			i := 0
			for b.Loop() {
				fresh, err := s.ClaimAssertion(ctx, fmt.Sprintf("_id%d", i), exp)
				if err != nil || !fresh {
					b.Fatal(fresh, err)
				}
				i++
			}
		})
		b.Run(name+"/replayed", func(b *testing.B) {
			s := benchStores(b)[name](b)
			ctx := context.Background()
			exp := time.Now().Add(time.Hour)
			_, err := s.ClaimAssertion(ctx, "_same", exp)
			require.NoError(b, err)
			for b.Loop() {
				fresh, err := s.ClaimAssertion(ctx, "_same", exp)
				if err != nil || fresh {
					b.Fatal(fresh, err)
				}
			}
		})
	}
}

// BenchmarkAppendAuditParallel appends audit events from several
// goroutines at once, as link views do under load. Workers is the number
// of goroutines, rounded up to a multiple of GOMAXPROCS.
func BenchmarkAppendAuditParallel(b *testing.B) {
	for _, name := range []string{"memory", "sqlite", "postgres"} {
		for _, workers := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(b *testing.B) {
				s := benchStores(b)[name](b)
				ctx := context.Background()
				var n atomic.Int64
				procs := runtime.GOMAXPROCS(0)
				b.SetParallelism((workers + procs - 1) / procs)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						id := "e" + strconv.FormatInt(n.Add(1), 10)
						e := share.AuditEvent{ID: id, Time: epoch, Kind: share.EventLinkOpened,
							Actor: "x@partner.example", LinkID: "l1", Space: "ENG", PageID: "65541"}
						if err := s.AppendAudit(ctx, e); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
