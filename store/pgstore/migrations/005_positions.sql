-- 5: ingestion positions (a source's opaque resume point), shared by every node, so that a
-- restarted node resumes its sources instead of reading them again from the start.
CREATE TABLE ctifeed_ingest_positions (
	source   text PRIMARY KEY,
	position text NOT NULL
);
