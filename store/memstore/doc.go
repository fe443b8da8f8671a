// Package memstore is the embedded, in-memory implementation of [store.Store], the default
// every example and test runs on. It passes [storetest].
//
// Current records are indexed in B-trees ordered by (date added, id) and (last change, id),
// overall and per STIX type, so a scan page costs O(log n + page size) however deep its
// cursor. Relationships and sightings are indexed by each end's id. The change log keeps the
// most recent events within [Options.MaxEvents] and [Options.MaxAge]; readers waiting for new
// events are woken by each append without polling.
//
// Record times and event times come from [Options.Clock] truncated to the millisecond, so a
// record's Updated equals the Time of the event that made it current.
//
// # Errors
//
// As documented by [store]: [store.ErrNotFound], [store.ErrConflict], [store.ErrGap],
// [store.ErrInvalid], [store.ErrInvalidCursor], and the context's error when it is done.
//
// # Concurrency
//
// A [Store] is safe for concurrent use. Writes are serialised; reads run in parallel with
// each other. [store.ScanOptions.Match] is called without the store's lock held.
package memstore
