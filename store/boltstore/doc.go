// Package boltstore is the durable [store.Store] for one machine: one file, DIR/ctifeed.db,
// on bbolt (go.etcd.io/bbolt, the B+tree behind etcd), with no server to run. Every change
// and its log events are written in one transaction, fsynced before the call returns, so
// the objects and the log never disagree and a crash (kill -9, power loss) loses no
// acknowledged write and leaves no half-applied one. The same file keeps the platform's
// other state: IoC notifications ([Store.Notifications], an [iocstream.Store]), TAXII
// status resources ([Store.Statuses], a [taxii.StatusStore]) and secrets such as the
// TAXII `next` signing key ([Store.Secret]).
//
// # Layout
//
// Buckets hold the current header of each id, every version, ordered indexes for each
// scan order ((date_added, id), (updated, id), and both per type), the relation index,
// the change log by position, and the history reads as of a position need (each event's
// before-state of what it changed), dropped with the events that produced it. Nothing is
// loaded into memory on open: opening a store of any size costs the same, and a page
// costs O(log n + page). The file records its format version ([Format]); a file from a
// newer version is refused.
//
// # Errors
//
// [Open] fails with errors wrapping [ErrLocked] (another process has the directory open:
// bbolt's file lock, waited for [Options.LockTimeout]), [ErrNotWritable], [ErrNewerFormat]
// or [ErrCorrupt], each naming the directory or file. Methods return the store package's
// sentinels as its contract states, and errors wrapping [ErrCorrupt] for damaged data.
//
// # Concurrency
//
// A Store is safe for concurrent use. Writes are serialized (one write transaction at a
// time, as bbolt allows); reads run concurrently with them on consistent snapshots. Wait
// is woken in process when a write commits; only one process may have a directory open.
package boltstore
