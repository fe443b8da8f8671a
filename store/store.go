package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// Store is what a host implements to serve every feed. See the package documentation for
// the obligations shared by all methods (cancelled contexts, sentinel errors, concurrency).
type Store interface {
	Reader
	History
	Scanner
	Writer
	Log
}

// Reader looks objects up by id. Only current records are returned except by Versions.
type Reader interface {
	// Get returns the current record of id, or an error wrapping [ErrNotFound].
	Get(ctx context.Context, id stix.ID) (Record, error)

	// GetMany returns the current records of the ids that are stored, keyed by id; ids not
	// stored are absent from the map (not an error), duplicates are harmless. It exists for
	// dependency resolution, where many ids are looked up at once.
	GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]Record, error)

	// Versions returns every stored version of id in ascending order of version (modified,
	// else created), the current one last; or an error wrapping [ErrNotFound]. An object
	// without a version (an SCO) has exactly one: its current content. Each record's
	// Updated is when that version was stored (for the current one, when it became current).
	Versions(ctx context.Context, id stix.ID) ([]Record, error)

	// RelationsOf returns the current relationships that have id as source_ref or
	// target_ref and the current sightings that have it as sighting_of_ref or in
	// where_sighted_refs or observed_data_refs, ordered by the relation's id ascending.
	// id need not be stored itself (a dangling end still finds its relations); no relation
	// gives an empty result, not an error.
	RelationsOf(ctx context.Context, id stix.ID) ([]Record, error)
}

// Scanner pages through current records in a keyset order. Call it through [Scan] or [All],
// which validate opts and handle [ScanOptions.Filter].
type Scanner interface {
	// Scan returns the next page of current records in the order opts describe; see
	// [ScanOptions] for what each field requires. opts has passed [ScanOptions.Validate].
	//
	// Obligations: records come in strictly increasing (or, if opts.Descending, strictly
	// decreasing) order of their key (ordering time, id); a page holds at most opts.Limit
	// records, all of them satisfying Types, Since/Until and Match; Page.Next is non-empty
	// exactly when at least one more such record exists beyond the page (never merely
	// because the page is full), and is the [Cursor] of the page's last record. Paging
	// from a cursor returns the records whose key lies beyond it at the time of the call:
	// records added or moved beyond it while paging appear, records before it do not, none
	// is skipped or repeated. opts.Filter is ignored here (see [FilterPushdown]).
	Scan(ctx context.Context, opts ScanOptions) (Page, error)
}

// Writer changes the store. Each change appends exactly one event to the log; the returned
// event is the one appended.
type Writer interface {
	// Put stores obj. It returns the appended event and true when the current version
	// changed: [EventCreate] for a new id, [EventUpdate] for a newer version (greater
	// modified, else created) or, when either version has neither, for different content.
	// It returns a zero Event and false, appending nothing, for an exact duplicate of a
	// stored version (same id, version and JSON content) and for a version older than the
	// current one, which is kept for [Reader.Versions] without becoming current.
	// A different object with the same id and version as a stored one is rejected with an
	// error wrapping [ErrConflict]. A nil object or an id that fails [stix.ID.Validate]
	// gives [ErrInvalid]. Put checks nothing else: validating the STIX rules is the
	// caller's job.
	Put(ctx context.Context, obj *stix.Object) (Event, bool, error)

	// Merge makes target the current version of its id and removes every source, appending
	// one [EventMerge] whose Sources are sources in the given order. The target's id and
	// every source must be stored ([ErrNotFound] otherwise); sources must be non-empty,
	// valid, distinct and differ from the target's id ([ErrInvalid]). target must be the
	// current version or newer ([ErrConflict] otherwise, as for Put); when it is the current
	// version itself, Prev and Cur are both that version. Nothing changes when an error is
	// returned. Merge does not rewrite other objects' references to the sources: the host
	// puts their new versions (each its own event) if it wants them rewired. Each source is
	// removed as [Writer.Delete] removes an object: its relationships and sightings (other
	// than the target and the other sources themselves) are deleted first, each with its
	// own [EventDelete] before the merge event, in the same atomic step; the sources are
	// taken in the order given, each one's relations in Delete's order (a relation of two
	// sources goes with the first).
	Merge(ctx context.Context, target *stix.Object, sources []stix.ID) (Event, error)

	// Delete removes every version of id and appends an [EventDelete] whose Prev is the
	// last current version; [ErrNotFound] if id is not stored.
	//
	// Deletes cascade, as in OpenCTI's platform: every current relationship and sighting
	// that has id as an end (source_ref, target_ref; sighting_of_ref, where_sighted_refs,
	// observed_data_refs) is deleted first, each with its own [EventDelete], ordered by id
	// ascending, each cascading in turn (a relationship of a relationship goes before
	// it; a relation already deleted in this cascade is not visited again, so a cycle of
	// relations ends); then id's own event is appended last. The whole cascade is one atomic step:
	// no reader (Get, Scan, Read, an as-of read) observes part of it. Delete returns id's
	// own event.
	Delete(ctx context.Context, id stix.ID) (Event, error)
}

