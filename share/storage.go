package share

import (
	"context"
	"time"
)

// Page sizes for the listing methods of the storage interfaces.
const (
	// DefaultPageSize is the number of records a listing returns when its
	// Limit is zero or negative.
	DefaultPageSize = 100
	// MaxPageSize is the most records one listing returns, whatever its
	// Limit.
	MaxPageSize = 1000
)

// Store is every storage interface a [Service] needs. The store package
// provides values that implement it (and saml.ReplayCache) at once.
//
// Every method of the storage interfaces returns an error wrapping
// [ErrUnavailable] when it failed because the storage is out of reach for
// the moment (a refused, reset or ended connection, a server starting or
// shutting down, a database locked past its busy timeout), so that a
// caller can ask its own caller to retry instead of reporting a fault. The
// error also wraps the original one. Errors of the context passed in are
// returned as they are, not wrapped in ErrUnavailable.
type Store interface {
	LinkStore
	SpaceStore
	SessionStore
	AuditStore
	RequestStore
}

// LinkStore keeps links.
//
// Implementations must be safe for concurrent use. Links are never deleted
// through this interface: revocation is an update. Returned values must not
// share slices with the store's own copy.
type LinkStore interface {
	// CreateLink stores a new link. It returns an error wrapping
	// ErrConflict when a link with the same ID or the same TokenHash
	// exists, and stores nothing then.
	CreateLink(ctx context.Context, l Link) error

	// UpdateLink replaces every field of the stored link that has l.ID,
	// including TokenHash. It returns an error wrapping ErrNotFound when
	// there is none, and one wrapping ErrConflict when l.TokenHash belongs
	// to another link. The last concurrent update wins.
	UpdateLink(ctx context.Context, l Link) error

	// Link returns the link with the given ID, or an error wrapping
	// ErrNotFound.
	Link(ctx context.Context, id string) (Link, error)

	// LinkByToken returns the link whose TokenHash is h, revoked or
	// expired or not, or an error wrapping ErrNotFound.
	LinkByToken(ctx context.Context, h Digest) (Link, error)

	// ListLinks returns links matching q, ordered by Created and then ID,
	// both ascending, at most q.Limit of them (see [LinkQuery]). next is
	// an opaque cursor for the following page. It is empty when this page
	// is the last; it may be non-empty after a full page even when no
	// links remain, and the following call then returns none and an empty
	// next. Links created after a query began appear on later pages
	// if they sort after the cursor. An unparsable cursor is an error
	// wrapping ErrInvalidCursor.
	ListLinks(ctx context.Context, q LinkQuery) (links []Link, next string, err error)
}

// LinkQuery selects links for [LinkStore.ListLinks]. Every non-zero field
// narrows the selection.
type LinkQuery struct {
	// Space selects links of one space key.
	Space string
	// PageID selects links whose PageID is this page.
	PageID string
	// CreatedBy selects links created by one admin, compared exactly.
	CreatedBy string
	// ExcludeRevoked leaves out links whose Revoked is set.
	ExcludeRevoked bool
	// Limit is the most links to return; zero or less means
	// [DefaultPageSize], and more than [MaxPageSize] means MaxPageSize.
	Limit int
	// Cursor continues a previous listing with the same filter: pass the
	// next value it returned. Empty starts from the beginning.
	Cursor string
}

// SpaceStore keeps per-space settings. Implementations must be safe for
// concurrent use.
type SpaceStore interface {
	// SpaceSettings returns the settings stored for the space key, or an
	// error wrapping ErrNotFound when none were ever stored.
	SpaceSettings(ctx context.Context, key string) (Space, error)

	// PutSpaceSettings stores s under s.Key, creating or replacing every
	// field. The last concurrent write wins.
	PutSpaceSettings(ctx context.Context, s Space) error
}

// SessionStore keeps viewer sessions, keyed by the digest of the session
// ID. Implementations must be safe for concurrent use. They may delete
// sessions whose Expires has passed at any time; they need not check
// expiry on reads, because the Service does.
type SessionStore interface {
	// CreateSession stores a new session. It returns an error wrapping
	// ErrConflict when a session with the same IDHash exists.
	CreateSession(ctx context.Context, s Session) error

	// Session returns the session whose IDHash is h, or an error wrapping
	// ErrNotFound.
	Session(ctx context.Context, h Digest) (Session, error)

	// TouchSession sets LastSeen of the session whose IDHash is h. It
	// returns an error wrapping ErrNotFound when there is none.
	TouchSession(ctx context.Context, h Digest, lastSeen time.Time) error

	// DeleteSession removes the session whose IDHash is h. Removing a
	// session that does not exist is not an error.
	DeleteSession(ctx context.Context, h Digest) error

	// DeleteSessions removes every session whose Profile.IDP equals m.IDP
	// and Profile.NameID.Value equals m.NameID and, when m.SessionIndex is
	// non-empty, Profile.SessionIndex equals m.SessionIndex; all compared
	// exactly. It returns how many it removed. An m with an empty IDP or
	// NameID removes nothing.
	DeleteSessions(ctx context.Context, m SessionMatch) (n int, err error)
}

// AuditStore keeps the audit log. It is append-only: events are never
// updated or deleted through this interface. Implementations must be safe
// for concurrent use.
type AuditStore interface {
	// AppendAudit stores e. It returns an error wrapping ErrConflict when
	// an event with e.ID exists.
	AppendAudit(ctx context.Context, e AuditEvent) error

	// QueryAudit returns events matching f, ordered by Time and then ID,
	// both ascending, at most f.Limit of them (see [AuditFilter]). next is
	// an opaque cursor for the following page, with the same rules as
	// [LinkStore.ListLinks]. An unparsable cursor is an error wrapping
	// ErrInvalidCursor.
	QueryAudit(ctx context.Context, f AuditFilter) (events []AuditEvent, next string, err error)
}

// RequestStore keeps the AuthnRequests sent and not yet answered. Each is
// consumed at most once: of several concurrent ConsumeAuthnRequest calls
// for one ID, exactly one succeeds. Implementations must be safe for
// concurrent use and, when several instances serve one SP, shared by all.
// They may delete expired states at any time.
type RequestStore interface {
	// SaveAuthnRequest stores st. It returns an error wrapping ErrConflict
	// when a state with st.ID exists.
	SaveAuthnRequest(ctx context.Context, st AuthnRequestState) error

	// ConsumeAuthnRequest removes the state with the given ID and returns
	// it. It returns an error wrapping ErrNotFound when there is none or
	// it was already consumed, and one wrapping ErrExpired (after removing
	// it) when its Expires is not after now.
	ConsumeAuthnRequest(ctx context.Context, id string, now time.Time) (AuthnRequestState, error)
}
