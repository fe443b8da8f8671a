package stream

import (
	"context"
	"fmt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

func (s *Subscriber) process(ctx context.Context, ev store.Event) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch ev.Kind {
	case store.EventCreate, store.EventUpdate, store.EventDelete:
		return s.change(ctx, ev)
	case store.EventMerge:
		return s.merge(ctx, ev)
	}
	return nil, fmt.Errorf("%w: event %s has unknown kind %d", ErrInvalid, ev.Pos, int(ev.Kind))
}

// change handles create, update and delete events by the rules of REFERENCE §4.1.
func (s *engineState) change(ctx context.Context, ev store.Event) ([]Message, error) {
	prev, cur := ev.Prev, ev.Cur
	if ev.Kind == store.EventDelete {
		cur = nil
	}
	mp, err := s.member(ctx, prev)
	if err != nil {
		return nil, err
	}
	mc, err := s.member(ctx, cur)
	if err != nil {
		return nil, err
	}
	switch {
	case mc && !mp: // enters
		return s.send(ctx, ev, Create, cur, nil, nil)
	case mc: // stays
		return s.send(ctx, ev, Update, cur, prev, nil)
	case mp: // leaves, or deleted
		return s.remove(ctx, ev, prev)
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
func (s *engineState) merge(ctx context.Context, ev store.Event) ([]Message, error) {
	mc, err := s.member(ctx, ev.Cur)
	if err != nil {
		return nil, err
	}
	if mc {
		var sources []*stix.Object
		for _, src := range ev.SourceObjects {
			if s.sees(src) {
				if red := s.vis.Redact(s.principal, src); red != nil {
					sources = append(sources, red)
				}
			}
		}
		for _, id := range ev.Sources {
			s.cache.forget(id)
		}
		return s.send(ctx, ev, Merge, ev.Cur, nil, sources)
	}
	var out []Message
	for _, src := range ev.SourceObjects {
		ms, err := s.member(ctx, src)
		if err != nil {
			return nil, err
		}
		if ms {
			msgs, err := s.remove(ctx, ev, src)
			if err != nil {
				return nil, err
			}
			out = append(out, msgs...)
		}
		if src != nil {
			s.cache.forget(src.ID())
		}
	}
	mp, err := s.member(ctx, ev.Prev)
	if err != nil {
		return nil, err
	}
	if mp {
		msgs, err := s.remove(ctx, ev, ev.Prev)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	s.cache.forget(ev.ID)
	return out, nil
}

// send plans and orders the group of obj (a member): its dependencies, obj itself as typ
// (with the patch from prev for an update, with sources for a merge) and, with resolution
// on, its relationships.
func (s *engineState) send(ctx context.Context, ev store.Event, typ MessageType, obj, prev *stix.Object, sources []*stix.Object) ([]Message, error) {
	red := s.vis.Redact(s.principal, obj)
	if red == nil {
		return nil, nil
	}
	main := Message{Type: typ, Object: red, Sources: sources}
	if typ == Update {
		redPrev := s.vis.Redact(s.principal, prev)
		if redPrev == nil {
			main.Type = Create
		} else {
			var err error
			if main.Patch, main.ReversePatch, err = patches(redPrev, red); err != nil {
				return nil, fmt.Errorf("stream: diffing %s: %w", obj.ID(), err)
			}
		}
	}
	g := newGroup(ctx, s)
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

// remove deletes obj (the last version the subscriber could see, never a later one it may
// not) and, with resolution on, first the relationships of obj that were sent with it.
//
// Which relationships "were sent" is recomputed from the store rather than remembered, so
// that it is also right for a subscriber that reconnected or whose cache expired: every
// current relationship or sighting of obj that the principal may see, with every other end
// stored and visible — exactly those that resolution sends with obj. With deletions off
// nothing is emitted and the subscriber only forgets obj.
func (s *engineState) remove(ctx context.Context, ev store.Event, obj *stix.Object) ([]Message, error) {
	if s.opts.NoDeletions {
		s.cache.forget(obj.ID())
		return nil, nil
	}
	var out []Message
	if s.resolving() {
		rels, err := s.src.RelationsOf(ctx, obj.ID())
		if err != nil {
			return nil, fmt.Errorf("stream: finding the relationships of %s: %w", obj.ID(), err)
		}
		for _, rec := range rels {
			r := rec.Object
			if r.ID() == obj.ID() || !s.sees(r) {
				continue
			}
			if _, ok, err := s.visibleEnds(ctx, r, obj.ID()); err != nil {
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
	if red := s.vis.Redact(s.principal, obj); red != nil {
		out = append(out, Message{Type: Delete, Object: red, Pos: ev.Pos, Time: ev.Time})
	}
	s.cache.forget(obj.ID())
	return out, nil
}
