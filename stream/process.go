package stream

import (
	"context"
	"fmt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// process decides every event as of its own position: membership, dependencies,
// relationships and the visibility of their ends are read through the store's view right
// after ev (docs/live-streams.md §3), so a subscriber that is behind the log sends exactly what a
// caught-up one sent.
func (s *Subscriber) process(ctx context.Context, ev store.Event) ([]Message, error) {
	steps, err := s.sharedPlan(ctx, ev)
	if err != nil {
		return nil, err
	}
	msgs, _ := s.applyPlan(steps, nil, nil)
	return msgs, nil
}

// processEncoded is process for a connection: it appends the messages to msgs and their
// encoded frame data to data (nil for a message whose plan was not shared: the caller
// encodes it), reusing the caller's buffers.
func (s *Subscriber) processEncoded(ctx context.Context, ev store.Event, msgs []Message, data [][]byte) ([]Message, [][]byte, error) {
	steps, err := s.sharedPlan(ctx, ev)
	if err != nil {
		return msgs, data, err
	}
	msgs, data = s.applyPlan(steps, msgs, data)
	return msgs, data, nil
}

// plan plans ev in full for this subscriber's class, without reading the sent cache (see
// plan.go).
func (s *engineState) plan(ctx context.Context, ev store.Event) ([]step, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v := store.At(s.src, ev.Pos)
	switch ev.Kind {
	case store.EventCreate, store.EventUpdate, store.EventDelete:
		return s.change(ctx, v, ev)
	case store.EventMerge:
		return s.merge(ctx, v, ev)
	}
	return nil, fmt.Errorf("%w: event %s has unknown kind %d", ErrInvalid, ev.Pos, int(ev.Kind))
}

// change handles create, update and delete events by the rules of docs/live-streams.md §1:
// prev is decided as of the position just before the event, cur as of the event's (see
// bounds). With relationship keys, the objects the change lets enter or leave the filter
// are decided too (see affected).
func (s *engineState) change(ctx context.Context, v store.Snapshot, ev store.Event) ([]step, error) {
	prev, cur := ev.Prev, ev.Cur
	if ev.Kind == store.EventDelete {
		cur = nil
	}
	if s.filter.static != nil { // the common case, kept free of bindings and allocations
		d := decision{b: s.filter.static, at: v}
		mp, err := s.member(ctx, v, d, prev)
		if err != nil {
			return nil, err
		}
		mc, err := s.member(ctx, v, d, cur)
		if err != nil {
			return nil, err
		}
		return s.decide(ctx, v, d, d, ev, prev, cur, mp, mc)
	}
	return s.changeBound(ctx, v, ev, prev, cur)
}

// changeBound is change for a filter bound per event: relationship keys, relative dates or
// record times. (Apart, so that change's common path stays small.)
func (s *engineState) changeBound(ctx context.Context, v store.Snapshot, ev store.Event, prev, cur *stix.Object) ([]step, error) {
	bp, bc, err := s.bounds(ctx, ev)
	if err != nil {
		return nil, err
	}
	dp, dc := decision{b: bp, at: v}, decision{b: bc, at: v}
	if bp != bc {
		dp.at = store.At(s.src, justBefore(ev.Pos))
	}
	mp, err := s.member(ctx, v, dp, prev)
	if err != nil {
		return nil, err
	}
	mc, err := s.member(ctx, v, dc, cur)
	if err != nil {
		return nil, err
	}
	if bp != bc {
		if ids := s.affectedIDs(ev, prev, cur); len(ids) > 0 {
			return s.changeAffecting(ctx, v, dp, dc, ev, prev, cur, mp, mc, ids)
		}
	}
	return s.decide(ctx, v, dp, dc, ev, prev, cur, mp, mc)
}

// decide sends what the event's own object entering, staying or leaving needs, mp and mc
// being its membership before (at dp) and after (at dc).
func (s *engineState) decide(ctx context.Context, v store.Snapshot, dp, dc decision, ev store.Event, prev, cur *stix.Object, mp, mc bool) ([]step, error) {
	switch {
	case mc && !mp: // enters
		msgs, _, err := s.send(ctx, v, dc, ev, Create, cur, nil, nil)
		return msgs, err
	case mc: // stays
		msgs, _, err := s.send(ctx, v, dc, ev, Update, cur, prev, nil)
		return msgs, err
	case mp: // leaves, or deleted
		out, err := s.remove(ctx, v, dp, ev, prev, nil)
		return numberSteps(out), err
	}
	// Not for this subscriber. If it had the object as a dependency, its copy is now stale
	// or deleted: the next object that needs it sends it again.
	return []step{forgetStep(ev.ID)}, nil
}

// merge handles a merge event. When the target matches after the merge, one merge message
// (with the visible sources) follows the target's dependencies: consumers upsert the
// target and delete the sources. Otherwise each source that matched, then the target if
// it matched before, is deleted as if it had left.
//
// Relationship keys are decided as of the merge (prev as of the position before it), but
// the merge lets no other object enter or leave by itself: the sources' relationships are
// deleted by their own events first, which decide the objects they affect.
func (s *engineState) merge(ctx context.Context, v store.Snapshot, ev store.Event) ([]step, error) {
	bp, bc, err := s.bounds(ctx, ev)
	if err != nil {
		return nil, err
	}
	dp, dc := decision{b: bp, at: v}, decision{b: bc, at: v}
	if bp != bc {
		dp.at = store.At(s.src, justBefore(ev.Pos))
	}
	mc, err := s.member(ctx, v, dc, ev.Cur)
	if err != nil {
		return nil, err
	}
	if mc {
		var sources []*stix.Object
		for _, src := range ev.SourceObjects {
			if s.sees(src) {
				red, err := s.redact(ctx, v, src)
				if err != nil {
					return nil, err
				}
				if red != nil {
					sources = append(sources, red)
				}
			}
		}
		steps := make([]step, 0, len(ev.Sources))
		for _, id := range ev.Sources {
			steps = append(steps, forgetStep(id))
		}
		msgs, _, err := s.send(ctx, v, dc, ev, Merge, ev.Cur, nil, sources)
		return append(steps, msgs...), err
	}
	var out []step
	for _, src := range ev.SourceObjects {
		ms, err := s.member(ctx, v, dp, src)
		if err != nil {
			return nil, err
		}
		if ms {
			if out, err = s.remove(ctx, v, dp, ev, src, out); err != nil {
				return nil, err
			}
		}
		if src != nil {
			out = append(out, forgetStep(src.ID()))
		}
	}
	mp, err := s.member(ctx, v, dp, ev.Prev)
	if err != nil {
		return nil, err
	}
	if mp {
		if out, err = s.remove(ctx, v, dp, ev, ev.Prev, out); err != nil {
			return nil, err
		}
	}
	out = append(out, forgetStep(ev.ID))
	return numberSteps(out), nil
}

// send plans the full group of obj (a member at d) as of v: its dependencies, obj itself as
// typ (with the patch from prev for an update, with sources for a merge) and, with
// resolution on, its relationships (see [group.messages]). It also returns the size of the
// full plan, which Seq numbers.
func (s *engineState) send(ctx context.Context, v store.Snapshot, d decision, ev store.Event, typ MessageType, obj, prev *stix.Object, sources []*stix.Object) ([]step, int, error) {
	red, err := s.redact(ctx, v, obj)
	if err != nil || red == nil {
		return nil, 0, err
	}
	via, err := s.viaEnd(ctx, d, obj)
	if err != nil {
		return nil, 0, err
	}
	main := Message{Type: typ, Object: red, Sources: sources, Dependency: via}
	if typ == Update {
		// prev is screened against the same view, so the patch changes no reference to a
		// hidden object: it can neither add nor remove one.
		redPrev, err := s.redact(ctx, v, prev)
		if err != nil {
			return nil, 0, err
		}
		if redPrev == nil {
			main.Type = Create
		} else {
			var err error
			if main.Patch, main.ReversePatch, err = patches(redPrev, red); err != nil {
				return nil, 0, fmt.Errorf("stream: diffing %s: %w", obj.ID(), err)
			}
		}
	}
	g := newGroup(ctx, s, v)
	g.add(main, tierMain)
	if err := g.addRefs(red); err != nil {
		return nil, 0, err
	}
	if s.resolving() {
		if err := g.addRelations(red); err != nil {
			return nil, 0, err
		}
	}
	msgs, plan := g.messages(ev.Pos, ev.Time)
	return msgs, plan, nil
}

// remove appends to out the delete of obj (the last version the subscriber could see,
// never a later one it may not) and, with resolution on, first the deletes of the
// relationships of obj that were sent with it.
//
// Which relationships "were sent" is recomputed from the view as of the event rather than
// remembered, so that it is also right for a subscriber that reconnected or whose cache
// expired: every relationship or sighting of obj current then that the principal may see,
// with every other end stored and visible — exactly those that resolution sent with obj.
// A deleted object has none left by then: the store deleted its relationships first, each
// with its own event, which the subscriber decided as of that event (while obj still
// existed). With deletions off nothing is emitted and the subscriber only forgets obj.
func (s *engineState) remove(ctx context.Context, v store.Snapshot, d decision, ev store.Event, obj *stix.Object, out []step) ([]step, error) {
	if s.opts.NoDeletions {
		return append(out, forgetStep(obj.ID())), nil
	}
	if s.resolving() {
		rels, err := v.RelationsOf(ctx, obj.ID())
		if err != nil {
			return nil, fmt.Errorf("stream: finding the relationships of %s as of %s: %w", obj.ID(), v.Position(), err)
		}
		for _, rec := range rels {
			r := rec.Object
			if r.ID() == obj.ID() || !s.sees(r) {
				continue
			}
			if _, ok, err := s.visibleEnds(ctx, v, r, obj.ID()); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
			if red := s.vis.Redact(s.principal, r); red != nil {
				out = append(out, step{op: opKeep, msg: Message{Type: Delete, Object: red, Dependency: true, Pos: ev.Pos, Time: ev.Time}},
					forgetStep(r.ID()))
			}
		}
	}
	red, err := s.redact(ctx, v, obj)
	if err != nil {
		return nil, err
	}
	if red != nil {
		via, err := s.viaEnd(ctx, d, obj)
		if err != nil {
			return nil, err
		}
		out = append(out, step{op: opKeep, msg: Message{Type: Delete, Object: red, Dependency: via, Pos: ev.Pos, Time: ev.Time}})
	}
	return append(out, forgetStep(obj.ID())), nil
}

// viaEnd reports whether o is a member only because one of its ends passes the filters: a
// relationship or sighting that resolution sends with that end. Its own events are then
// dependencies too, as OpenCTI marks them (origin "init-dependencies"), so that deleting
// an object reads the same whether its relationships leave with it (the object left the
// filters) or go first as their own events (the object was deleted, cascading).
// It is decided at d, the moment o was found a member.
func (s *engineState) viaEnd(ctx context.Context, d decision, o *stix.Object) (bool, error) {
	if !stix.IsRelationshipType(o.Type()) {
		return false, nil
	}
	own, err := s.matches(ctx, d, o)
	return !own, err
}
