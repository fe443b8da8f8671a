// Package store is the storage contract every feed reads through: a host implements it once
// (on PostgreSQL, Elasticsearch, anything) and gets every feed. [memstore] is the embedded
// default; [storetest] is the conformance suite any implementation runs with one call.
//
// A [Store] holds the current version of each STIX object as a [Record] (the object plus the
// platform's own times, [Record.DateAdded] and [Record.Updated]), every stored version of
// each object, and an append-only change log of [Event]s addressed by [Position]s.
// It is the union of small interfaces: [Reader] (objects by id, versions, relations),
// [Scanner] (keyset-paged scans), [Writer] (put, merge, delete), [Log] (read, wait,
// bounds) and [History] (reads as of a log position). Optional capabilities are separate
// interfaces found by type assertion, each with a documented fallback: [FilterPushdown],
// [Counter] and [BatchWriter] (through [PutMany]).
//
// Callers page through scans with [Scan] or [All] rather than calling [Scanner.Scan]
// directly: they validate the options once, so an implementation may rely on them, and
// they apply the filter push-down fallback.
//
// # Writes and events
//
// Every change of one object appends exactly one event, at a position strictly greater
// than every earlier one (a delete or merge that cascades appends one per object it
// removes, see below):
//   - create: the first version of an id ([EventCreate], Prev nil);
//   - update: a newer version, or for objects without `modified`/`created` (SCOs, marking
//     definitions) different content ([EventUpdate]);
//   - merge: a target's new version and the removal of its sources, as one event
//     ([EventMerge], [Event.Sources]);
//   - delete: every version of an id removed ([EventDelete], Cur nil).
//
// Puts that change nothing current append nothing: an exact duplicate (same id, same
// version, same JSON content) is accepted silently, as TAXII requires, and a version older
// than the current one is kept among the versions without becoming current. "Same JSON
// content" means equal after RFC 8785 canonicalization, so reformatted bytes are a
// duplicate. A different object with the same id and version as a stored one is rejected
// with [ErrConflict].
//
// Deleting an object cascades, as in OpenCTI's platform: every current relationship and
// sighting that has it as an end is deleted first, each with its own delete event, ordered
// by id and recursively, then the object; a merge removes its sources the same way. The
// whole cascade is one atomic step: no reader observes the object gone while one of its
// relations is still current, nor part of the cascade's events in the log.
//
// # Time
//
// A feed that is behind the log (a replay from the start, a reconnect, a slow consumer)
// must decide each event exactly as a caught-up feed did, so it reads the store as it was
// right after that event, not as it is now: [History] answers [Reader.GetMany] and
// [Reader.RelationsOf] as of any retained log position, and [At] wraps it as a [Snapshot]
// with the same methods. A position between two events reads as the earlier one; 0-0 on a
// log complete from its origin is the empty store. Stores keep superseded versions, deleted
// objects and past relations exactly as long as the log retains the events that produced
// them.
//
// # Bounds of the log
//
// [LogBounds] says what the log holds (First, Last, Count) and since when it is complete:
// Origin is just before the first event the log ever held (a position before it belongs to
// another log: an in-memory store that restarted, a restored backup, an emptied log), and
// Dropped is the newest event retention removed. [LogBounds.Check] is the one rule every
// reader of a position follows: reading after, or as of, a position before Origin or
// Dropped is [ErrGap] (recover, never skip silently); beyond the last position, [Log.Read]
// returns nothing yet while the as-of reads refuse it with [ErrInvalidPosition]. Positions
// assigned by stores have Seq < [MaxSeq], leaving the positions above to readers.
//
// # Errors
//
// Implementations return errors for which errors.Is reports the sentinel named in each
// method's documentation and may wrap them with context: [ErrNotFound], [ErrConflict],
// [ErrGap], [ErrInvalidCursor], [ErrInvalidPosition] and [ErrInvalid]. A method called
// with a context that is already done returns an error wrapping the context's error
// without doing anything.
//
// # For engines and feeds
//
// What every engine would otherwise write again lives here: [CheckObject] and
// [CheckMerge] (a write's preconditions), [Place] and [SameContent] (Put's version
// rules), [ScanOptions.Begin] (a scan's checks and cursor), [PutMany] (the batch fallback).
// [Lookup] answers the access boundary's look-ups from a [Reader] or a [Snapshot], and
// storetest.Dump says whether a store changed.
//
// # Concurrency
//
// All methods of every interface in this package must be safe for concurrent use by
// multiple goroutines. Records, events and the objects they hold are shared and must not
// be modified by callers; [stix.Object] is immutable.
package store
