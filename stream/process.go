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

// change handles create, update and delete events by the rules of docs/live-streams.md §1.
func (s *engineState) change(ctx context.Context, v store.Snapshot, ev store.Event) ([]Message, error) {
	prev, cur := ev.Prev, ev.Cur
	if ev.Kind == store.EventDelete {
		cur = nil
	}
	mp, err := s.member(ctx, v, prev)
	if err != nil {
		return nil, err
	}
	mc, err := s.member(ctx, v, cur)
	if err != nil {
		return nil, err
	}
	switch {
	case mc && !mp: // enters
		return s.send(ctx, v, ev, Create, cur, nil, nil)
	case mc: // stays
		return s.send(ctx, v, ev, Update, cur, prev, nil)
	case mp: // leaves, or deleted
		out, err := s.remove(ctx, v, ev, prev, nil)
		return numbered(out), err
	}
	// Not for this subscriber. If it had the object as a dependency, its copy is now stale
	// or deleted: the next object that needs it sends it again.
	s.cache.forget(ev.ID)
	return nil, nil
}

// merge handles a merge event. When the target matches after the merge, one merge message
// (with the visible sources) follows the target's dependencies: consumers upsert the
// target and delete the sources. Otherwise each source that matched, then the target if
// it matched before, is deleted as if it had left.
func (s *engineState) merge(ctx context.Context, v store.Snapshot, ev store.Event) ([]Message, error) {
	mc, err := s.member(ctx, v, ev.Cur)
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
		for _, id := range ev.Sources {
			s.cache.forget(id)
		}
		return s.send(ctx, v, ev, Merge, ev.Cur, nil, sources)
	}
	var out []Message
	for _, src := range ev.SourceObjects {
		ms, err := s.member(ctx, v, src)
		if err != nil {
			return nil, err
		}
		if ms {
			if out, err = s.remove(ctx, v, ev, src, out); err != nil {
				return nil, err
			}
		}
		if src != nil {
			s.cache.forget(src.ID())
		}
	}
	mp, err := s.member(ctx, v, ev.Prev)
	if err != nil {
		return nil, err
	}
	if mp {
		if out, err = s.remove(ctx, v, ev, ev.Prev, out); err != nil {
			return nil, err
		}
	}
	s.cache.forget(ev.ID)
	return numbered(out), nil
}

// send plans the full group of obj (a member) as of v: its dependencies, obj itself as typ
// (with the patch from prev for an update, with sources for a merge) and, with resolution
// on, its relationships; then keeps what the subscriber does not hold (see
// [group.messages]).
func (s *engineState) send(ctx context.Context, v store.Snapshot, ev store.Event, typ MessageType, obj, prev *stix.Object, sources []*stix.Object) ([]Message, error) {
	red, err := s.redact(ctx, v, obj)
	if err != nil || red == nil {
		return nil, err
	}
	main := Message{Type: typ, Object: red, Sources: sources, Dependency: s.viaEnd(obj)}
	if typ == Update {
		// prev is screened against the same view, so the patch changes no reference to a
		// hidden object: it can neither add nor remove one.
		redPrev, err := s.redact(ctx, v, prev)
		if err != nil {
			return nil, err
		}
		if redPrev == nil {
			main.Type = Create
		} else {
			var err error
			if main.Patch, main.ReversePatch, err = patches(redPrev, red); err != nil {
				return nil, fmt.Errorf("stream: diffing %s: %w", obj.ID(), err)
			}
		}
	}
	g := newGroup(ctx, s, v)
	g.add(main, tierMain)
	if err := g.addRefs(red); err != nil {
		return nil, err
	}
	if s.resolving() {
		if err := g.addRelations(red); err != nil {
			return nil, err
		}
	}
	return g.messages(ev.Pos, ev.Time), nil
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
func (s *engineState) remove(ctx context.Context, v store.Snapshot, ev store.Event, obj *stix.Object, out []Message) ([]Message, error) {
	if s.opts.NoDeletions {
		s.cache.forget(obj.ID())
		return out, nil
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
				out = append(out, Message{Type: Delete, Object: red, Dependency: true, Pos: ev.Pos, Time: ev.Time})
				s.cache.forget(r.ID())
			}
		}
	}
	red, err := s.redact(ctx, v, obj)
	if err != nil {
		return nil, err
	}
	if red != nil {
		out = append(out, Message{Type: Delete, Object: red, Dependency: s.viaEnd(obj), Pos: ev.Pos, Time: ev.Time})
	}
	s.cache.forget(obj.ID())
	return out, nil
}

// viaEnd reports whether o is a member only because one of its ends passes the filters: a
// relationship or sighting that resolution sends with that end. Its own events are then
// dependencies too, as OpenCTI marks them (origin "init-dependencies"), so that deleting
// an object reads the same whether its relationships leave with it (the object left the
// filters) or go first as their own events (the object was deleted, cascading).
func (s *engineState) viaEnd(o *stix.Object) bool {
	return stix.IsRelationshipType(o.Type()) && !s.match.Match(o)
}

// numbered sets each message's Seq to its index: a group of deletes does not depend on
// the cache, so it is its own full plan.
func numbered(msgs []Message) []Message {
	for i := range msgs {
		msgs[i].Seq = i
	}
	return msgs
}
