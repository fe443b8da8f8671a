-- 2: IoC stream notifications (package iocstream), one table for every stream, keyed by the
-- stream's name. Dates are Unix seconds; the filter keys' values are arrays for GIN look-ups.
CREATE TABLE ctifeed_ioc (
	stream       text COLLATE "C" NOT NULL,
	id           text COLLATE "C" NOT NULL,
	date         bigint NOT NULL,
	origin       text COLLATE "C" NOT NULL,
	entity_id    text COLLATE "C" NOT NULL,
	entity_type  text COLLATE "C" NOT NULL,
	source_types text[] COLLATE "C" NOT NULL,
	source_ids   text[] COLLATE "C" NOT NULL,
	tags         text[] COLLATE "C" NOT NULL,
	body         bytea NOT NULL,
	PRIMARY KEY (stream, id)
);
CREATE INDEX ctifeed_ioc_date ON ctifeed_ioc (stream, date, id);
CREATE INDEX ctifeed_ioc_entity ON ctifeed_ioc (stream, entity_id, date, id);
CREATE INDEX ctifeed_ioc_arrays ON ctifeed_ioc USING gin (source_ids, tags);
