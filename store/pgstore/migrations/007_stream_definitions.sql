-- 7: live-stream definitions changed at run time, shared by every node. The version row
-- is bumped by every change, in the same transaction, so a node re-reads the definitions
-- only when it moved.
CREATE TABLE ctifeed_stream_definitions (
	id  text PRIMARY KEY,
	def jsonb NOT NULL
);
CREATE TABLE ctifeed_stream_definitions_version (
	one     boolean PRIMARY KEY DEFAULT true CHECK (one),
	version bigint NOT NULL
);
INSERT INTO ctifeed_stream_definitions_version (version) VALUES (0);
