-- 6: each CSV feed's latest window, shared by every node's scheduler: the row is locked
-- while a node fixes the next window, so each window is closed once for all nodes.
CREATE TABLE ctifeed_csv_windows (
	feed   text PRIMARY KEY,
	win  jsonb
);
