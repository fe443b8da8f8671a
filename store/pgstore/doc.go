// Package pgstore is the [store.Store] engine on PostgreSQL, for a platform served by
// several nodes on one database. It passes [storetest], and its other stores pass theirs:
// [IoCStore] (iocstreamtest) and [StatusStore] (taxii/statustest).
//
// # Transactions and positions
//
// Every write (Put, PutMany, Merge, Delete with its cascade) is one transaction that first
// locks the single log-head row, then reads the current state, then writes the records,
// their versions, their history and the change log, and commits. An object and its event
// therefore never disagree, whatever crashes. Because every writer holds the head's lock
// until it commits, positions are assigned in commit order: a reader never sees position
// N+1 before N has committed. A position takes the writer's clock millisecond when it moved
// forward since the last event, else the last sequence + 1 (the next millisecond if the
// sequence would reach [store.MaxSeq]), so nodes whose clocks disagree still append in
// order. Events are also numbered densely (an internal lsn), which makes retention by
// count arithmetic and First a primary-key look-up.
//
// # Reads as of a position
//
// Each state of each object is a row valid over a range of lsns; the row of the current
// state has no end. A read as of a position selects the rows valid at that position's
// lsn. Retention deletes the events beyond [Options.MaxEvents] or older than
// [Options.MaxAge] and, in the same transaction, the rows that ended at or before the
// newest dropped event, which no retained position can ask for. A database's log never
// restarts, so its [store.LogBounds.Origin] is the start ("0-0") and only retention makes
// gaps.
//
// # Scans
//
// Partial B-tree indexes on the current rows, (date_added, id), (updated, id) and the same
// per STIX type, serve the keyset scans: a page is one index range scan, O(log n + page) at
// any depth (one range per type, merged, when Types names several). Identifiers are in the
// "C" collation so that the database orders them byte-wise, as the cursors do.
// [Store.ScanFilter] translates the parts of an OpenCTI filter it can (entity types,
// labels, markings, ids, authors with eq; confidence and x_opencti_score with lt, lte, gt,
// gte; inside groups of mode "and") into a condition on indexed candidate columns that
// every matching record satisfies, and still applies the compiled Match to each record
// read, so the result is exactly the scan's; a filter with nothing translatable gives
// errors.ErrUnsupported and [store.Scan] falls back.
//
// # Waiting
//
// Every writing transaction sends NOTIFY ctifeed_log, delivered at commit. Each Store keeps
// one listening connection (outside its pool) that wakes its waiting [Store.Wait] calls;
// they re-read the log head, so a notification is a hint only. Nothing polls while that
// connection is up. When it is lost, waiters re-read the head every 250 ms until it is
// back (the listener reconnects every 250 ms), so a notification lost with the connection
// never stalls a reader.
//
// # Schema
//
// The schema is created and upgraded by numbered migrations embedded in the package,
// applied by [Open] in one transaction under a PostgreSQL advisory lock, so nodes that
// open a database at once apply each step exactly once. A database migrated by newer code
// gives [ErrSchemaTooNew]. Tables are named ctifeed_*, so a host may share the database.
//
// # Several nodes
//
// Nodes open the same database with [Open]; each gets its own pool and listening
// connection. Everything a second node needs lives in the database: objects and log, IoC
// notifications ([Store.IoC]), TAXII status resources ([Store.Statuses]), ingestion
// positions ([Store.Positions]), CSV feeds' windows ([Store.CSVWindows], so that every
// node publishes the same windows and a restarted node continues them) and live-stream
// definitions changed at run time ([Store.StreamDefinitions]). The TAXII `next`
// tokens are signed with taxii.HandlerOptions.CursorKey: give every node the same key from
// configuration (never a per-process random one), or a `next` made by one node is refused
// by another.
//
// # Errors
//
// As documented by [store]: [store.ErrNotFound], [store.ErrConflict], [store.ErrGap],
// [store.ErrInvalid], [store.ErrInvalidCursor], [store.ErrInvalidPosition], and the
// context's error when it is done. Database failures (a lost connection, a server that
// went away) are returned wrapped with what was being done, "pgstore: writing: …"; a
// failed write changed nothing. [Open] names the server it could not reach.
//
// # Concurrency
//
// A [Store] and the stores it hands out are safe for concurrent use by many goroutines and
// by many processes on the same database. Writes are serialised by the log head's lock (a
// batch of many objects in one [Store.PutMany] is the fast path for bulk ingestion);
// reads never block on writes.
package pgstore
