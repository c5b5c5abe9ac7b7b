-- The SAML replay cache: assertion IDs already accepted, until they expire.
-- Times are microseconds since the Unix epoch, UTC.
CREATE TABLE replay_cache (
	id TEXT COLLATE "C" PRIMARY KEY,
	expires BIGINT NOT NULL
);
CREATE INDEX replay_cache_expires ON replay_cache (expires);
