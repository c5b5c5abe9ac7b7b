package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDSN(t *testing.T) {
	cases := []struct {
		name string
		dsn  string
		want dsn
	}{
		{"memory", "memory:", dsn{kind: kindMemory}},
		{"memory upper case", "MEMORY:", dsn{kind: kindMemory}},
		{"sqlite relative", "sqlite:data/share.db", dsn{kind: kindSQLite, path: "data/share.db"}},
		{"sqlite absolute", "sqlite:/var/lib/s.db", dsn{kind: kindSQLite, path: "/var/lib/s.db"}},
		{"sqlite with slashes", "sqlite:///var/lib/s.db", dsn{kind: kindSQLite, path: "/var/lib/s.db"}},
		{"sqlite3 alias", "sqlite3:s.db", dsn{kind: kindSQLite, path: "s.db"}},
		{"postgres", "postgres://u:p@db:5432/share", dsn{kind: kindPostgres,
			conn: "postgres://u:p@db:5432/share"}},
		{"postgresql", "postgresql://db/share?sslmode=require", dsn{kind: kindPostgres,
			conn: "postgresql://db/share?sslmode=require"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDSN(tc.dsn)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseDSNErrors(t *testing.T) {
	cases := []struct {
		name   string
		dsn    string
		reason string
	}{
		{"empty", "", "empty"},
		{"no scheme", "share.db", "no scheme"},
		{"unknown scheme", "mysql://u@h/db", `unknown scheme "mysql"`},
		{"memory with a path", "memory:x", "nothing after the colon"},
		{"sqlite without a path", "sqlite:", "needs a file path"},
		{"sqlite in memory", "sqlite::memory:", "use memory:"},
		{"sqlite with a query", "sqlite:s.db?mode=ro", "must not contain"},
		{"sqlite with a fragment", "sqlite:s.db#x", "must not contain"},
		{"sqlite with NUL", "sqlite:s\x00.db", "NUL"},
		{"postgres without slashes", "postgres:db", "must start with postgres://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseDSN(tc.dsn)
			var de *DSNError
			require.ErrorAs(t, err, &de)
			assert.Contains(t, de.Reason, tc.reason)
			assert.True(t, strings.HasPrefix(err.Error(), "store: bad DSN"), err.Error())
		})
	}
}

func TestOpenErrorsHidePasswords(t *testing.T) {
	cases := []struct {
		name string
		dsn  string
	}{
		{"unknown scheme", "mysql://admin:hunter2@db/share"},
		{"bad postgres parameter", "postgres://admin:hunter2@db/share?sslmode=sometimes"},
		{"bad postgres port", "postgres://admin:hunter2@db:99999999/share"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.dsn)
			require.Error(t, err)
			var de *DSNError
			require.ErrorAs(t, err, &de)
			assert.NotContains(t, err.Error(), "hunter2")
			assert.Contains(t, err.Error(), "admin")
		})
	}
}

func TestOpenSQLiteMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := Open(context.Background(), "sqlite:"+filepath.Join(dir, "s.db"))
	var de *DSNError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, de.Reason, "does not exist")
}

func TestOpenPostgresUnreachable(t *testing.T) {
	// Port 1 on loopback refuses connections on any ordinary machine.
	_, err := Open(context.Background(),
		"postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=5&sslmode=disable")
	require.Error(t, err)
	assert.False(t, errors.As(err, new(*DSNError)), "a refused connection is not a bad DSN")
	assert.Contains(t, err.Error(), "store: connecting to postgres://u:xxxxx@127.0.0.1:1/db")
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://u:pw@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://h/db?password=pw&sslmode=disable", "postgres://h/db?password=xxxxx&sslmode=disable"},
		{"no url at all", "no url at all"},
		{"mysql://u:p w@h:bad/db", "mysql://u:xxxxx@h:bad/db"},
		{"postgres://user:se:cr@t@%zz/db", "postgres://user:xxxxx@%zz/db"},
		{"postgres://a@b.example:pw@%zz/db", "postgres://a@b.example:xxxxx@%zz/db"},
		{"postgres://user@%zz/db", "postgres://user@%zz/db"},
		{"user:pw@%zz", "user:xxxxx@%zz"},
		{"postgres:u:pw@h/db", "postgres:xxxxx@h/db"},
		// A "#" or "?" in the password: Go reads the rest as a fragment or
		// a query, with no user information, while pgx reads it whole.
		{"postgres://app:1234#x@host/db", "postgres://app:xxxxx@host/db"},
		{"postgres://app:#secret@host/db", "postgres://app:xxxxx@host/db"},
		{"postgres://app:12?34@host/db", "postgres://app:xxxxx@host/db"},
		{"postgres://h/db?sslmode=disable&password=pw%zz", "postgres://h/db?sslmode=disable&password=xxxxx"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, redact(tc.in))
		})
	}
}

func TestOpenSQLiteNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(path, []byte("these are not the pages you are looking for\n"), 0o600))

	_, err := Open(context.Background(), "sqlite:"+path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "store: opening sqlite:"+path)
}

func TestNewRejectsNegativeSettings(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"busy timeout", Config{DSN: "memory:", BusyTimeout: -time.Second}},
		{"max conns", Config{DSN: "memory:", MaxConns: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.cfg)
			assert.ErrorContains(t, err, "must not be negative")
		})
	}
}
