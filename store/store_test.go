package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/store/storetest"
)

// postgresEnv names the variable that holds the test PostgreSQL DSN, as
// .ci/postgres.sh prints it.
const postgresEnv = "SECURESHARE_TEST_POSTGRES"

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
	base := postgresDSN(t)
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) (storetest.Store, func() storetest.Store) {
			cfg := Config{DSN: postgresSchema(t, base), Now: now}
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

// postgresDSN returns the test database's DSN. Without one it skips t,
// or fails it when the CI variable is set: CI must not pass by skipping.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn != "" {
		return dsn
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not set, and CI is: run .ci/postgres.sh first", postgresEnv)
	}
	t.Skipf("%s is not set; run eval \"$(.ci/postgres.sh)\" to test PostgreSQL", postgresEnv)
	return ""
}

// postgresDSNOptional is postgresDSN for tests that cover several
// backends: without a DSN it returns "" instead of skipping, and still
// fails under CI.
func postgresDSNOptional(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" && os.Getenv("CI") != "" {
		t.Fatalf("%s is not set, and CI is: run .ci/postgres.sh first", postgresEnv)
	}
	return dsn
}

// postgresSchema creates a schema of its own for t in the database of
// base, drops it when t ends, and returns a DSN whose search_path puts the
// store's tables there.
func postgresSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "storetest_" + hex.EncodeToString(b)

	conn, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		require.NoError(t, err)
	})

	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
