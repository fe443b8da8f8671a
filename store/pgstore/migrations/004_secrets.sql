-- 4: named random secrets shared by every node, such as the TAXII `next` signing key.
CREATE TABLE ctifeed_secrets (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);
