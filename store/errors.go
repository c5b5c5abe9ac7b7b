package store

import (
	"errors"
	"fmt"
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
