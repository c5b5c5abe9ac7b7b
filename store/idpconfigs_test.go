package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secureshare/secureshare/idp"
)

func TestIDPConfigErrorsNameTheIDP(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{DSN: "memory:"})
	defer s.Close()
	okta := idp.StoredConfig{Config: idp.Config{Name: "acme", EntityID: "urn:acme"}}
	_, err := s.PutIDPConfig(ctx, okta)
	require.NoError(t, err)

	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"read", func() error { _, err := s.IDPConfig(ctx, "nope"); return err },
			`store: reading IdP "nope": idp: configuration not found`},
		{"delete", func() error { return s.DeleteIDPConfig(ctx, "nope") },
			`store: deleting IdP "nope": idp: configuration not found`},
		{"create with a taken name", func() error {
			_, err := s.PutIDPConfig(ctx, idp.StoredConfig{Config: idp.Config{Name: "acme"}})
			return err
		}, `store: storing IdP "acme": an IdP with this name exists: idp: configuration conflict`},
		{"create with a taken entity ID", func() error {
			_, err := s.PutIDPConfig(ctx, idp.StoredConfig{Config: idp.Config{Name: "acme-2",
				EntityID: "urn:acme"}})
			return err
		}, `store: storing IdP "acme-2": entity ID "urn:acme" is already that of IdP "acme": ` +
			`idp: configuration conflict`},
		{"stale version", func() error {
			c := okta
			c.Version = 7
			_, err := s.PutIDPConfig(ctx, c)
			return err
		}, `store: storing IdP "acme": updating version 7, but version 1 is stored: ` +
			`idp: configuration conflict`},
		{"update of a missing IdP", func() error {
			_, err := s.PutIDPConfig(ctx, idp.StoredConfig{Config: idp.Config{Name: "nope"},
				Version: 1})
			return err
		}, `store: storing IdP "nope": idp: configuration not found`},
		{"empty name", func() error {
			_, err := s.PutIDPConfig(ctx, idp.StoredConfig{})
			return err
		}, `store: storing IdP: empty name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, tc.err(), tc.want)
		})
	}
}

func TestIDPConfigMethodsAfterClose(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{DSN: "memory:"})
	require.NoError(t, s.Close())

	_, err := s.IDPConfig(ctx, "acme")
	assert.ErrorIs(t, err, ErrClosed, "IDPConfig")
	_, err = s.ListIDPConfigs(ctx)
	assert.ErrorIs(t, err, ErrClosed, "ListIDPConfigs")
	_, err = s.PutIDPConfig(ctx, idp.StoredConfig{Config: idp.Config{Name: "acme"}})
	assert.ErrorIs(t, err, ErrClosed, "PutIDPConfig")
	assert.ErrorIs(t, s.DeleteIDPConfig(ctx, "acme"), ErrClosed, "DeleteIDPConfig")
}

func TestIDPConfigCorruptRow(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{DSN: "memory:"})
	defer s.Close()
	_, err := s.PutIDPConfig(ctx, idp.StoredConfig{Config: idp.Config{Name: "acme"}})
	require.NoError(t, err)
	_, err = s.db.exec(ctx, `UPDATE idp_configs SET config = ? WHERE name = ?`,
		`{"signing_certificates": ["bm90IGEgY2VydA=="]}`, "acme")
	require.NoError(t, err)

	_, err = s.IDPConfig(ctx, "acme")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `store: reading IdP "acme": idp: decoding configuration: `+
		`signing certificate 1: not a DER certificate`)
	_, err = s.ListIDPConfigs(ctx)
	assert.ErrorContains(t, err, `store: listing IdPs: reading IdP "acme": idp: decoding`)
}

// TestMigrateIDPConfigsKeepsData upgrades a database written before IdP
// configurations were stored, and checks that its data survives.
func TestMigrateIDPConfigsKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	ms, err := loadMigrations("sqlite")
	require.NoError(t, err)
	require.Greater(t, len(ms), 2)
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,
		name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	require.NoError(t, err)
	for _, m := range ms[:2] {
		_, err := db.Exec(m.sql)
		require.NoError(t, err, m.name)
		_, err = db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.version, m.name)
		require.NoError(t, err)
	}
	_, err = db.Exec(`INSERT INTO replay_cache (id, expires) VALUES ('_kept', 1)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s := openTest(t, Config{DSN: "sqlite:" + path})
	defer s.Close()
	assert.Equal(t, allVersions(t), schemaVersions(t, s))
	var n int
	require.NoError(t, s.db.queryRow(ctx, `SELECT COUNT(*) FROM replay_cache`).Scan(&n))
	assert.Equal(t, 1, n, "rows of older tables")
	_, err = s.PutIDPConfig(ctx, idp.StoredConfig{Config: idp.Config{Name: "acme"}})
	assert.NoError(t, err, "the new table is usable")
}
