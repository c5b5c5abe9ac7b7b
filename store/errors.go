package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/secureshare/secureshare/share"
)

// ErrClosed is returned by every method of a [Store] after [Store.Close].
var ErrClosed = errors.New("store: closed")

// ErrSchemaTooNew is wrapped by the error [Open] returns when the database
// was migrated by a newer release of this package than the one running.
// Downgrading a database is not supported: run the newer release, or
// restore a backup.
var ErrSchemaTooNew = errors.New("store: database schema is newer than this release")

// DSNError reports a data source name that [Open] cannot use. Its message
// names what was wrong; it never contains a password.
type DSNError struct {
	// DSN is the data source name with any password replaced by "xxxxx".
	DSN string
	// Reason says what was wrong, in words.
	Reason string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error: `store: bad DSN "x": <reason>: <cause>`.
func (e *DSNError) Error() string {
	s := fmt.Sprintf("store: bad DSN %q: %s", e.DSN, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *DSNError) Unwrap() error { return e.Err }

// MigrationError reports a schema migration that failed. The database is
// left at the version before the failed migration, since each migration
// runs in its own transaction.
type MigrationError struct {
	// Version is the migration that failed.
	Version int
	// Name is the migration's file name, such as "0001_replay.sql".
	Name string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *MigrationError) Error() string {
	return fmt.Sprintf("store: migration %d (%s): %v", e.Version, e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *MigrationError) Unwrap() error { return e.Err }

// unavailable returns err wrapping [share.ErrUnavailable] as well when it
// says that the database is out of reach for the moment, and err itself
// otherwise. The database methods pass every error through it, so each
// store method reports an outage the same way on both engines.
func unavailable(err error) error {
	if err == nil || errors.Is(err, share.ErrUnavailable) || !transient(err) {
		return err
	}
	return fmt.Errorf("%w: %w", share.ErrUnavailable, err)
}

// transient reports whether err is an outage that retrying later may
// cure: a connection refused, reset or ended by the server, a server
// starting or shutting down, a SQLite database busy or locked. Errors of
// the caller's context are not.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}

	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return transientSQLState(pe.Code)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return false
	}

	var ne net.Error
	switch {
	case errors.As(err, &ne):
		return true
	case errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// transientSQLState reports whether a PostgreSQL error code is an outage:
// class 08 (connection exception), or 57P01 admin_shutdown, 57P02
// crash_shutdown and 57P03 cannot_connect_now.
func transientSQLState(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03":
		return true
	}
	return len(code) == 5 && code[:2] == "08"
}
