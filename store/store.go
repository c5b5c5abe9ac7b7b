package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// Defaults for [Config] fields left zero.
const (
	// DefaultBusyTimeout is how long a SQLite writer waits for another
	// writer before giving up.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultSQLiteConns is how many connections a SQLite store keeps
	// open. WAL mode lets readers run beside the single writer.
	DefaultSQLiteConns = 8
)

// Every Store satisfies the storage interfaces the SDK declares.
var (
	_ share.Store      = (*Store)(nil)
	_ saml.ReplayCache = (*Store)(nil)
	_ idp.ConfigStore  = (*Store)(nil)
)

// Config configures [New]. The zero value, apart from DSN, is ready to use.
type Config struct {
	// DSN names the backend:
	//
	//   - "memory:" keeps everything in this process and loses it on Close.
	//   - "sqlite:PATH" keeps a SQLite database in the file PATH, created
	//     if missing, in WAL mode with foreign keys on and synchronous=FULL.
	//     One process should own the file; several processes work but
	//     contend for the single writer lock.
	//   - "postgres://..." or "postgresql://..." connects a pgx pool to
	//     PostgreSQL, in the URL form libpq documents. Several instances may
	//     share one database.
	DSN string

	// Now is the clock of ClaimAssertion and Sweep: it decides which
	// replay-cache entries, sessions and AuthnRequest states have expired.
	// Nil means time.Now. ConsumeAuthnRequest uses the time its caller
	// passes instead.
	Now func() time.Time

	// BusyTimeout is how long a SQLite writer waits for its turn to write
	// (behind the Store's other writers, then for another process's
	// lock); zero means [DefaultBusyTimeout]. A write that waited longer
	// fails with an error wrapping share.ErrUnavailable. Ignored by the
	// other backends.
	BusyTimeout time.Duration

	// MaxConns bounds the connections of the SQLite or PostgreSQL pool;
	// zero means [DefaultSQLiteConns] for SQLite and pgx's default (or the
	// DSN's pool_max_conns) for PostgreSQL. A memory store always uses one.
	MaxConns int

	// Logger receives the errors of [Store.SweepLoop], which has no caller
	// to return them to. Nil discards them.
	Logger *slog.Logger
}

// Store is a storage backend opened from a DSN. One Store implements
// [share.Store] (links, spaces, sessions, audit, AuthnRequest states),
// [idp.ConfigStore] (IdP configurations with their imported metadata and
// its fetch state) and [saml.ReplayCache], so a host application passes
// the same value to each package.
//
// A Store is safe for concurrent use. Times it returns are in UTC and
// rounded down to the microsecond; the store does not keep time zones or
// monotonic clock readings.
//
// Audit events are written with group commit by one goroutine per Store
// (two on PostgreSQL): the events that concurrent [Store.AppendAudit]
// calls are waiting to write, up to 128, go into the database in one
// statement and one commit, so a busy server pays one fsync (SQLite) or
// one WAL flush (PostgreSQL) for many link views instead of one each. A
// lone event is written at once; nothing waits for a batch to fill. A
// batch the database does not answer within 30 seconds fails with an
// error wrapping share.ErrUnavailable, so that a connection gone silent
// cannot hold the writers, or Close, for longer.
type Store struct {
	db      database
	kind    backendKind
	now     func() time.Time
	logger  *slog.Logger
	audit   *auditWriter
	closed  atomic.Bool
	dialect string
}

// Open opens the store that dsn names, creating or migrating its schema.
// It is New with a [Config] holding only the DSN.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return New(ctx, Config{DSN: dsn})
}

