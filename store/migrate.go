package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationLockKey is the PostgreSQL advisory lock that serialises schema
// migrations between instances starting at the same time. It is an
// arbitrary constant ("secshare" in ASCII).
const migrationLockKey int64 = 0x7365637368617265

// migrationFiles holds the schema, one directory per SQL dialect. Both
// directories hold the same versions with the same names; each file is one
// logical step written in that dialect.
//
//go:embed migrations
var migrationFiles embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the migrations for one dialect ("sqlite" or
// "postgres"), in version order.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("store: reading embedded migrations: %w", err)
	}

	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("store: embedded migration %s/%s is misnamed", dialect, name)
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("store: reading embedded migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })

	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: embedded migrations skip from %d to %d", i, m.version)
		}
	}
	return ms, nil
}

// migrate brings the schema up to date in one transaction: either every
// pending migration is applied and recorded in schema_migrations, or none
// is. On PostgreSQL the transaction first takes an advisory lock, so that
// instances starting together migrate one after the other and the later
// ones find nothing left to do. On SQLite the transaction is IMMEDIATE,
// which already excludes other writers.
func migrate(ctx context.Context, db database, dialect string, now time.Time) error {
	ms, err := loadMigrations(dialect)
	if err != nil {
		return err
	}

	return db.inTx(ctx, func(q querier) error {
		if dialect == "postgres" {
			if _, err := q.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, migrationLockKey); err != nil {
				return fmt.Errorf("store: taking the migration lock: %w", err)
			}
		}
		if _, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at BIGINT NOT NULL
		)`); err != nil {
			return fmt.Errorf("store: creating schema_migrations: %w", err)
		}

		var current int
		err := q.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
		if err != nil {
			return fmt.Errorf("store: reading schema version: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("%w: database is at version %d, this release knows %d",
				ErrSchemaTooNew, current, len(ms))
		}

		for _, m := range ms[current:] {
			if _, err := q.exec(ctx, m.sql); err != nil {
				return &MigrationError{Version: m.version, Name: m.name, Err: err}
			}
			_, err := q.exec(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, now.UnixMicro())
			if err != nil {
				return &MigrationError{Version: m.version, Name: m.name, Err: err}
			}
		}
		return nil
	})
}
