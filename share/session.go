package share

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secureshare/secureshare/idp"
)

// Session is a viewer's signed-in state, created after a validated SAML
// login. The session ID itself is a secret held only by the viewer's
// browser; the record is keyed by its SHA-256 digest.
type Session struct {
	// IDHash is the SHA-256 digest of the session ID. It is unique.
	IDHash Digest
	// Profile is the viewer as the IdP described them at login. Its IDP,
	// NameID.Value and SessionIndex fields identify the session for Single
	// Logout.
	Profile idp.Profile
	// Created is when the session began.
	Created time.Time
	// LastSeen is the last time the session was used, updated at most
	// once per [SessionTouchInterval].
	LastSeen time.Time
	// Expires is the absolute end of the session, never later than the
	// IdP's SessionNotOnOrAfter.
	Expires time.Time
	// IdleTimeout ends the session when it has not been used for that
	// long; zero means no idle limit.
	IdleTimeout time.Duration
}

// SessionTouchInterval is how stale LastSeen may grow before a use of the
// session writes it again. It bounds the writes a busy viewer causes; the
// idle timeout is therefore enforced to within this interval.
const SessionTouchInterval = time.Minute

// ExpiredAt reports whether the session has ended, by absolute lifetime or
// by idleness, at now.
func (s *Session) ExpiredAt(now time.Time) bool {
	if !now.Before(s.Expires) {
		return true
	}
	return s.IdleTimeout > 0 && now.Sub(s.LastSeen) >= s.IdleTimeout
}

// SessionMatch selects the sessions a Single Logout request ends (SAML 2.0
// Profiles, section 4.4.4.1). IDP and NameID are required; SessionIndex,
// when non-empty, narrows the match to that IdP session.
type SessionMatch struct {
	// IDP is the IdP configuration name (Profile.IDP).
	IDP string
	// NameID is the subject's NameID value (Profile.NameID.Value).
	NameID string
	// SessionIndex is the IdP session (Profile.SessionIndex); empty
	// matches every session of the subject at that IdP.
	SessionIndex string
}

// StartSession creates a session for a viewer whose login was validated
// and mapped to p, and records the login. idpSessionEnd is the assertion's
// SessionNotOnOrAfter (zero when the IdP set none); the session ends at the
// earliest of it and the configured lifetime. The returned session ID is
// the viewer's secret: put it in their cookie; only its digest is stored.
//
// StartSession does not validate the login; the caller must have done so
// with the saml and idp packages.
func (s *Service) StartSession(ctx context.Context, p idp.Profile,
	idpSessionEnd time.Time) (Session, string, error) {
	if p.IDP == "" || p.Email == "" {
		return Session{}, "", &ValidationError{Field: "Profile",
			Msg: "a session needs the profile's IDP and Email"}
	}
	now := s.now()
	expires := now.Add(s.sessionLife)
	if end := idpSessionEnd.UTC().Truncate(time.Microsecond); !end.IsZero() && end.Before(expires) {
		expires = end
	}
	if !expires.After(now) {
		return Session{}, "", fmt.Errorf("share: the IdP session has ended: %w", ErrExpired)
	}

	id, h, err := NewToken(s.rand)
	if err != nil {
		return Session{}, "", err
	}
	sess := Session{IDHash: h, Profile: p, Created: now, LastSeen: now, Expires: expires,
		IdleTimeout: s.idle}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return Session{}, "", fmt.Errorf("share: creating session: %w", err)
	}
	err = s.record(ctx, AuditEvent{Time: now, Kind: EventLoginSucceeded, Actor: p.Email,
		IDP: p.IDP})
	return sess, id, err
}

// Session returns the live session with the given ID and marks it used.
// It returns an error wrapping [ErrNotFound] when there is none (or id is
// malformed) and one wrapping [ErrExpired] when it has ended, which also
// deletes it.
func (s *Service) Session(ctx context.Context, id string) (Session, error) {
	sess, err := s.liveSession(ctx, id)
	if err != nil {
		return Session{}, err
	}

	now := s.now()
	if now.Sub(sess.LastSeen) >= SessionTouchInterval {
		if err := s.store.TouchSession(ctx, sess.IDHash, now); err != nil {
			return Session{}, fmt.Errorf("share: touching session: %w", err)
		}
		sess.LastSeen = now
	}
	return sess, nil
}

// RotateSession replaces the session's ID with a new one, as after a
// privilege change or periodically, and returns the new ID. The old ID
// stops working. The session keeps its profile and lifetimes.
func (s *Service) RotateSession(ctx context.Context, id string) (Session, string, error) {
	sess, err := s.liveSession(ctx, id)
	if err != nil {
		return Session{}, "", err
	}

	old := sess.IDHash
	newID, h, err := NewToken(s.rand)
	if err != nil {
		return Session{}, "", err
	}
	sess.IDHash, sess.LastSeen = h, s.now()
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return Session{}, "", fmt.Errorf("share: creating session: %w", err)
	}
	if err := s.store.DeleteSession(ctx, old); err != nil {
		return Session{}, "", fmt.Errorf("share: deleting old session: %w", err)
	}
	return sess, newID, nil
}

// EndSession ends the session with the given ID, as when the viewer logs
// out, and records the logout. Ending a session that does not exist is
// not an error.
func (s *Service) EndSession(ctx context.Context, id string) error {
	h, err := HashToken(id)
	if err != nil {
		return nil
	}
	sess, err := s.store.Session(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("share: reading session: %w", err)
	}

	if err := s.store.DeleteSession(ctx, h); err != nil {
		return fmt.Errorf("share: deleting session: %w", err)
	}
	return s.record(ctx, AuditEvent{Kind: EventLogout, Actor: sess.Profile.Email,
		IDP: sess.Profile.IDP, Detail: "viewer logged out"})
}

// EndSessions ends the sessions a Single Logout request names (SAML 2.0
// Profiles, section 4.4) and records the logout. It returns how many
// ended. The caller must have validated the LogoutRequest.
func (s *Service) EndSessions(ctx context.Context, m SessionMatch) (int, error) {
	if m.IDP == "" || m.NameID == "" {
		return 0, &ValidationError{Field: "SessionMatch", Msg: "IDP and NameID are required"}
	}
	n, err := s.store.DeleteSessions(ctx, m)
	if err != nil {
		return 0, fmt.Errorf("share: deleting sessions: %w", err)
	}
	err = s.record(ctx, AuditEvent{Kind: EventLogout, Actor: m.NameID, IDP: m.IDP,
		Detail: fmt.Sprintf("single logout ended %d session(s)", n)})
	return n, err
}

// liveSession returns the session with the given ID if it has not ended;
// an ended one is deleted.
func (s *Service) liveSession(ctx context.Context, id string) (Session, error) {
	h, err := HashToken(id)
	if err != nil {
		return Session{}, fmt.Errorf("share: reading session: %w", ErrNotFound)
	}
	sess, err := s.store.Session(ctx, h)
	if err != nil {
		return Session{}, fmt.Errorf("share: reading session: %w", err)
	}

	if sess.ExpiredAt(s.now()) {
		if err := s.store.DeleteSession(ctx, h); err != nil {
			return Session{}, fmt.Errorf("share: deleting ended session: %w", err)
		}
		return Session{}, fmt.Errorf("share: session ended: %w", ErrExpired)
	}
	return sess, nil
}
