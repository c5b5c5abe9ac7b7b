package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/store/storetest"
)

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) (storetest.Store, func() storetest.Store) {
			return openTest(t, Config{DSN: "memory:", Now: now}), nil
		},
	})
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) (storetest.Store, func() storetest.Store) {
			cfg := Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "store.db"), Now: now}
			return openTest(t, cfg), func() storetest.Store { return openTest(t, cfg) }
		},
	})
}

func TestConformancePostgres(t *testing.T) {
	base := storetest.PostgresDSN(t)
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) (storetest.Store, func() storetest.Store) {
			cfg := Config{DSN: storetest.PostgresSchema(t, base), Now: now}
			return openTest(t, cfg), func() storetest.Store { return openTest(t, cfg) }
		},
	})
}

// openTest opens a store or fails t. The caller closes it.
func openTest(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := New(context.Background(), cfg)
	require.NoError(t, err)
	return s
}
