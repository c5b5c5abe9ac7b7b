package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/store/storetest"
)

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := loadMigrations("sqlite")
	require.NoError(t, err)
	pg, err := loadMigrations("postgres")
	require.NoError(t, err)

	require.NotEmpty(t, lite)
	require.Len(t, pg, len(lite))
	for i := range lite {
		assert.Equal(t, i+1, lite[i].version)
		assert.Equal(t, lite[i].name, pg[i].name, "migration %d", i+1)
	}
}

// schemaVersions reads the recorded migrations of an open store.
func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rs, err := s.db.query(context.Background(),
		`SELECT version FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer rs.Close()
	var vs []int
	for rs.Next() {
		var v int
		require.NoError(t, rs.Scan(&v))
		vs = append(vs, v)
	}
	require.NoError(t, rs.Err())
	return vs
}

// allVersions is 1..n for the embedded migrations.
func allVersions(t *testing.T) []int {
	ms, err := loadMigrations("sqlite")
	require.NoError(t, err)
	vs := make([]int, len(ms))
	for i := range ms {
		vs[i] = i + 1
	}
	return vs
}

func TestMigrateOnceAndRecord(t *testing.T) {
	for _, b := range testBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := openTest(t, Config{DSN: b.dsn})
			assert.Equal(t, allVersions(t), schemaVersions(t, s))
			require.NoError(t, s.Close())

			s = openTest(t, Config{DSN: b.dsn})
			defer s.Close()
			assert.Equal(t, allVersions(t), schemaVersions(t, s), "after reopening")
		})
	}
}

func TestSchemaTooNew(t *testing.T) {
	for _, b := range testBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := openTest(t, Config{DSN: b.dsn})
			_, err := s.db.exec(context.Background(),
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				999, "9999_future.sql", 0)
			require.NoError(t, err)
			require.NoError(t, s.Close())

			_, err = Open(context.Background(), b.dsn)
			require.ErrorIs(t, err, ErrSchemaTooNew)
			assert.Contains(t, err.Error(), "version 999")
		})
	}
}

func TestConcurrentOpen(t *testing.T) {
	for _, b := range testBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			const instances = 8
			var (
				wg     sync.WaitGroup
				stores = make([]*Store, instances)
				errs   = make([]error, instances)
			)
			for i := range instances {
				wg.Go(func() { stores[i], errs[i] = Open(context.Background(), b.dsn) })
			}
			wg.Wait()
			for i := range instances {
				require.NoError(t, errs[i], "instance %d", i)
				defer stores[i].Close()
			}
			assert.Equal(t, allVersions(t), schemaVersions(t, stores[0]))
		})
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	first, err := loadMigrations("sqlite")
	require.NoError(t, err)
	// A database at version 1 that already has a table migration 2 creates.
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, '` + first[0].name + `', 0)`,
		first[0].sql,
		`CREATE TABLE sessions (x TEXT)`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())

	_, err = Open(context.Background(), "sqlite:"+path)
	var me *MigrationError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, 2, me.Version)
	assert.Equal(t, "0002_share.sql", me.Name)

	db, err = sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var version, links int
	require.NoError(t, db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&version))
	assert.Equal(t, 1, version, "recorded version after the failure")
	require.NoError(t, db.QueryRow(
		`SELECT COUNT(*) FROM sqlite_master WHERE name = 'links'`).Scan(&links))
	assert.Zero(t, links, "tables of the failed migration were kept")
}

// testBackend is a database the store tests open by DSN.
type testBackend struct {
	name string
	dsn  string
}

// testBackends returns a fresh SQLite file and, when configured, a fresh
// PostgreSQL schema. Without PostgreSQL it includes only SQLite, unless
// CI is set, in which case postgresDSN fails t.
func testBackends(t *testing.T) []testBackend {
	t.Helper()
	bs := []testBackend{{"sqlite", "sqlite:" + filepath.Join(t.TempDir(), "s.db")}}
	if base := storetest.PostgresDSNOptional(t); base != "" {
		bs = append(bs, testBackend{"postgres", storetest.PostgresSchema(t, base)})
	}
	return bs
}
