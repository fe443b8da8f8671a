// Package memstore is the embedded, in-memory implementation of [store.Store], the default
// every example and test runs on. It passes [storetest].
//
// Current records are indexed in B-trees ordered by (date added, id) and (last change, id),
// overall and per STIX type, so a scan page costs O(log n + page size) however deep its
// cursor. Relationships and sightings are indexed by each end's id. The change log keeps the
// most recent events within [Options.MaxEvents] and [Options.MaxAge]; readers waiting for new
// events are woken by each append without polling.
//
// Reads as of a position ([Store.GetManyAt], [Store.RelationsOfAt]) use a history kept beside
// the current state: for each id, the states it had before its current one (record, times,
// or deleted) with the position each began at, and for each relation end the relations that
// had it as an end in those past states. An id created and never changed costs nothing
// there. When retention drops events, every history is collapsed to its state at the newest
// dropped position (older states and leading tombstones go): every state kept was ended by
// a retained event, so the history holds at most two states (the one superseded and, for a
// delete, its tombstone) per retained event and merge source. A read as of a position costs
// O(log k) per id, k being the id's retained states.
//
// Deletes and merges cascade to relations ([store.Writer.Delete]) under one hold of the
// write lock; [Store.PutMany] applies a batch under one hold too.
//
// The log's origin is the position just before the first event this store appended
// (store.PositionAt of its time), fixed at that first write, not at [New]: a store made
// again after a restart has a later origin, so a consumer resuming from a position of the
// old process gets [store.ErrGap]. If 2^32 events fall into one millisecond, the next one
// takes the following millisecond, keeping every Seq below [store.MaxSeq].
//
// Record times and event times come from [Options.Clock] truncated to the millisecond, so a
// record's Updated equals the Time of the event that made it current.
//
// # Errors
//
// As documented by [store]: [store.ErrNotFound], [store.ErrConflict], [store.ErrGap],
// [store.ErrInvalid], [store.ErrInvalidCursor], [store.ErrInvalidPosition], and the
// context's error when it is done.
//
// # Concurrency
//
// A [Store] is safe for concurrent use. Writes (each with its whole cascade) are serialised;
// reads, as-of reads included, run in parallel with each other and see either all of a
// write or none of it. [store.ScanOptions.Match] is called without the store's lock held: a
// filtered scan reads its candidates in batches, and a record that moves between two
// batches is still returned at most once per page.
package memstore