// History answers reads as of a log position: the store as it was right after the event
// at that position (or, for a position between two events, after the earlier one), so
// that a reader that is behind the log decides exactly as a caught-up reader did.
//
// Every retained position may be asked: at must not be older than the log ([LogBounds.Check]
// reports [ErrGap] for it; a zero at on a log complete from its origin is the empty store
// before the first event) and not beyond its last position ([ErrInvalidPosition]).
// Implementations keep what this needs (superseded versions, deleted objects and
// relations) exactly as long as the log retains the events that produced them.
type History interface {
	// GetManyAt is [Reader.GetMany] as of at: the records that were current right after
	// at, with the DateAdded and Updated they had then; ids that were not stored then are
	// absent.
	GetManyAt(ctx context.Context, at Position, ids []stix.ID) (map[stix.ID]Record, error)

	// RelationsOfAt is [Reader.RelationsOf] as of at: the relationships and sightings
	// that were current right after at and had id as an end, ordered by id ascending.
	RelationsOfAt(ctx context.Context, at Position, id stix.ID) ([]Record, error)
}

// Log is the change log: events in strictly increasing position order, retained within
// bounds the implementation documents.
//
// Log deliberately has no Append: events are appended only by [Writer] methods, in the same
// step as the change they describe, so the log and the objects never disagree. Nor does it
// push events to subscribers: each reader pulls from its own position (Read, then Wait), so
// a slow reader holds up no one and costs no memory in the store.
type Log interface {
	// Read returns up to limit events with positions strictly after after, in position
	// order; fewer only when the log holds no more. Reading after the last event returns
	// no events and no error. If the log is not complete after after ([LogBounds.Check]:
	// retention dropped an event after it, or after is older than the log's origin), Read
	// returns an error wrapping [ErrGap] rather than skipping anything. limit < 1 gives
	// [ErrInvalid].
	Read(ctx context.Context, after Position, limit int) ([]Event, error)

	// Wait blocks until an event after after exists (returning nil at once if one does) or
	// ctx is done (returning an error wrapping ctx.Err()). Implementations wake waiters on
	// append, without polling.
	Wait(ctx context.Context, after Position) error

	// Bounds describes the retained log.
	Bounds(ctx context.Context) (LogBounds, error)
}

// LogBounds describes the retained part of the log and since when it is complete. For a
// log that never held an event every field is zero.
type LogBounds struct {
	First, Last Position // the oldest and newest retained events
	// FirstTime and LastTime are the times of First and Last.
	FirstTime, LastTime time.Time
	Count               int // how many events are retained
	// Origin is where this log began: it never held an event at or before Origin. A
	// position before it belongs to another log (an in-memory store that restarted, a
	// restored backup, an emptied log), so resuming from it is a gap.
	Origin Position
	// Dropped is the newest event that retention removed; zero if none ever was.
	Dropped Position
}

// Check reports whether reading after the position after is lossless on this log: nil if
// so; an error wrapping [ErrGap] when events after it are not (or were never) in the log
// (after is before Origin or Dropped; a nonzero after on a log that never held an event;
// the zero position once events were dropped); an error wrapping [ErrInvalidPosition]
// when after is beyond the last position. Error messages name both positions.
func (b LogBounds) Check(after Position) error {
	switch {
	case after.IsZero():
		if !b.Dropped.IsZero() {
			return fmt.Errorf("%w: reading from the start, but events up to %s were dropped", ErrGap, b.Dropped)
		}
		return nil
	case b.Last.IsZero():
		return fmt.Errorf("%w: position %s is not of this log, which holds no event", ErrGap, after)
	case after.Compare(b.Origin) < 0:
		return fmt.Errorf("%w: position %s is older than this log, which began after %s", ErrGap, after, b.Origin)
	case after.Compare(b.Dropped) < 0:
		return fmt.Errorf("%w: reading after %s, but events up to %s were dropped", ErrGap, after, b.Dropped)
	case after.Compare(b.Last) > 0:
		return fmt.Errorf("%w: position %s is beyond the log's last position %s", ErrInvalidPosition, after, b.Last)
	}
	return nil
}
