-- 1: records, versions and the change log of one ctifeed platform.
-- Identifiers use the "C" collation so that the database orders them byte-wise, as Go does:
-- scan cursors compare (time, id) on both sides.

-- The log head: one row, locked by every writing transaction, so positions are assigned in
-- commit order. lsn numbers the events densely (1, 2, 3, …); (ms, seq) is the last position.
CREATE TABLE ctifeed_head (
	one         boolean PRIMARY KEY DEFAULT true CHECK (one),
	lsn         bigint NOT NULL DEFAULT 0,
	ms          bigint NOT NULL DEFAULT 0,
	seq         bigint NOT NULL DEFAULT 0,
	dropped_lsn bigint NOT NULL DEFAULT 0, -- the newest event retention removed (0: none)
	dropped_ms  bigint NOT NULL DEFAULT 0,
	dropped_seq bigint NOT NULL DEFAULT 0,
	origin_ms   bigint NOT NULL DEFAULT 0, -- the log never held an event at or before origin
	origin_seq  bigint NOT NULL DEFAULT 0,
	objects     bigint NOT NULL DEFAULT 0  -- current objects, for Count
);
INSERT INTO ctifeed_head DEFAULT VALUES;

-- An event holds no object: its Cur is the record row that starts at its lsn, its Prev
-- (and a merge's sources) the rows that end there. Retention drops an event together with
-- the rows that end at or before it, so a retained event always finds its objects.
CREATE TABLE ctifeed_log (
	lsn     bigint PRIMARY KEY,
	ms      bigint NOT NULL,
	seq     bigint NOT NULL,
	kind    smallint NOT NULL,
	id      text COLLATE "C" NOT NULL,
	sources text[] COLLATE "C"
);
CREATE UNIQUE INDEX ctifeed_log_pos ON ctifeed_log (ms, seq);

-- Every state an object was in while the log retains it: the row whose to_lsn is null is the
-- current record; a row is what was current for lsn in [from_lsn, to_lsn). Times are Unix
-- nanoseconds. The candidate columns (lower-cased) let filters be pushed down.
CREATE TABLE ctifeed_records (
	id         text COLLATE "C" NOT NULL,
	type       text COLLATE "C" NOT NULL,
	raw        bytea NOT NULL,
	added      bigint NOT NULL,
	updated    bigint NOT NULL,
	stored     bigint NOT NULL, -- when this version was stored (a merge may keep it current)
	from_lsn   bigint NOT NULL,
	to_lsn     bigint,
	ends       text[] COLLATE "C", -- a relationship's or sighting's ends, else null
	labels     text[] COLLATE "C",
	markings   text[] COLLATE "C",
	created_by text[] COLLATE "C",
	ids        text[] COLLATE "C",
	confidence double precision,
	scores     double precision[],
	-- Also the index of the reads by id as of a position, and of an event's Cur.
	PRIMARY KEY (id, from_lsn)
);
CREATE UNIQUE INDEX ctifeed_records_current ON ctifeed_records (id) WHERE to_lsn IS NULL;
CREATE INDEX ctifeed_records_added ON ctifeed_records (added, id) WHERE to_lsn IS NULL;
CREATE INDEX ctifeed_records_updated ON ctifeed_records (updated, id) WHERE to_lsn IS NULL;
CREATE INDEX ctifeed_records_type_added ON ctifeed_records (type, added, id) WHERE to_lsn IS NULL;
CREATE INDEX ctifeed_records_type_updated ON ctifeed_records (type, updated, id) WHERE to_lsn IS NULL;
CREATE INDEX ctifeed_records_ends ON ctifeed_records USING gin (ends) WHERE ends IS NOT NULL;
CREATE INDEX ctifeed_records_closed ON ctifeed_records (to_lsn) WHERE to_lsn IS NOT NULL;
-- The candidate columns have no index of their own: a scan's order makes the database walk
-- an ordered index anyway, and testing them on each row it meets is what saves the work
-- (rows that fail never leave the server); GIN indexes on them cost ingestion more.

-- The older versions of each current id (the current one is its record row), n ascending
-- by version.
CREATE TABLE ctifeed_versions (
	id     text COLLATE "C" NOT NULL,
	n      integer NOT NULL,
	raw    bytea NOT NULL,
	stored bigint NOT NULL,
	PRIMARY KEY (id, n)
);
