package store

import (
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// Record is one stored version of an object with the platform's own times, which TAXII's
// date_added and the CSV and recovery windows use (not the STIX created/modified).
type Record struct {
	Object *stix.Object
	// DateAdded is when this id was first stored (the Time of its create event); it never
	// changes while the id is stored (after a delete, storing the id again starts afresh).
	DateAdded time.Time
	// Updated is when this version became current: the time of the last change event (create,
	// update or merge) for the current record. For an older version returned by
	// [Reader.Versions], the time it was stored.
	Updated time.Time
}

// EventKind says what a change did.
type EventKind int

// The kinds of change. The zero value is not a kind.
const (
	EventCreate EventKind = iota + 1 // a new id
	EventUpdate                      // a newer version (or different content of an unversioned object)
	EventMerge                       // a target's new version; its sources removed
	EventDelete                      // every version of an id removed
)

var kindNames = [...]string{"", "create", "update", "merge", "delete"}

// String returns "create", "update", "merge" or "delete" (the live-stream event names).
func (k EventKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one entry of the change log.
type Event struct {
	Pos Position
	// Time is when the change happened: Pos's millisecond as a UTC time, so times never
	// decrease along the log even if the clock does.
	Time time.Time
	Kind EventKind
	ID   stix.ID // the object changed (the target of a merge)
	// Prev is the current version before the change (nil on create); Cur after it (nil on
	// delete). On a merge whose target content did not change, Prev == Cur.
	Prev, Cur *stix.Object
	// Sources are the ids merged into ID and removed by a merge, in the order given to
	// [Writer.Merge]; SourceObjects holds their last versions, parallel to Sources.
	Sources       []stix.ID
	SourceObjects []*stix.Object
}
