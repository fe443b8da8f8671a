package stream

import (
	"math"

	"github.com/ctifeed/ctifeed/store"
)

// Frame ids and resume points (see "Resuming" in the package doc).
//
// A connection keeps its resume point in read form: a position to read the log after,
// which may carry the sequence math.MaxUint64 that [store.PositionAt] uses for "the end of
// a millisecond" (a log's Origin, a date). On the wire every position has a sequence below
// [store.MaxSeq], so that the range from MaxSeq up is free for mid-group ids: read-form
// sequences at or above MaxSeq-1 are written as MaxSeq-1 (no store assigns it in practice:
// it would be the 2^32nd event of one millisecond), and read back as math.MaxUint64.

// lowSeq masks the base position's sequence out of a mid-group id.
const lowSeq = store.MaxSeq - 1

// wirePos returns p as sent in an id: its sequence below MaxSeq.
func wirePos(p store.Position) store.Position {
	if p.Seq >= lowSeq {
		p.Seq = lowSeq
	}
	return p
}

// readPos is the inverse of wirePos: the position to read the log after.
func readPos(p store.Position) store.Position {
	if p.Seq == lowSeq {
		p.Seq = math.MaxUint64
	}
	return p
}

// midID is the id of the frame whose message has Seq seq in the group that follows the
// resume point base: base's millisecond, and base's sequence plus (seq+1)·2^32, so that it
// is never an event's position and decodes back to base and seq.
func midID(base store.Position, seq int) store.Position {
	w := wirePos(base)
	return store.Position{Millis: w.Millis, Seq: w.Seq + uint64(seq+1)<<32}
}

// resumePoint is where a connection resumes: after pos, and, when skip >= 0, without the
// messages of the first group after pos whose Seq is at most skip (the consumer received
// them before it was cut off inside that group).
type resumePoint struct {
	pos  store.Position
	skip int
}

// resumeFrom decodes an id a consumer received: a mid-group id gives its base and the Seq
// of the frame, any other position is read after, whole.
func resumeFrom(id store.Position) resumePoint {
	if id.Seq < store.MaxSeq {
		return resumePoint{pos: readPos(id), skip: -1}
	}
	base := store.Position{Millis: id.Millis, Seq: id.Seq & lowSeq}
	return resumePoint{pos: readPos(base), skip: int(id.Seq>>32) - 1}
}

// gapResume is where a connection whose resume point is not in the log continues: after
// everything the log lost (Dropped) and after its origin, whichever is later.
func gapResume(b store.LogBounds) store.Position {
	if b.Dropped.Compare(b.Origin) > 0 {
		return b.Dropped
	}
	return b.Origin
}
