package idp

import (
	"context"
	"fmt"
	"time"
)

// StoredConfig is an IdP [Config] as a [ConfigStore] keeps it: the
// configuration itself, the metadata it was imported from, the state of
// fetching that metadata again, and who changed it last.
//
// The stored Metadata is what lets an instance start without reaching the
// IdP: [StoredConfig.ParsedMetadata] turns it back into a [*Metadata],
// which goes to [Config.ApplyMetadata] and, as [RefresherConfig].Initial,
// to a [Refresher] that then fetches a newer copy conditionally.
type StoredConfig struct {
	// Config is the IdP configuration. Its Name is the key of the stored
	// configuration and must not be empty; the store checks nothing else
	// (validate with [Config.Validate] before storing).
	Config Config

	// MetadataURL is where the metadata is fetched from; empty when the
	// metadata was pasted or uploaded, or the configuration typed by hand.
	MetadataURL string
	// Metadata is the last good metadata document, byte for byte as it
	// was received; nil when the configuration was typed by hand.
	Metadata []byte
	// ETag and LastModified are the HTTP validators sent with Metadata,
	// for a conditional fetch (RFC 9110, section 13.1); empty when the
	// server sent none or the metadata was not fetched.
	ETag         string
	LastModified string
	// FetchedAt is when Metadata was last fetched successfully or
	// confirmed unchanged (HTTP 304); zero when it was never fetched.
	FetchedAt time.Time
	// LastAttempt is when a fetch was last tried, successful or not;
	// zero when none was.
	LastAttempt time.Time
	// LastError describes the last fetch's failure, for an admin page;
	// empty when the last fetch succeeded or none was tried. It is text,
	// not an error: errors do not survive a store.
	LastError string

	// Updated is when the configuration was last changed, and UpdatedBy
	// who changed it (an admin's email address, say); the caller sets
	// both.
	Updated   time.Time
	UpdatedBy string

	// Version counts the writes of this configuration, for optimistic
	// concurrency: [ConfigStore.PutIDPConfig] creates when it is zero and
	// otherwise updates only the version read, so that an edit made from
	// a stale copy is refused rather than lost. The store sets it; it is 1
	// after creation and goes up by one with each update.
	Version int64
}

// ConfigStore keeps IdP configurations, keyed by [Config.Name]. The store
// package provides implementations.
//
// Implementations must be safe for concurrent use and, when several
// instances serve one SP, shared by all: of several updates of one
// version, on one store or on several over one database, exactly one
// succeeds. Returned values must not share slices with the store's own
// copy. Names and entity IDs are compared exactly.
type ConfigStore interface {
	// IDPConfig returns the configuration named name, or an error wrapping
	// ErrNotFound.
	IDPConfig(ctx context.Context, name string) (StoredConfig, error)

	// ListIDPConfigs returns every configuration, ordered by Name
	// (byte-wise); none is an empty list, not an error.
	ListIDPConfigs(ctx context.Context) ([]StoredConfig, error)

	// PutIDPConfig stores c and returns it as stored, with its new
	// Version. When c.Version is zero it creates the configuration, and
	// returns an error wrapping ErrConflict when one with the same Name,
	// or another with the same non-empty Config.EntityID, exists.
	// Otherwise it replaces every field of the stored configuration named
	// c.Config.Name, provided its Version is still c.Version: it returns
	// an error wrapping ErrNotFound when there is none, and one wrapping
	// ErrConflict when its Version differs or another configuration has
	// the same entity ID. A refused Put stores nothing. An empty Name or a
	// negative Version is an error; nothing else is validated.
	PutIDPConfig(ctx context.Context, c StoredConfig) (StoredConfig, error)

	// DeleteIDPConfig removes the configuration named name, whatever its
	// Version, or returns an error wrapping ErrNotFound.
	DeleteIDPConfig(ctx context.Context, name string) error
}

// ParsedMetadata parses the stored metadata document again for the stored
// entity (opts.EntityID defaults to Config.EntityID) and restores where it
// came from and its HTTP validators, so that a [Refresher] given it as
// Initial fetches conditionally. Expired metadata is refused as by
// [ParseMetadata]. It returns an error when no metadata is stored.
func (sc StoredConfig) ParsedMetadata(opts MetadataOptions) (*Metadata, error) {
	if len(sc.Metadata) == 0 {
		return nil, fmt.Errorf("idp: IdP %q has no stored metadata; "+
			"it was configured by hand", sc.Config.Name)
	}
	if opts.EntityID == "" {
		opts.EntityID = sc.Config.EntityID
	}
	md, err := ParseMetadata(sc.Metadata, opts)
	if err != nil {
		return nil, err
	}
	md.Source, md.ETag, md.LastModified = sc.MetadataURL, sc.ETag, sc.LastModified
	md.FetchedAt = sc.FetchedAt
	return md, nil
}
