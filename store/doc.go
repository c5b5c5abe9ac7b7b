// Package store keeps Secure Share's state: links, space settings, viewer
// sessions, the audit log, outstanding AuthnRequests, IdP configurations
// (with their imported metadata and its fetch state) and the SAML replay
// cache. It implements the storage interfaces that other packages declare
// ([share.Store], [idp.ConfigStore] and [saml.ReplayCache]) on three
// backends, chosen by a data source name:
//
//	memory:                       this process only; gone on Close
//	sqlite:/var/lib/ss/share.db   one file; the default for one instance
//	postgres://user:pw@host/db    shared by every instance behind a load balancer
//
// One [*Store] satisfies every interface, so a host application opens it
// once and hands it to each package:
//
//	st, err := store.Open(ctx, "sqlite:/var/lib/secureshare/share.db")
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//	// st is a share.Store, an idp.ConfigStore and a saml.ReplayCache.
//
// # Backends
//
// The memory backend is SQLite on a private in-memory database, so all
// three backends run the same SQL and behave the same way; only PostgreSQL
// needs a dialect of its own.
//
// The SQLite backend uses modernc.org/sqlite (no cgo). It opens the file in
// WAL mode with synchronous=FULL, foreign keys on and a busy timeout
// ([Config].BusyTimeout), and starts transactions IMMEDIATE. Within one
// Store, writers queue in Go for their turn (for at most BusyTimeout)
// rather than poll SQLite's lock, and statements are prepared once and
// kept. A write that returned nil survives the process being killed and,
// on a disk that honours fsync, the machine losing power.
//
// The PostgreSQL backend uses a github.com/jackc/pgx/v5 pool. Several
// instances may open one database at the same time.
//
// # Schema migrations
//
// The schema is embedded in the package and versioned in a
// schema_migrations table. [Open] applies the versions the database lacks
// in one transaction, so an upgrade either completes or leaves the
// database as it was. On PostgreSQL the transaction first takes an
// advisory lock, so that instances starting together migrate one at a
// time. A database migrated by a newer release is refused
// ([ErrSchemaTooNew]) rather than used.
//
// # IdP configurations
//
// [Store.PutIDPConfig] keeps each IdP's configuration as JSON
// ([idp.Config.MarshalJSON]) beside the metadata document it was imported
// from, that document's HTTP validators and the outcome of the last
// fetch, so that an instance can start, and check responses, while the
// IdP's metadata URL is unreachable. Writes are optimistic: an update
// names the version it read, and is one conditional statement, so that of
// two admins (or two instances) editing one version, one wins and the
// other gets [idp.ErrConflict] instead of silently losing its change.
//
// # Expiry
//
// Replay-cache entries, sessions and AuthnRequest states expire. Nothing
// depends on sweeping them: [Store.ClaimAssertion] and
// [Store.ConsumeAuthnRequest] check expiry, and package share checks
// sessions. [Store.Sweep] (or [Store.SweepLoop], run in a goroutine)
// deletes expired rows so that tables stay small. Links and
// audit events are never deleted by the store.
//
// # Conformance
//
// Package storetest is the conformance suite these backends pass; a
// backend of one's own can run it too. The benchmarks measure link lookup
// by token and replay-cache claims on each backend:
//
//	eval "$(.ci/postgres.sh)"  # optional: adds PostgreSQL
//	go test ./store -run '^$' -bench .
package store
