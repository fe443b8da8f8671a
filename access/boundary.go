package access

import (
	"context"
	"fmt"
	"slices"

	"github.com/ctifeed/ctifeed/stix"
)

// Lookup finds stored objects by id, many at once. The boundary rules ([Visibility.Screen],
// [Visibility.CheckWrite]) depend on objects other than the one being decided (the ends
// of a relationship, the contents of a report), and a feed answers them from its store
// through a Lookup: one call per batch, never one per object.
//
// A feed that decides as of a log position (a live stream that is behind) answers with
// the objects as they were at that position, so that its decisions do not depend on when
// it runs.
type Lookup interface {
	// Lookup calls found once for each id of ids that is stored, with its current object;
	// ids that are not stored are skipped. ids holds no duplicates and is not modified.
	// found must not be called after Lookup returns. An error fails the whole decision.
	Lookup(ctx context.Context, ids []stix.ID, found func(*stix.Object)) error
}

// LookupFunc adapts a function to [Lookup].
type LookupFunc func(ctx context.Context, ids []stix.ID, found func(*stix.Object)) error

// Lookup calls f.
func (f LookupFunc) Lookup(ctx context.Context, ids []stix.ID, found func(*stix.Object)) error {
	return f(ctx, ids, found)
}

// maxRounds bounds how deep the ends of relations of relations are followed. Each round is
// one Lookup call; a relation whose ends are not settled after it counts as hidden, so a
// hostile chain of relationships costs a bounded number of calls and fails closed.
const maxRounds = 8

// Screen applies the whole boundary (REFERENCE §3.2 and §3.3) to a batch of objects that
// p is about to receive, and returns a slice parallel to objs: out[i] is objs[i] as p may
// receive it, or nil when it must not leave the feed. An object leaves when
//   - p may see it ([Visibility.CanSee]), and
//   - for a relationship or sighting, p may see every one of its ends that is stored
//     (source_ref, target_ref; sighting_of_ref, where_sighted_refs, observed_data_refs);
//     an end that is not stored (a dangling reference) does not block it, and an end that
//     is itself a relationship or sighting counts as visible only under this same rule.
//
// What leaves is redacted: granted organizations are stripped ([Visibility.Redact]), and a
// container's object_refs (report, grouping, note, opinion, observed-data) lose every
// reference to a stored object p may not see, by the rule above; the list is kept, empty
// if nothing is left, and references to objects that are not stored stay. Nothing else is
// changed.
//
// Screen calls look once for all the ends and contents of the batch (deduplicated), and
// once more per level of relations whose ends are relations; it calls it not at all when
// nothing in the batch needs it, or for a principal holding [CapBypass]. objs may hold
// several versions of one object; each is decided on its own content, against the stored
// (current) state of the objects it names. A nil p receives nothing. An error is look's.
func (v *Visibility) Screen(ctx context.Context, p *Principal, objs []*stix.Object, look Lookup) ([]*stix.Object, error) {
	out := make([]*stix.Object, len(objs))
	if p == nil {
		return out, nil
	}
	if p.bypass() {
		copy(out, objs)
		return out, nil
	}
	var s screen
	for i, o := range objs {
		if o == nil || !v.CanSee(p, o) {
			continue
		}
		out[i] = o
		s.want(o)
	}
	if err := s.resolve(ctx, v, p, look); err != nil {
		return nil, err
	}
	for i, o := range out {
		if o == nil {
			continue
		}
		if stix.IsRelationshipType(o.Type()) && !s.endsVisible(o) {
			out[i] = nil
			continue
		}
		if stix.IsContainer(o.Type()) {
			if o = s.redactContents(o); o == nil {
				out[i] = nil
				continue
			}
		}
		out[i] = v.Redact(p, o)
	}
	return out, nil
}

