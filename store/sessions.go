package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/share"
)

// CreateSession implements [share.SessionStore]. The profile is stored as
// JSON, with its IdP, NameID value and SessionIndex also kept in columns
// of their own for [Store.DeleteSessions].
func (s *Store) CreateSession(ctx context.Context, sess share.Session) error {
	if err := s.check(); err != nil {
		return err
	}
	profile, err := json.Marshal(sess.Profile)
	if err != nil {
		return fmt.Errorf("store: creating session: encoding profile: %w", err)
	}

	p := sess.Profile
	_, err = s.db.exec(ctx, `INSERT INTO sessions (id_hash, idp, name_id, session_index,
		profile, created, last_seen, expires, idle_timeout)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sess.IDHash[:], p.IDP, p.NameID.Value, p.SessionIndex, string(profile),
		sess.Created.UnixMicro(), sess.LastSeen.UnixMicro(), sess.Expires.UnixMicro(),
		int64(sess.IdleTimeout))
	if s.db.isConflict(err) {
		return fmt.Errorf("store: creating session: %w", share.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: creating session: %w", err)
	}
	return nil
}

// Session implements [share.SessionStore]. It returns expired sessions
// that have not been swept yet; the caller checks expiry.
func (s *Store) Session(ctx context.Context, h share.Digest) (share.Session, error) {
	if err := s.check(); err != nil {
		return share.Session{}, err
	}

	var (
		sess                             = share.Session{IDHash: h}
		profile                          string
		created, lastSeen, expires, idle int64
	)
	err := s.db.queryRow(ctx, `SELECT profile, created, last_seen, expires, idle_timeout
		FROM sessions WHERE id_hash = ?`, h[:]).Scan(&profile, &created, &lastSeen, &expires, &idle)
	if errors.Is(err, errNoRows) {
		return share.Session{}, fmt.Errorf("store: reading session: %w", share.ErrNotFound)
	}
	if err != nil {
		return share.Session{}, fmt.Errorf("store: reading session: %w", err)
	}

	var p idp.Profile
	if err := json.Unmarshal([]byte(profile), &p); err != nil {
		return share.Session{}, fmt.Errorf("store: reading session: decoding profile: %w", err)
	}
	sess.Profile = p
	sess.Created = microTime(created)
	sess.LastSeen = microTime(lastSeen)
	sess.Expires = microTime(expires)
	sess.IdleTimeout = time.Duration(idle)
	return sess, nil
}

// TouchSession implements [share.SessionStore].
func (s *Store) TouchSession(ctx context.Context, h share.Digest, lastSeen time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	n, err := s.db.exec(ctx, `UPDATE sessions SET last_seen = ? WHERE id_hash = ?`,
		lastSeen.UnixMicro(), h[:])
	if err != nil {
		return fmt.Errorf("store: touching session: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store: touching session: %w", share.ErrNotFound)
	}
	return nil
}

// DeleteSession implements [share.SessionStore].
func (s *Store) DeleteSession(ctx context.Context, h share.Digest) error {
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.db.exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, h[:]); err != nil {
		return fmt.Errorf("store: deleting session: %w", err)
	}
	return nil
}

// DeleteSessions implements [share.SessionStore].
func (s *Store) DeleteSessions(ctx context.Context, m share.SessionMatch) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if m.IDP == "" || m.NameID == "" {
		return 0, nil
	}

	q := `DELETE FROM sessions WHERE idp = ? AND name_id = ?`
	args := []any{m.IDP, m.NameID}
	if m.SessionIndex != "" {
		q += ` AND session_index = ?`
		args = append(args, m.SessionIndex)
	}
	n, err := s.db.exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("store: deleting sessions: %w", err)
	}
	return int(n), nil
}
