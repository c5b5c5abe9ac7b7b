package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/secureshare/secureshare/share"
)

// SpaceSettings implements [share.SpaceStore].
func (s *Store) SpaceSettings(ctx context.Context, key string) (share.Space, error) {
	if err := s.check(); err != nil {
		return share.Space{}, err
	}

	var (
		sp                 = share.Space{Key: key}
		idps               string
		dflt, max          int64
		suspended, updated sql.NullInt64
	)
	err := s.db.queryRow(ctx, `SELECT sso_enforced, idps, default_lifetime, max_lifetime,
		exclude_label, suspended, suspended_by, updated, updated_by
		FROM spaces WHERE space_key = ?`, key).Scan(&sp.SSOEnforced, &idps, &dflt, &max,
		&sp.ExcludeLabel, &suspended, &sp.SuspendedBy, &updated, &sp.UpdatedBy)
	if errors.Is(err, errNoRows) {
		return share.Space{}, fmt.Errorf("store: reading space %q: %w", key, share.ErrNotFound)
	}
	if err != nil {
		return share.Space{}, fmt.Errorf("store: reading space %q: %w", key, err)
	}

	if err := json.Unmarshal([]byte(idps), &sp.IDPs); err != nil {
		return share.Space{}, fmt.Errorf("store: reading space %q: decoding IdPs: %w", key, err)
	}
	sp.DefaultLifetime = time.Duration(dflt)
	sp.MaxLifetime = time.Duration(max)
	sp.Suspended = goTime(suspended)
	sp.Updated = goTime(updated)
	return sp, nil
}

// PutSpaceSettings implements [share.SpaceStore].
func (s *Store) PutSpaceSettings(ctx context.Context, sp share.Space) error {
	if err := s.check(); err != nil {
		return err
	}
	idps, err := json.Marshal(sp.IDPs)
	if err != nil {
		return fmt.Errorf("store: storing space %q: encoding IdPs: %w", sp.Key, err)
	}

	_, err = s.db.exec(ctx, `INSERT INTO spaces (space_key, sso_enforced, idps,
		default_lifetime, max_lifetime, exclude_label, suspended, suspended_by, updated,
		updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (space_key) DO UPDATE SET sso_enforced = excluded.sso_enforced,
		idps = excluded.idps, default_lifetime = excluded.default_lifetime,
		max_lifetime = excluded.max_lifetime, exclude_label = excluded.exclude_label,
		suspended = excluded.suspended, suspended_by = excluded.suspended_by,
		updated = excluded.updated, updated_by = excluded.updated_by`,
		sp.Key, sp.SSOEnforced, string(idps), int64(sp.DefaultLifetime), int64(sp.MaxLifetime),
		sp.ExcludeLabel, dbTime(sp.Suspended), sp.SuspendedBy, dbTime(sp.Updated), sp.UpdatedBy)
	if err != nil {
		return fmt.Errorf("store: storing space %q: %w", sp.Key, err)
	}
	return nil
}
