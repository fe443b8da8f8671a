-- 3: TAXII status resources (package taxii's StatusStore), shared by every node so that a
-- POST on one node can be polled on another. expires is Unix nanoseconds.
CREATE TABLE ctifeed_taxii_status (
	root    text COLLATE "C" NOT NULL,
	id      text COLLATE "C" NOT NULL,
	owner   text NOT NULL,
	expires bigint NOT NULL,
	status  bytea NOT NULL,
	PRIMARY KEY (root, id)
);
CREATE INDEX ctifeed_taxii_status_expires ON ctifeed_taxii_status (expires);
