package share

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Defaults for the durations in [Config].
const (
	DefaultSessionLifetime    = 8 * time.Hour
	DefaultSessionIdleTimeout = 30 * time.Minute
	DefaultRequestLifetime    = 5 * time.Minute
)

// Config configures a [Service]. Only Store is required; the zero value of
// every other field is a safe default.
type Config struct {
	// Store keeps links, spaces, sessions, audit events and outstanding
	// AuthnRequests. It is required. The store package provides
	// implementations; a user's own must pass store/storetest.
	Store Store
	// Now is the clock; nil means time.Now. Times are truncated to
	// microseconds before they are stored.
	Now func() time.Time
	// Rand is the source of link tokens, session IDs and record IDs; nil
	// means crypto/rand.Reader. Anything else must be a cryptographically
	// secure generator too, except in tests.
	Rand io.Reader
	// Logger receives warnings the Service cannot return as errors, such
	// as an audit event that could not be stored after a denial; nil means
	// discard.
	Logger *slog.Logger
	// SessionLifetime is the longest a viewer session lasts; zero means
	// DefaultSessionLifetime. A session never outlives the IdP's
	// SessionNotOnOrAfter either.
	SessionLifetime time.Duration
	// SessionIdleTimeout ends a session unused for that long; zero means
	// DefaultSessionIdleTimeout.
	SessionIdleTimeout time.Duration
	// RequestLifetime is how long an AuthnRequest may go unanswered; zero
	// means DefaultRequestLifetime.
	RequestLifetime time.Duration
}

// Service is what a host application calls to share content: it creates
// and revokes links, opens them for viewers, keeps sessions and space
// settings, and records every step in the audit log. It keeps no state of
// its own beyond its Config, so several instances may share one Store.
//
// A Service is safe for concurrent use.
type Service struct {
	store       Store
	clock       func() time.Time
	rand        io.Reader
	log         *slog.Logger
	sessionLife time.Duration
	idle        time.Duration
	requestLife time.Duration
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, &ValidationError{Field: "Store", Msg: "a store is required"}
	}
	if cfg.SessionLifetime < 0 || cfg.SessionIdleTimeout < 0 || cfg.RequestLifetime < 0 {
		return nil, &ValidationError{Field: "Config", Msg: "durations must not be negative"}
	}

	s := &Service{
		store:       cfg.Store,
		clock:       cfg.Now,
		rand:        cfg.Rand,
		log:         cfg.Logger,
		sessionLife: orDefault(cfg.SessionLifetime, DefaultSessionLifetime),
		idle:        orDefault(cfg.SessionIdleTimeout, DefaultSessionIdleTimeout),
		requestLife: orDefault(cfg.RequestLifetime, DefaultRequestLifetime),
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// now returns the clock's time in UTC, truncated to what stores keep.
func (s *Service) now() time.Time {
	return s.clock().UTC().Truncate(time.Microsecond)
}

// newID returns 128 random bits in hex, for record IDs that are not
// secret.
func (s *Service) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("share: reading random bytes: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// record stores an audit event, filling in its ID and time.
func (s *Service) record(ctx context.Context, e AuditEvent) error {
	id, err := s.newID()
	if err != nil {
		return err
	}
	e.ID = id
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.WarnContext(ctx, "share: audit event not stored",
			slog.String("kind", string(e.Kind)), slog.String("link", e.LinkID),
			slog.Any("error", err))
		return fmt.Errorf("share: recording %s: %w", e.Kind, err)
	}
	return nil
}

// spaceOrDefault returns the stored settings of key, or defaults when none
// were stored.
func (s *Service) spaceOrDefault(ctx context.Context, key string) (Space, error) {
	sp, err := s.store.SpaceSettings(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return Space{Key: key}, nil
	}
	if err != nil {
		return Space{}, fmt.Errorf("share: reading space %q: %w", key, err)
	}
	return sp, nil
}

// orDefault returns d when v is zero.
func orDefault(v, d time.Duration) time.Duration {
	if v == 0 {
		return d
	}
	return v
}
