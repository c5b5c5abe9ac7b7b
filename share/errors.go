package share

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers branch on them with [errors.Is]; storage
// implementations wrap them (fmt.Errorf("...: %w", share.ErrNotFound)) so
// that the Service can tell the cases apart.
var (
	// ErrNotFound means no record has the key asked for. Every lookup in
	// the storage interfaces returns an error wrapping ErrNotFound, never a
	// zero value and a nil error, when nothing matches.
	ErrNotFound = errors.New("share: not found")

	// ErrConflict means a create or update would break a uniqueness rule:
	// a link ID or token hash, a session ID hash, or an AuthnRequest ID
	// that is already stored.
	ErrConflict = errors.New("share: conflict")

	// ErrInvalidCursor means a listing was given a cursor that the store
	// did not produce.
	ErrInvalidCursor = errors.New("share: invalid cursor")

	// ErrExpired means a session or AuthnRequest state exists but its
	// lifetime has passed.
	ErrExpired = errors.New("share: expired")

	// ErrRevoked means an operation needs a link that is not revoked.
	ErrRevoked = errors.New("share: link revoked")

	// ErrInvalidToken means a link token or session ID is not in the form
	// [NewToken] produces. It never says more, and never contains the
	// token.
	ErrInvalidToken = errors.New("share: invalid token")

	// ErrUnavailable means the storage could not be reached or could not
	// answer for a while: the connection was refused or reset, the server
	// is starting or shutting down, an administrator ended the connection,
	// or a SQLite database stayed locked past its busy timeout. The same
	// call may succeed in a moment. Implementations wrap it together with
	// the original error, whose text says what happened; a context's
	// cancellation or deadline is not wrapped in it.
	ErrUnavailable = errors.New("share: storage temporarily unavailable")
)

// ValidationError reports a value that a Service refuses to store, such as
// a link whose expiry exceeds its space's maximum lifetime. Field names the
// offending field as it is spelled in Go; Want and Got are the compared
// values when there are any.
type ValidationError struct {
	// Field is the struct field at fault, such as "Expires" or
	// "Policy.Domains".
	Field string
	// Msg says what is wrong, in words.
	Msg string
	// Want and Got are the limit and the value given; either may be empty.
	Want string
	Got  string
}

// Error implements error: "share: invalid <field>: <msg> (want "x", got "y")".
func (e *ValidationError) Error() string {
	return "share: invalid " + e.Field + ": " + e.Msg + e.Compared()
}

// Compared is the values the check compared, for a message of the
// caller's own: ` (want "x", got "y")`, ` (got "y")` when nothing in
// particular was wanted, or "" when neither is set.
func (e *ValidationError) Compared() string {
	switch {
	case e.Want != "":
		return fmt.Sprintf(" (want %q, got %q)", e.Want, e.Got)
	case e.Got != "":
		return fmt.Sprintf(" (got %q)", e.Got)
	}
	return ""
}
