package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secureshare/secureshare/share"
)

// SaveAuthnRequest implements [share.RequestStore].
func (s *Store) SaveAuthnRequest(ctx context.Context, st share.AuthnRequestState) error {
	if err := s.check(); err != nil {
		return err
	}

	_, err := s.db.exec(ctx, `INSERT INTO authn_requests (id, idp, return_to, created, expires)
		VALUES (?, ?, ?, ?, ?)`,
		st.ID, st.IDP, st.ReturnTo, st.Created.UnixMicro(), st.Expires.UnixMicro())
	if s.db.isConflict(err) {
		return fmt.Errorf("store: saving AuthnRequest %q: %w", st.ID, share.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: saving AuthnRequest %q: %w", st.ID, err)
	}
	return nil
}

// ConsumeAuthnRequest implements [share.RequestStore]. It deletes the
// state and reads it back in one statement (DELETE ... RETURNING), so of
// several concurrent calls for one ID exactly one finds it.
func (s *Store) ConsumeAuthnRequest(
	ctx context.Context, id string, now time.Time,
) (share.AuthnRequestState, error) {
	if err := s.check(); err != nil {
		return share.AuthnRequestState{}, err
	}

	st := share.AuthnRequestState{ID: id}
	var created, expires int64
	err := s.db.queryRow(ctx, `DELETE FROM authn_requests WHERE id = ?
		RETURNING idp, return_to, created, expires`, id).
		Scan(&st.IDP, &st.ReturnTo, &created, &expires)
	if errors.Is(err, errNoRows) {
		return share.AuthnRequestState{}, fmt.Errorf("store: consuming AuthnRequest %q: %w",
			id, share.ErrNotFound)
	}
	if err != nil {
		return share.AuthnRequestState{}, fmt.Errorf("store: consuming AuthnRequest %q: %w", id, err)
	}

	st.Created = microTime(created)
	st.Expires = microTime(expires)
	if !now.Before(st.Expires) {
		return share.AuthnRequestState{}, fmt.Errorf("store: consuming AuthnRequest %q: %w",
			id, share.ErrExpired)
	}
	return st, nil
}