// New opens the store that cfg.DSN names and brings its schema up to date.
// A DSN it cannot use is a [*DSNError]. A database written by a newer
// release is refused with an error wrapping [ErrSchemaTooNew]. New checks
// that the database answers before it returns.
func New(ctx context.Context, cfg Config) (*Store, error) {
	d, err := parseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	if cfg.BusyTimeout < 0 || cfg.MaxConns < 0 {
		return nil, errors.New("store: BusyTimeout and MaxConns must not be negative")
	}

	s := &Store{kind: d.kind, now: cfg.Now, logger: cfg.Logger, dialect: "sqlite"}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	switch d.kind {
	case kindMemory:
		s.db, err = openMemory(ctx)
	case kindSQLite:
		s.db, err = openSQLite(ctx, d.path, cfg)
	case kindPostgres:
		s.dialect = "postgres"
		s.db, err = openPostgres(ctx, d.conn, cfg)
	}
	if err != nil {
		return nil, err
	}

	if err := migrate(ctx, s.db, s.dialect, s.now()); err != nil {
		s.db.close()
		return nil, err
	}
	s.audit = newAuditWriter(ctx, s.db, s.dialect, auditWriters(s.db))
	return s, nil
}

// Close releases the store's connections and stops its audit writer.
// Methods called after Close return [ErrClosed]; calling Close again does
// nothing. Audit events already being committed when Close is called are
// committed and their AppendAudit calls answered before Close returns;
// calls still waiting for their turn return ErrClosed and store nothing.
// A memory store's data is gone after Close.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.audit.close()
	s.db.close()
	return nil
}

// Backend returns the kind of store: "memory", "sqlite" or "postgres".
func (s *Store) Backend() string { return s.kind.String() }

// ClaimAssertion implements [saml.ReplayCache]. It records id until
// expires and reports fresh=true, or reports fresh=false when id is
// already recorded with an expiry after the store's clock. An expired
// record is reclaimed by the next claim. The check and the write are one
// statement, so of several concurrent claims of one ID, on one Store or on
// several sharing a PostgreSQL database, exactly one is fresh.
func (s *Store) ClaimAssertion(ctx context.Context, id string, expires time.Time) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	if id == "" {
		return false, errors.New("store: claiming assertion: empty ID")
	}

	n, err := s.db.exec(ctx, `INSERT INTO replay_cache (id, expires) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET expires = excluded.expires
		WHERE replay_cache.expires <= ?`,
		id, expires.UnixMicro(), s.now().UnixMicro())
	if err != nil {
		return false, fmt.Errorf("store: claiming assertion: %w", err)
	}
	return n == 1, nil
}

// check returns ErrClosed after Close.
func (s *Store) check() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// openMemory opens a private in-memory SQLite database. It lives as long
// as its single connection, so the pool is pinned to exactly one that
// never expires.
func openMemory(ctx context.Context) (database, error) {
	db, err := sql.Open("sqlite", ":memory:?_pragma=foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("store: opening memory store: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: opening memory store: %w", err)
	}
	return newSQLDB(db, 0), nil
}

// openSQLite opens (creating if needed) the database file at path in WAL
// mode. Transactions begin IMMEDIATE, so a transaction that will write
// takes the lock up front and waits for it under busy_timeout instead of
// failing when it upgrades from reading.
func openSQLite(ctx context.Context, path string, cfg Config) (database, error) {
	what := "sqlite:" + path
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, &DSNError{DSN: what, Reason: "directory " + quote(dir) + " does not exist"}
	}

	busy := cfg.BusyTimeout
	if busy == 0 {
		busy = DefaultBusyTimeout
	}
	conns := cfg.MaxConns
	if conns == 0 {
		conns = DefaultSQLiteConns
	}
	name := path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")" +
		"&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", what, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)

	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: opening %s: %w", what, err)
	}
	if mode != "wal" {
		_ = db.Close()
		return nil, fmt.Errorf("store: opening %s: journal mode is %q, not wal", what, mode)
	}
	return newSQLDB(db, busy), nil
}

// openPostgres connects a pgx pool and checks that the server answers.
func openPostgres(ctx context.Context, conn string, cfg Config) (database, error) {
	pc, err := pgxpool.ParseConfig(conn)
	if err != nil {
		return nil, &DSNError{DSN: redact(conn), Reason: "pgx cannot parse it", Err: err}
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = int32(min(cfg.MaxConns, 1<<20))
	}

	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: connecting to %s: %w", redact(conn), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connecting to %s: %w", redact(conn), unavailable(err))
	}
	return &pgDB{pool: pool}, nil
}
