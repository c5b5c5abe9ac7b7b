-- Links, spaces, sessions, audit events and AuthnRequest states of the
-- share package. Times are microseconds since the Unix epoch, UTC; NULL
-- stands for the zero time where a time is optional. Durations are
-- nanoseconds. Lists and profiles are JSON text.

CREATE TABLE links (
	id TEXT PRIMARY KEY,
	token_hash BLOB NOT NULL UNIQUE,
	space TEXT NOT NULL,
	scope TEXT NOT NULL,
	page_id TEXT NOT NULL,
	title TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created BIGINT NOT NULL,
	expires BIGINT,
	revoked BIGINT,
	revoked_by TEXT NOT NULL,
	policy TEXT NOT NULL
);
CREATE INDEX links_created ON links (created, id);
CREATE INDEX links_space ON links (space, created, id);

CREATE TABLE spaces (
	space_key TEXT PRIMARY KEY,
	sso_enforced INTEGER NOT NULL,
	idps TEXT NOT NULL,
	default_lifetime BIGINT NOT NULL,
	max_lifetime BIGINT NOT NULL,
	exclude_label TEXT NOT NULL,
	suspended BIGINT,
	suspended_by TEXT NOT NULL,
	updated BIGINT,
	updated_by TEXT NOT NULL
);

CREATE TABLE sessions (
	id_hash BLOB PRIMARY KEY,
	idp TEXT NOT NULL,
	name_id TEXT NOT NULL,
	session_index TEXT NOT NULL,
	profile TEXT NOT NULL,
	created BIGINT NOT NULL,
	last_seen BIGINT NOT NULL,
	expires BIGINT NOT NULL,
	idle_timeout BIGINT NOT NULL
);
CREATE INDEX sessions_subject ON sessions (idp, name_id);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE audit_events (
	id TEXT PRIMARY KEY,
	at BIGINT NOT NULL,
	kind TEXT NOT NULL,
	actor TEXT NOT NULL,
	idp TEXT NOT NULL,
	link_id TEXT NOT NULL,
	space TEXT NOT NULL,
	page_id TEXT NOT NULL,
	reason TEXT NOT NULL,
	detail TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_link ON audit_events (link_id, at, id);
CREATE INDEX audit_events_actor ON audit_events (actor, at, id);
CREATE INDEX audit_events_space ON audit_events (space, at, id);

CREATE TABLE authn_requests (
	id TEXT PRIMARY KEY,
	idp TEXT NOT NULL,
	return_to TEXT NOT NULL,
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL
);
CREATE INDEX authn_requests_expires ON authn_requests (expires);
