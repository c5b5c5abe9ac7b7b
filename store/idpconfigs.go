package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/secureshare/secureshare/idp"
)

// idpConfigColumns lists the idp_configs table in the order
// scanIDPConfig reads it.
const idpConfigColumns = `name, config, metadata_url, metadata, etag, last_modified, fetched,
	last_attempt, last_error, updated, updated_by, version`

// IDPConfig implements [idp.ConfigStore].
func (s *Store) IDPConfig(ctx context.Context, name string) (idp.StoredConfig, error) {
	if err := s.check(); err != nil {
		return idp.StoredConfig{}, err
	}
	r := s.db.queryRow(ctx, `SELECT `+idpConfigColumns+` FROM idp_configs WHERE name = ?`, name)
	c, err := scanIDPConfig(r)
	if err != nil {
		return idp.StoredConfig{}, fmt.Errorf("store: reading IdP %q: %w", name, err)
	}
	return c, nil
}

// ListIDPConfigs implements [idp.ConfigStore]. Names are ordered byte by
// byte on every backend.
func (s *Store) ListIDPConfigs(ctx context.Context) ([]idp.StoredConfig, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rs, err := s.db.query(ctx, `SELECT `+idpConfigColumns+` FROM idp_configs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: listing IdPs: %w", err)
	}
	defer rs.Close()

	configs := []idp.StoredConfig{}
	for rs.Next() {
		c, err := scanIDPConfig(rs)
		if err != nil && c.Config.Name != "" {
			return nil, fmt.Errorf("store: listing IdPs: reading IdP %q: %w", c.Config.Name, err)
		}
		if err != nil {
			return nil, fmt.Errorf("store: listing IdPs: %w", err)
		}
		configs = append(configs, c)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: listing IdPs: %w", err)
	}
	return configs, nil
}

// PutIDPConfig implements [idp.ConfigStore]. An update is one conditional
// statement, so that of several updates of one version, from one Store or
// several sharing a database, exactly one succeeds. The returned copy
// holds its times as the store keeps them (UTC, whole microseconds) and a
// nil Metadata for an empty one.
func (s *Store) PutIDPConfig(ctx context.Context, c idp.StoredConfig) (idp.StoredConfig, error) {
	if err := s.check(); err != nil {
		return idp.StoredConfig{}, err
	}
	name := c.Config.Name
	if name == "" {
		return idp.StoredConfig{}, errors.New("store: storing IdP: empty name")
	}
	if c.Version < 0 {
		return idp.StoredConfig{}, fmt.Errorf("store: storing IdP %q: negative version %d",
			name, c.Version)
	}
	cfg, err := c.Config.MarshalJSON()
	if err != nil {
		return idp.StoredConfig{}, fmt.Errorf("store: storing IdP %q: %w", name, err)
	}

	if c.Version == 0 {
		err = s.createIDPConfig(ctx, c, cfg)
	} else {
		err = s.updateIDPConfig(ctx, c, cfg)
	}
	if err != nil {
		return idp.StoredConfig{}, fmt.Errorf("store: storing IdP %q: %w", name, err)
	}
	return storedForm(c), nil
}

// DeleteIDPConfig implements [idp.ConfigStore].
func (s *Store) DeleteIDPConfig(ctx context.Context, name string) error {
	if err := s.check(); err != nil {
		return err
	}
	n, err := s.db.exec(ctx, `DELETE FROM idp_configs WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("store: deleting IdP %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("store: deleting IdP %q: %w", name, idp.ErrNotFound)
	}
	return nil
}

// createIDPConfig inserts c at version 1. A taken name or entity ID is
// idp.ErrConflict.
func (s *Store) createIDPConfig(ctx context.Context, c idp.StoredConfig, cfg []byte) error {
	_, err := s.db.exec(ctx, `INSERT INTO idp_configs (name, entity_id, config, metadata_url,
		metadata, etag, last_modified, fetched, last_attempt, last_error, updated, updated_by,
		version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		c.Config.Name, entityID(c.Config), string(cfg), c.MetadataURL, metadata(c.Metadata),
		c.ETag, c.LastModified, dbTime(c.FetchedAt), dbTime(c.LastAttempt), c.LastError,
		dbTime(c.Updated), c.UpdatedBy)
	if s.db.isConflict(err) {
		return fmt.Errorf("%s: %w", s.takenBy(ctx, c.Config), idp.ErrConflict)
	}
	return err
}

// updateIDPConfig replaces the configuration named c.Config.Name if its
// version is c.Version. When nothing matched, it reads the version to
// tell idp.ErrNotFound from idp.ErrConflict.
func (s *Store) updateIDPConfig(ctx context.Context, c idp.StoredConfig, cfg []byte) error {
	n, err := s.db.exec(ctx, `UPDATE idp_configs SET entity_id = ?, config = ?,
		metadata_url = ?, metadata = ?, etag = ?, last_modified = ?, fetched = ?,
		last_attempt = ?, last_error = ?, updated = ?, updated_by = ?, version = version + 1
		WHERE name = ? AND version = ?`,
		entityID(c.Config), string(cfg), c.MetadataURL, metadata(c.Metadata), c.ETag,
		c.LastModified, dbTime(c.FetchedAt), dbTime(c.LastAttempt), c.LastError,
		dbTime(c.Updated), c.UpdatedBy, c.Config.Name, c.Version)
	if s.db.isConflict(err) {
		return fmt.Errorf("%s: %w", s.takenBy(ctx, c.Config), idp.ErrConflict)
	}
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}

	var stored int64
	err = s.db.queryRow(ctx, `SELECT version FROM idp_configs WHERE name = ?`,
		c.Config.Name).Scan(&stored)
	if errors.Is(err, errNoRows) {
		return idp.ErrNotFound
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("updating version %d, but version %d is stored: %w", c.Version, stored,
		idp.ErrConflict)
}

// takenBy says, for an admin, what made storing c conflict: another IdP
// with its entity ID, or else one with its name. It is only a message: the
// database, not this extra read, decided the conflict.
func (s *Store) takenBy(ctx context.Context, c idp.Config) string {
	var other string
	err := s.db.queryRow(ctx, `SELECT name FROM idp_configs WHERE entity_id = ? AND name <> ?`,
		entityID(c), c.Name).Scan(&other)
	if err == nil {
		return fmt.Sprintf("entity ID %q is already that of IdP %q", c.EntityID, other)
	}
	return "an IdP with this name exists"
}

// scanIDPConfig reads one row of idpConfigColumns. No row becomes
// idp.ErrNotFound. When the row was read but its configuration cannot be
// decoded, the error comes with a StoredConfig holding only the name.
func scanIDPConfig(r row) (idp.StoredConfig, error) {
	var (
		c                         idp.StoredConfig
		name, cfg                 string
		fetched, attempt, updated sql.NullInt64
	)
	err := r.Scan(&name, &cfg, &c.MetadataURL, &c.Metadata, &c.ETag, &c.LastModified, &fetched,
		&attempt, &c.LastError, &updated, &c.UpdatedBy, &c.Version)
	if errors.Is(err, errNoRows) {
		return idp.StoredConfig{}, idp.ErrNotFound
	}
	if err != nil {
		return idp.StoredConfig{}, err
	}

	if err := json.Unmarshal([]byte(cfg), &c.Config); err != nil {
		return idp.StoredConfig{Config: idp.Config{Name: name}}, err
	}
	c.Config.Name = name
	if len(c.Metadata) == 0 {
		c.Metadata = nil
	}
	c.FetchedAt = goTime(fetched)
	c.LastAttempt = goTime(attempt)
	c.Updated = goTime(updated)
	return c, nil
}

// storedForm returns c as the store returns it after a successful Put:
// the next version, times in UTC to the microsecond, empty Metadata nil.
func storedForm(c idp.StoredConfig) idp.StoredConfig {
	c.Version++
	c.Metadata = metadata(c.Metadata)
	c.FetchedAt = microsOf(c.FetchedAt)
	c.LastAttempt = microsOf(c.LastAttempt)
	c.Updated = microsOf(c.Updated)
	return c
}

// entityID returns the stored form of c's entity ID: NULL when empty, so
// that configurations without one do not conflict.
func entityID(c idp.Config) any {
	if c.EntityID == "" {
		return nil
	}
	return c.EntityID
}

// metadata returns b, or nil when it is empty: the column is NULL then.
func metadata(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// microsOf returns t as it reads back from the store.
func microsOf(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return microTime(t.UnixMicro())
}
