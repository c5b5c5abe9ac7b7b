-- IdP configurations of the idp package, with the metadata they were
-- imported from and the state of fetching it again. The configuration is
-- the JSON of idp.Config; entity_id repeats its entity ID so that no two
-- configurations trust one IdP, and is NULL when empty. Times are
-- microseconds since the Unix epoch, UTC; NULL stands for the zero time.
-- version counts writes, for optimistic concurrency.
CREATE TABLE idp_configs (
	name TEXT COLLATE "C" PRIMARY KEY,
	entity_id TEXT COLLATE "C" UNIQUE,
	config TEXT NOT NULL,
	metadata_url TEXT NOT NULL,
	metadata BYTEA,
	etag TEXT NOT NULL,
	last_modified TEXT NOT NULL,
	fetched BIGINT,
	last_attempt BIGINT,
	last_error TEXT NOT NULL,
	updated BIGINT,
	updated_by TEXT NOT NULL,
	version BIGINT NOT NULL
);
