package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Recovery snapshots and gaps: the parts of a connection that send the state of the store
// rather than its events.

// recoverUntil sends the recovery snapshot of the objects changed between the resume
// point and until, then moves the resume point to until (or the log's end when until lies
// beyond it, so that no event still to come is skipped).
func (c *conn) recoverUntil(ctx context.Context, until time.Time) error {
	b, err := c.h.src.Bounds(ctx)
	if err != nil {
		return err
	}
	at := store.PositionAt(until)
	if at.Compare(b.Last) > 0 {
		at = b.Last
	}
	if g := gapResume(b); at.Compare(g) < 0 {
		// The log no longer holds the state as of until: the snapshot stands for the
		// oldest state it holds, and covers the changes up to it.
		at, until = g, g.Time().Add(time.Millisecond)
	}
	if at.Compare(c.pos) <= 0 {
		return nil // resuming after the recovery window: nothing to recover
	}
	var since time.Time
	if !c.pos.IsZero() {
		since = c.pos.Time()
	}
	return c.snapshot(ctx, since, until, at)
}

// snapshot streams the recovery snapshot of the objects changed in [since, until) as of
// at, batch by batch, as one group: every frame but the last carries a mid-group id of
// the resume point before it, the last carries at, which becomes the resume point. Memory
// is one batch (and one held message) whatever the snapshot's size.
func (c *conn) snapshot(ctx context.Context, since, until time.Time, at store.Position) error {
	base, skip := c.pos, c.skip
	c.skip = -1
	if skip >= 0 {
		changed, err := c.snapshotChanged(ctx, since, until, at)
		if err != nil {
			return err
		}
		if changed {
			skip = -1 // the numbering may have moved: send it whole again rather than lose a frame
		}
	}
	var held Message
	holding := false
	for batch, err := range c.proc.RecoverBatches(ctx, c.h.src, since, until, at, c.h.batch) {
		if err != nil {
			return err
		}
		c.deadline()
		for _, m := range batch {
			if m.Seq <= skip {
				continue // received before the consumer was cut off inside this snapshot
			}
			if holding {
				if err := c.writeFrame(held, midID(base, held.Seq), true); err != nil {
					return err
				}
			}
			held, holding = m, true
		}
		if err := c.flush(); err != nil {
			return err
		}
	}
	if holding {
		c.deadline()
		if err := c.writeFrame(held, wirePos(at), true); err != nil {
			return err
		}
		c.wrote = true
	}
	c.pos = at
	c.observeGroup(true)
	return c.flush()
}

// gap tells the consumer that the log does not hold every event after c.pos (retention
// dropped some, or c.pos is of another log: a restarted in-memory store, a restored
// backup), sends the recovery snapshot of the missed window and moves past the gap.
func (c *conn) gap(ctx context.Context) error {
	b, err := c.h.src.Bounds(ctx)
	if err != nil {
		return err
	}
	resume := gapResume(b)
	if resume.Compare(c.pos) <= 0 {
		return fmt.Errorf("stream: log reports a gap after %s but is complete after %s", c.pos, resume)
	}
	data, err := json.Marshal(newGap(wirePos(c.pos), b))
	if err != nil {
		return err
	}
	c.deadline()
	if err := c.w.WriteEvent(sse.Event{Event: "gap", Data: data}); err != nil {
		return err
	}
	c.observeGap(newGap(wirePos(c.pos), b))
	var since time.Time
	if !c.pos.IsZero() {
		since = c.pos.Time()
	}
	c.skip = -1 // a group cut off in a lost part of the log is not resumed
	// The missed events may share resume's millisecond: include it.
	return c.snapshot(ctx, since, resume.Time().Add(time.Millisecond), resume)
}

// snapshotChanged reports whether a snapshot of [since, until) as of at may differ from
// the one computed when the consumer was cut off inside it. The snapshot scans the
// current records and leaves out those changed after at (their live events send them), so
// an update, delete or merge after at of an object whose record as of at lay in the window
// shifts the Seq numbering; the consumer's skip would then drop frames it never received.
// It reads the log after at in batches (memory: one batch), so its cost grows with the
// events written since the snapshot's position.
func (c *conn) snapshotChanged(ctx context.Context, since, until time.Time, at store.Position) (bool, error) {
	after := at
	for {
		evs, err := c.h.src.Read(ctx, after, c.h.batch)
		if errors.Is(err, store.ErrGap) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		var ids []stix.ID
		for _, ev := range evs {
			if ev.Kind != store.EventCreate {
				ids = append(ids, ev.ID)
			}
			ids = append(ids, ev.Sources...)
		}
		if len(ids) > 0 {
			then, err := c.h.src.GetManyAt(ctx, at, ids)
			if err != nil {
				return false, err
			}
			for _, r := range then {
				if (since.IsZero() || !r.Updated.Before(since)) && (until.IsZero() || r.Updated.Before(until)) {
					return true, nil
				}
			}
		}
		if len(evs) < c.h.batch {
			return false, nil
		}
		after = evs[len(evs)-1].Pos
	}
}