// ScreenOne is [Visibility.Screen] for one object: o as p may receive it, or nil.
func (v *Visibility) ScreenOne(ctx context.Context, p *Principal, o *stix.Object, look Lookup) (*stix.Object, error) {
	out, err := v.Screen(ctx, p, []*stix.Object{o}, look)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// RelationEnds returns the ids a relationship or sighting connects, each once: source_ref
// and target_ref; sighting_of_ref, where_sighted_refs and observed_data_refs. It returns
// nil for other objects.
func RelationEnds(o *stix.Object) []stix.ID {
	if o == nil || !stix.IsRelationshipType(o.Type()) {
		return nil
	}
	return appendEnds(nil, o)
}

func appendEnds(dst []stix.ID, o *stix.Object) []stix.ID {
	for _, r := range o.Refs() {
		if isEnd(r.Path) && r.ID != "" && !slices.Contains(dst, r.ID) {
			dst = append(dst, r.ID)
		}
	}
	return dst
}

func isEnd(path string) bool {
	switch path {
	case "source_ref", "target_ref", "sighting_of_ref", "where_sighted_refs", "observed_data_refs":
		return true
	}
	return false
}

// screen holds what one Screen call learnt about the objects a batch names.
type screen struct {
	ids     []stix.ID // still to look up
	asked   map[stix.ID]bool
	stored  map[stix.ID]*stix.Object
	visible map[stix.ID]bool // for stored ids: may p receive it (for relations: with its ends)
}

// want queues the ids o's decision depends on: a relation's ends, a container's contents.
func (s *screen) want(o *stix.Object) {
	rel, cont := stix.IsRelationshipType(o.Type()), stix.IsContainer(o.Type())
	if !rel && !cont {
		return
	}
	for _, r := range o.Refs() {
		if r.ID == "" || r.ID == o.ID() {
			continue
		}
		if rel && isEnd(r.Path) || cont && r.Path == "object_refs" {
			s.ask(r.ID)
		}
	}
}

func (s *screen) ask(id stix.ID) {
	if s.asked == nil {
		s.asked = map[stix.ID]bool{}
	}
	if !s.asked[id] {
		s.asked[id] = true
		s.ids = append(s.ids, id)
	}
}

// resolve looks up the queued ids, round by round, following the ends of the stored
// relations it finds, and then decides which stored ids p may see: for a relation, the
// greatest fixed point of "p may see it and every stored end", so that a cycle of
// relations does not hide itself, while a hidden object hides every relation that leads
// to it, however indirectly.
func (s *screen) resolve(ctx context.Context, v *Visibility, p *Principal, look Lookup) error {
	if len(s.ids) == 0 {
		return nil
	}
	if look == nil {
		return fmt.Errorf("access: deciding %d related objects needs a Lookup", len(s.ids))
	}
	s.stored = make(map[stix.ID]*stix.Object, len(s.ids))
	s.visible = make(map[stix.ID]bool, len(s.ids))
	unsettled := false
	for round := 0; len(s.ids) > 0; round++ {
		if round == maxRounds {
			unsettled = true
			break
		}
		batch := s.ids
		s.ids = nil
		var found []*stix.Object
		err := look.Lookup(ctx, batch, func(o *stix.Object) {
			if o != nil {
				found = append(found, o)
			}
		})
		if err != nil {
			return err
		}
		for _, o := range found {
			if !s.asked[o.ID()] || s.stored[o.ID()] != nil {
				continue // not asked for, or twice: ignore what the contract forbids
			}
			s.stored[o.ID()] = o
			see := v.CanSee(p, o)
			s.visible[o.ID()] = see
			if see && stix.IsRelationshipType(o.Type()) {
				for _, e := range appendEnds(nil, o) {
					if e != o.ID() {
						s.ask(e)
					}
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for id, o := range s.stored {
			if !s.visible[id] || !stix.IsRelationshipType(o.Type()) {
				continue
			}
			for _, e := range appendEnds(nil, o) {
				if e == id {
					continue
				}
				_, isStored := s.stored[e]
				if isStored && !s.visible[e] || !isStored && unsettled && !s.settled(e) {
					s.visible[id] = false
					changed = true
					break
				}
			}
		}
	}
	return nil
}

// settled reports whether id was looked up (and so is known to be stored or not).
func (s *screen) settled(id stix.ID) bool {
	return s.asked[id] && !slices.Contains(s.ids, id)
}

// hidden reports whether id names a stored object p may not receive. An id that was asked
// for but not settled within maxRounds counts as hidden.
func (s *screen) hidden(id stix.ID) bool {
	if _, ok := s.stored[id]; ok {
		return !s.visible[id]
	}
	return !s.settled(id)
}

func (s *screen) endsVisible(o *stix.Object) bool {
	for _, e := range appendEnds(nil, o) {
		if e != o.ID() && s.hidden(e) {
			return false
		}
	}
	return true
}

// redactContents returns o without the object_refs entries that name hidden objects; o
// itself when there are none; nil if the object could not be rewritten (never emitted).
func (s *screen) redactContents(o *stix.Object) *stix.Object {
	drop := false
	for _, r := range o.Refs() {
		if r.Path == "object_refs" && r.ID != o.ID() && s.hidden(r.ID) {
			drop = true
			break
		}
	}
	if !drop {
		return o
	}
	return removeRefs(o, "object_refs", s.hidden)
}
