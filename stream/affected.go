package stream

import (
	"context"
	"fmt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// affectedIDs returns the objects other than the event's own whose outcome under the
// relationship keys the change may alter (filter.Matcher.Affected): the ends of a
// relationship or sighting touching a named id, the objects added to or removed from a
// named container.
func (s *engineState) affectedIDs(ev store.Event, prev, cur *stix.Object) []stix.ID {
	ids := s.filter.m.Affected(prev, cur)
	out := ids[:0]
	for _, id := range ids {
		if id != ev.ID {
			out = append(out, id)
		}
	}
	return out
}

// eventOut gathers the messages of one event made of several groups, numbering them so
// that Seq strictly increases along the event and depends only on the full plans: a group
// of deletes takes one Seq a message; a planned group takes its full plan's range, of which
// the cache may leave some out.
type eventOut struct {
	steps []step
	base  int
}

func (e *eventOut) deletes(ms []step) {
	for i := range ms {
		if ms[i].isMessage() {
			ms[i].msg.Seq = e.base
			e.base++
		}
	}
	e.steps = append(e.steps, ms...)
}

func (e *eventOut) group(ms []step, plan int) {
	for i := range ms {
		if ms[i].isMessage() {
			ms[i].msg.Seq += e.base
		}
	}
	e.base += plan
	e.steps = append(e.steps, ms...)
}

// changeAffecting decides an event that changes what the relationship keys read, for its
// own object (mp, mc: member before and after) and for the affected objects ids, each read
// as of the position before the event and as of the event (filter package, "Relationship
// keys in the live stream"). The messages go, in order:
//
//  1. the event's own object leaving (or deleted), so that a relationship is deleted
//     before the end that leaves with it;
//  2. the affected objects that leave: deleted, with resolution with the relationships
//     sent with them that remain;
//  3. the affected objects that enter, each with its full group (dependencies and, with
//     resolution, its relationships: the changed relationship among them);
//  4. the event's own object entering or staying, unless a group of step 3 already
//     planned it (a relationship sent as the entering end's relationship is not sent
//     twice).
//
// An affected object that stays a member, or stays out, sends nothing: its own content
// did not change.
func (s *engineState) changeAffecting(ctx context.Context, v store.Snapshot, dp, dc decision, ev store.Event, prev, cur *stix.Object, mp, mc bool, ids []stix.ID) ([]step, error) {
	before, err := dp.at.GetMany(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("stream: reading the objects %s affects as of %s: %w", ev.ID, dp.at.Position(), err)
	}
	after, err := v.GetMany(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("stream: reading the objects %s affects as of %s: %w", ev.ID, v.Position(), err)
	}
	var leave, enter []*stix.Object
	for _, id := range ids { // sorted: the order is the log's alone
		was, err := s.member(ctx, dp.at, dp, before[id].Object)
		if err != nil {
			return nil, err
		}
		is, err := s.member(ctx, v, dc, after[id].Object)
		if err != nil {
			return nil, err
		}
		switch {
		case was && !is:
			leave = append(leave, before[id].Object)
		case is && !was:
			enter = append(enter, after[id].Object)
		}
	}
	var out eventOut
	if mp && !mc {
		ms, err := s.remove(ctx, v, dp, ev, prev, nil)
		if err != nil {
			return nil, err
		}
		out.deletes(ms)
	}
	for _, o := range leave {
		ms, err := s.remove(ctx, v, dp, ev, o, nil)
		if err != nil {
			return nil, err
		}
		out.deletes(ms)
	}
	planned := map[stix.ID]bool{}
	for _, o := range enter {
		ms, plan, err := s.send(ctx, v, dc, ev, Create, o, nil, nil)
		if err != nil {
			return nil, err
		}
		if cur != nil && s.scratch.planned(cur.ID()) {
			planned[cur.ID()] = true
		}
		out.group(ms, plan)
	}
	switch {
	case mc && planned[cur.ID()]:
	case mc && !mp:
		ms, plan, err := s.send(ctx, v, dc, ev, Create, cur, nil, nil)
		if err != nil {
			return nil, err
		}
		out.group(ms, plan)
	case mc:
		ms, plan, err := s.send(ctx, v, dc, ev, Update, cur, prev, nil)
		if err != nil {
			return nil, err
		}
		out.group(ms, plan)
	case !mp:
		out.steps = append(out.steps, forgetStep(ev.ID))
	}
	return out.steps, nil
}
