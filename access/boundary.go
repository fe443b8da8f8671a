package access

import (
	"context"
	"fmt"
	"slices"
	"strings"

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

// Screen applies the whole boundary (docs/access.md §2 and §3) to a batch of objects that
// p is about to receive, and returns a slice parallel to objs: out[i] is objs[i] as p may
// receive it, or nil when it must not leave the feed. An object leaves when
//   - p may see it ([Visibility.CanSee]), and
//   - for a relationship or sighting, p may see every one of its ends that is stored
//     (source_ref, target_ref; sighting_of_ref, where_sighted_refs, observed_data_refs);
//     an end that is not stored (a dangling reference) does not block it, and an end that
//     is itself a relationship or sighting counts as visible only under this same rule.
//
// What leaves is redacted so that it names no object p may not receive (by the rule
// above): a container's object_refs (report, grouping, note, opinion, observed-data) and
// every other top-level list of references lose the entries naming such objects (the
// list is kept, empty if nothing is left); a top-level single reference naming one
// (created_by_ref, …) is removed; an object that names one deeper inside (in an
// extension, say) is withheld. References to objects that are not stored stay, and
// markings and grants are not references to check (markings passed the clearance;
// granted organizations are stripped by [Visibility.Redact], applied last). Nothing
// else is changed.
//
// Screen calls look once for all the objects the batch names (deduplicated), and once
// more per level of relations among them whose ends must be checked in turn; it calls it
// not at all when nothing in the batch names another object, or for a principal holding
// [CapBypass]. objs may hold
// several versions of one object; each is decided on its own content, against the stored
// (current) state of the objects it names. A nil p receives nothing. An error is look's.
func (v *Visibility) Screen(ctx context.Context, p *Principal, objs []*stix.Object, look Lookup) ([]*stix.Object, error) {
	return v.screen(ctx, p, objs, look, false, false)
}

// ScreenCurrent is [Visibility.Screen] for a batch that holds only current versions, each
// id once (a page of current records): the objects of the batch that other objects of it
// name are then decided from the batch itself, and look is asked only for the others. A
// page whose objects name each other (relationships and their ends, a collection and its
// contents) costs that much less.
func (v *Visibility) ScreenCurrent(ctx context.Context, p *Principal, objs []*stix.Object, look Lookup) ([]*stix.Object, error) {
	return v.screen(ctx, p, objs, look, true, false)
}

// Admit is [Visibility.Screen] for a feed that lists objects without serving them (a TAXII
// manifest, the versions of an object): ok[i] reports whether Screen would let objs[i]
// leave. It decides exactly as Screen does but skips rewriting what leaves (granted
// organizations stripped, references to hidden objects removed), which a listing of ids
// and versions never shows; a feed must never serve an object's content on the strength
// of Admit alone.
func (v *Visibility) Admit(ctx context.Context, p *Principal, objs []*stix.Object, look Lookup) ([]bool, error) {
	return admitted(v.screen(ctx, p, objs, look, false, true))
}

// AdmitCurrent is [Visibility.Admit] for a batch of current versions, each id once, as
// [Visibility.ScreenCurrent] is for Screen.
func (v *Visibility) AdmitCurrent(ctx context.Context, p *Principal, objs []*stix.Object, look Lookup) ([]bool, error) {
	return admitted(v.screen(ctx, p, objs, look, true, true))
}

func admitted(out []*stix.Object, err error) ([]bool, error) {
	if err != nil {
		return nil, err
	}
	ok := make([]bool, len(out))
	for i, o := range out {
		ok[i] = o != nil
	}
	return ok, nil
}

// screen is Screen (current: ScreenCurrent). With decideOnly, what may leave is returned as
// it is, unredacted, when nothing the batch names is hidden: Redact never refuses an object
// stix.Parse accepted (FuzzRedact), so only the decision is spared its cost; only Admit,
// and AdmitCurrent, which return no object, ask for it.
func (v *Visibility) screen(ctx context.Context, p *Principal, objs []*stix.Object, look Lookup, current, decideOnly bool) ([]*stix.Object, error) {
	out := make([]*stix.Object, len(objs))
	if p == nil {
		return out, nil
	}
	if p.bypass() {
		copy(out, objs)
		return out, nil
	}
	// The map is sized for the larger of the batch and its biggest list of references:
	// a page holding a collection of thousands of objects (ATT&CK's x-mitre-collection)
	// then does not grow it step by step, while a page of relationships naming a few
	// hundred objects many times over does not get a map sized for every reference.
	n := len(objs)
	for _, o := range objs {
		if o != nil {
			n = max(n, len(o.Refs()))
		}
	}
	s := v.getScreen(n)
	defer v.putScreen(s)
	var spans []span // current batches: where want put the ends of each relation
	for i, o := range objs {
		if o == nil || !v.CanSee(p, o) {
			continue
		}
		out[i] = o
		from, to := s.want(o)
		if current && to > from {
			if spans == nil {
				spans = make([]span, len(objs))
			}
			spans[i] = span{from, to}
		}
	}
	if current && len(s.ids) > 0 {
		for i, o := range objs {
			if o == nil {
				continue
			}
			if j, ok := s.index[o.ID()]; ok && !s.entries[j].stored {
				if spans != nil && spans[i].to > spans[i].from { // a visible relation: its ends are known
					s.settleFound(j, true)
					s.addRelation(j, spans[i])
				} else {
					s.found(j, o, out[i] != nil)
				}
			}
		}
	}
	if err := s.resolve(ctx, v, p, look); err != nil {
		return nil, err
	}
	someHidden := s.someHidden()
	for i, o := range out {
		if o == nil {
			continue
		}
		if !someHidden { // the common case: nothing the batch names is hidden
			if !decideOnly {
				out[i] = v.Redact(p, o)
			}
			continue
		}
		if stix.IsRelationshipType(o.Type()) && !s.endsVisible(o) {
			out[i] = nil
			continue
		}
		if o = s.redactRefs(o); o == nil {
			out[i] = nil
			continue
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

// appendEnds appends o's ends to dst, each once among those appended.
func appendEnds(dst []stix.ID, o *stix.Object) []stix.ID {
	from := len(dst)
	for _, r := range o.Refs() {
		if isEnd(r.Path) && r.ID != "" && !slices.Contains(dst[from:], r.ID) {
			dst = append(dst, r.ID)
		}
	}
	return dst
}

func isEnd(path string) bool {
	if path == "" || path[0] != 's' && path[0] != 't' && path[0] != 'w' && path[0] != 'o' {
		return false // most references (created_by_ref, …): no string comparison
	}
	switch path {
	case "source_ref", "target_ref", "sighting_of_ref", "where_sighted_refs", "observed_data_refs":
		return true
	}
	return false
}

// screen holds what one Screen call learnt about the objects a batch names. Entries live
// in one slice, found through one map from id to index, so that each id costs one hash
// per look-up and none per update.
type screen struct {
	ids     []int32 // entries asked, still to look up
	index   map[stix.ID]int32
	entries []entry
	rels    []int32 // entries of the stored relations p may see, whose ends decide them
	ends    []int32 // backing store of the entries' ends, as entry indices
	// last and author are ids want asked for, with their entries: the last one, and the
	// last created_by_ref. The objects of a page name their author again and again
	// (created_by_ref, and ATT&CK's x_mitre_modified_by_ref after the other references),
	// which then costs no map look-up.
	last, author       stix.ID
	lastIdx, authorIdx int32
	sized              int // the ids the map was made for
}

// getScreen returns an empty screen from v's pool, or a new one for about n ids. Pages are
// screened one after the other with similar sizes, so the maps and slices of one serve
// the next instead of being allocated, and collected, for each.
func (v *Visibility) getScreen(n int) *screen {
	if s, ok := v.screens.Get().(*screen); ok {
		return s
	}
	return &screen{index: make(map[stix.ID]int32, n), sized: n}
}

// maxPooled bounds the ids of a screen kept for reuse: a huge batch's map is let go rather
// than cleared at every reuse.
const maxPooled = 1 << 15

func (v *Visibility) putScreen(s *screen) {
	if len(s.entries) > maxPooled || s.sized > maxPooled {
		return
	}
	clear(s.index)
	clear(s.entries) // drop the ids, views into objects' JSON
	*s = screen{index: s.index, entries: s.entries[:0], ids: s.ids[:0], rels: s.rels[:0], ends: s.ends[:0], sized: s.sized}
	v.screens.Put(s)
}

// span is a range of screen.ends.
type span struct{ from, to int32 }

// entry is what is known of one id asked for.
type entry struct {
	id      stix.ID
	settled bool // looked up: known to be stored or not
	stored  bool
	visible bool // stored, and p may receive it (for a relation: with its stored ends)
	// ends of a stored relation p may see, other than itself: the entries ends[from:to]
	from, to int32
}

// want queues the ids o's decision depends on: every object it names, except the marking
// definitions (allowed by the clearance that let o through) and the organizations it is
// granted to (access data, stripped by Redact). For a relation it appends the entries of
// its ends (other than itself) to s.ends and returns where they are, so that deciding it
// later costs no second look-up of its ends.
func (s *screen) want(o *stix.Object) (from, to int32) {
	rel := stix.IsRelationshipType(o.Type())
	start := len(s.ends)
	for _, r := range o.Refs() {
		if r.ID == "" || r.ID == o.ID() || !names(r.Path) {
			continue
		}
		j := s.recentEntry(r.ID, r.Path)
		if rel && isEnd(r.Path) { // an end named twice is checked twice, which is harmless
			s.ends = append(s.ends, j)
		}
	}
	return int32(start), int32(len(s.ends))
}

// recentEntry is entry for the ids want asks, through last and author.
func (s *screen) recentEntry(id stix.ID, path string) int32 {
	switch id {
	case s.last:
		return s.lastIdx
	case s.author:
		s.last, s.lastIdx = id, s.authorIdx
		return s.authorIdx
	}
	i := s.entry(id)
	s.last, s.lastIdx = id, i
	if path == "created_by_ref" {
		s.author, s.authorIdx = id, i
	}
	return i
}

// names reports whether a reference at path names knowledge the boundary must check:
// not a marking (object_marking_refs, granular_markings[].marking_ref) and not a grant.
func names(path string) bool {
	switch {
	case path == "object_marking_refs", path == grantedExtPath, path == grantedTopPath:
		return false
	case strings.HasPrefix(path, "granular_markings."):
		return false
	}
	return true
}

// entry returns the index of id's entry, adding one (asked for) if there is none.
func (s *screen) entry(id stix.ID) int32 {
	if s.index == nil {
		s.index = map[stix.ID]int32{}
	}
	i, ok := s.index[id]
	if !ok {
		i = int32(len(s.entries))
		s.entries = append(s.entries, entry{id: id})
		s.index[id] = i
		s.ids = append(s.ids, i)
	}
	return i
}

// resolve looks up the queued ids, round by round, following the ends of the stored
// relations it finds, and then decides which stored ids p may see: for a relation, the
// greatest fixed point of "p may see it and every stored end", so that a cycle of
// relations does not hide itself, while a hidden object hides every relation that leads
// to it, however indirectly.
func (s *screen) resolve(ctx context.Context, v *Visibility, p *Principal, look Lookup) error {
	var batch []stix.ID
	var batchIdx []int32
	for round := 0; round < maxRounds; round++ {
		batch, batchIdx = batch[:0], batchIdx[:0]
		for _, i := range s.ids {
			if !s.entries[i].settled {
				batch, batchIdx = append(batch, s.entries[i].id), append(batchIdx, i)
			}
		}
		s.ids = s.ids[:0]
		if len(batch) == 0 {
			break
		}
		if look == nil {
			return fmt.Errorf("access: deciding %d related objects needs a Lookup", len(batch))
		}
		var found []*stix.Object
		err := look.Lookup(ctx, batch, func(o *stix.Object) {
			if o != nil {
				found = append(found, o)
			}
		})
		if err != nil {
			return err
		}
		for _, i := range batchIdx {
			s.entries[i].settled = true
		}
		for _, o := range found {
			if i, asked := s.index[o.ID()]; asked && !s.entries[i].stored { // ignore what the contract forbids
				s.found(i, o, v.CanSee(p, o))
			}
		}
	}
	return s.settle()
}

// found records that entry i's object o is stored, and whether p may see it, and asks
// for the ends of a relation p may see.
func (s *screen) found(i int32, o *stix.Object, visible bool) {
	s.settleFound(i, visible)
	if !visible || !stix.IsRelationshipType(o.Type()) {
		return
	}
	// The ends are kept as entry indices, so that settle decides without hashing an id.
	from := len(s.ends)
	id := s.entries[i].id
	for _, r := range o.Refs() {
		if isEnd(r.Path) && r.ID != "" && r.ID != id {
			if j := s.entry(r.ID); !slices.Contains(s.ends[from:], j) {
				s.ends = append(s.ends, j)
			}
		}
	}
	s.addRelation(i, span{int32(from), int32(len(s.ends))})
}

// settleFound records that entry i is stored, and whether p may see it.
func (s *screen) settleFound(i int32, visible bool) {
	e := &s.entries[i]
	e.settled, e.stored, e.visible = true, true, visible
}

// addRelation records that entry i is a relation p may see, whose ends are s.ends[sp].
func (s *screen) addRelation(i int32, sp span) {
	e := &s.entries[i]
	e.from, e.to = sp.from, sp.to
	s.rels = append(s.rels, i)
}

// settle decides the relations: the greatest fixed point of "p may see it and every
// stored end".
func (s *screen) settle() error {
	for changed := true; changed; {
		changed = false
		for _, i := range s.rels {
			e := &s.entries[i]
			if !e.visible {
				continue
			}
			for _, end := range s.ends[e.from:e.to] {
				if s.entries[end].hidden() {
					e.visible = false
					changed = true
					break
				}
			}
		}
	}
	return nil
}

// someHidden reports whether any id asked for is hidden.
func (s *screen) someHidden() bool {
	for i := range s.entries {
		if s.entries[i].hidden() {
			return true
		}
	}
	return false
}

// hidden reports whether the entry names a stored object p may not receive, or one not
// settled (beyond maxRounds): fail closed.
func (e *entry) hidden() bool { return !e.settled || e.stored && !e.visible }

// hidden reports whether id names a stored object p may not receive. An id that was not
// settled (not asked, or beyond maxRounds) counts as hidden: fail closed.
func (s *screen) hidden(id stix.ID) bool {
	i, ok := s.index[id]
	return !ok || s.entries[i].hidden()
}

func (s *screen) endsVisible(o *stix.Object) bool {
	var buf [4]stix.ID
	for _, e := range appendEnds(buf[:0], o) {
		if e != o.ID() && s.hidden(e) {
			return false
		}
	}
	return true
}

// redactRefs returns o without the references to hidden objects: a top-level list
// (object_refs, sample_refs, …) loses the hidden entries, a top-level single reference
// (created_by_ref, …) is removed. It returns o itself when nothing names a hidden object,
// and nil, so that o is withheld, when a hidden object is named deeper inside it (in an
// extension, say), where removing it could break the object, or when o could not be
// rewritten. Relationship and sighting ends never get here: they withhold the relation.
func (s *screen) redactRefs(o *stix.Object) *stix.Object {
	drop := false
	for _, r := range o.Refs() {
		if r.ID == "" || r.ID == o.ID() || !names(r.Path) || !s.hidden(r.ID) {
			continue
		}
		if strings.ContainsAny(r.Path, ".\\") {
			return nil
		}
		drop = true
	}
	if !drop {
		return o
	}
	return removeRefs(o, func(r stix.Ref) bool {
		return r.ID != o.ID() && names(r.Path) && s.hidden(r.ID)
	})
}
