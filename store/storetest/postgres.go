package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// PostgresEnv names the environment variable that holds the DSN of a
// PostgreSQL database tests may use, as .ci/postgres.sh exports it.
const PostgresEnv = "SECURESHARE_TEST_POSTGRES"

// PostgresDSN returns the DSN in [PostgresEnv]. Without one it skips t, or
// fails it when the CI variable is set: CI must not pass by skipping.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSNOptional(t)
	if dsn == "" {
		t.Skipf("%s is not set; run eval \"$(.ci/postgres.sh)\" to test PostgreSQL", PostgresEnv)
	}
	return dsn
}

// PostgresDSNOptional is [PostgresDSN] for tests that cover several
// backends: without a DSN it returns "" instead of skipping, and still
// fails t when the CI variable is set.
func PostgresDSNOptional(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" && os.Getenv("CI") != "" {
		t.Fatalf("%s is not set, and CI is: run .ci/postgres.sh first", PostgresEnv)
	}
	return dsn
}

// PostgresSchema creates a schema of its own for t in the database of
// base, drops it when t ends, and returns a DSN whose search_path puts
// every table there, so that tests sharing one database never see each
// other's rows.
func PostgresSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
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
