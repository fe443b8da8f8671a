package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/btree"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Put implements [store.Writer].
func (s *Store) Put(ctx context.Context, obj *stix.Object) (store.Event, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Event{}, false, err
	}
	if err := store.CheckObject(obj); err != nil {
		return store.Event{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(obj)
}

// putLocked is Put on a checked object with s.mu held for writing.
func (s *Store) putLocked(obj *stix.Object) (store.Event, bool, error) {
	e, ok := s.objects[obj.ID()]
	if !ok {
		ev := s.appendEvent(store.Event{Kind: store.EventCreate, ID: obj.ID(), Cur: obj})
		e = &entry{id: obj.ID(), added: ev.Time, updated: ev.Time, since: ev.Pos,
			versions: []version{{obj: obj, stored: ev.Time}}}
		s.insert(e)
		return ev, true, nil
	}
	i, same, err := place(e, obj)
	if err != nil || same || i < len(e.versions) {
		if err == nil && !same { // an older version: kept, not current
			e.versions = slices.Insert(e.versions, i, version{obj: obj, stored: s.now()})
		}
		return store.Event{}, false, err
	}
	prev := e.current()
	ev := s.appendEvent(store.Event{Kind: store.EventUpdate, ID: obj.ID(), Prev: prev, Cur: obj})
	s.setCurrent(e, obj, ev)
	return ev, true, nil
}

// place is [store.Place] over e's versions.
func place(e *entry, obj *stix.Object) (i int, same bool, err error) {
	return store.Place(len(e.versions), func(i int) *stix.Object { return e.versions[i].obj }, obj)
}

// setCurrent makes obj e's current version at ev's time, keeping the state it replaces for
// reads as of earlier positions. Unversioned objects keep only their current content: there
// is no version to tell older ones apart by.
func (s *Store) setCurrent(e *entry, obj *stix.Object, ev store.Event) {
	prev := e.current()
	s.hist.supersede(e, ev.Pos)
	e.since = ev.Pos
	s.unindexRelation(prev)
	s.byUpdated.Delete(e)
	s.typeIndex(e.id.Type()).byUpdated.Delete(e)
	if obj.Version().IsZero() || prev.Version().IsZero() {
		e.versions = e.versions[:0]
	}
	e.versions = append(e.versions, version{obj: obj, stored: ev.Time})
	e.updated = ev.Time
	s.byUpdated.ReplaceOrInsert(e)
	s.typeIndex(e.id.Type()).byUpdated.ReplaceOrInsert(e)
	s.indexRelation(obj)
}

// Merge implements [store.Writer].
func (s *Store) Merge(ctx context.Context, target *stix.Object, sources []stix.ID) (store.Event, error) {
	if err := ctx.Err(); err != nil {
		return store.Event{}, err
	}
	if err := store.CheckMerge(target, sources); err != nil {
		return store.Event{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.objects[target.ID()]
	if !ok {
		return store.Event{}, notFound(target.ID())
	}
	srcObjs := make([]*stix.Object, len(sources))
	for i, src := range sources {
		se, ok := s.objects[src]
		if !ok {
			return store.Event{}, notFound(src)
		}
		srcObjs[i] = se.current()
	}
	i, same, err := place(e, target)
	if err != nil {
		return store.Event{}, err
	}
	if i < len(e.versions)-1 || !same && i < len(e.versions) {
		return store.Event{}, fmt.Errorf("%w: merge target %s version %s is older than the current version %s", store.ErrConflict,
			target.ID(), stix.FormatTime(target.Version()), stix.FormatTime(e.current().Version()))
	}
	// The sources' relations go first, each with its own event, as a delete of each source
	// would remove them; the target and the sources themselves are merged, not deleted.
	busy := make(map[stix.ID]bool, len(sources)+1)
	busy[target.ID()] = true
	for _, src := range sources {
		busy[src] = true
	}
	for _, src := range sources {
		s.cascadeRelations(src, busy)
	}
	prev := e.current()
	cur := target
	if same {
		cur = prev // the stored bytes stay current
	}
	ev := s.appendEvent(store.Event{Kind: store.EventMerge, ID: target.ID(), Prev: prev, Cur: cur,
		Sources: slices.Clone(sources), SourceObjects: srcObjs})
	if same {
		s.hist.supersede(e, ev.Pos)
		e.since = ev.Pos
		s.byUpdated.Delete(e)
		s.typeIndex(e.id.Type()).byUpdated.Delete(e)
		e.updated = ev.Time
		s.byUpdated.ReplaceOrInsert(e)
		s.typeIndex(e.id.Type()).byUpdated.ReplaceOrInsert(e)
	} else {
		s.setCurrent(e, cur, ev)
	}
	for _, src := range sources {
		se := s.objects[src]
		s.hist.removed(se, ev.Pos)
		s.remove(se)
	}
	return ev, nil
}

// Delete implements [store.Writer]: the relations of id are deleted first (see
// cascadeRelations), then id, all under one hold of the write lock.
func (s *Store) Delete(ctx context.Context, id stix.ID) (store.Event, error) {
	if err := ctx.Err(); err != nil {
		return store.Event{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[id]; !ok {
		return store.Event{}, notFound(id)
	}
	var busy map[stix.ID]bool
	if len(s.relations[id]) > 0 { // most deletes have no relations: no map for them
		busy = map[stix.ID]bool{id: true}
		s.cascadeRelations(id, busy)
	}
	return s.deleteOne(id), nil
}

// cascadeRelations deletes every current relation of id, ordered by id, each after its own
// relations (recursively). busy holds the ids being deleted or merged in this step: they are
// not visited again, so a cycle of relations ends.
func (s *Store) cascadeRelations(id stix.ID, busy map[stix.ID]bool) {
	rels := s.relations[id]
	if len(rels) == 0 {
		return
	}
	ids := make([]stix.ID, 0, len(rels))
	for rid := range rels {
		if !busy[rid] {
			ids = append(ids, rid)
		}
	}
	slices.Sort(ids)
	for _, rid := range ids {
		if _, ok := s.objects[rid]; !ok || busy[rid] {
			continue // deleted meanwhile by a deeper cascade
		}
		busy[rid] = true
		s.cascadeRelations(rid, busy)
		s.deleteOne(rid)
	}
}

// deleteOne appends id's delete event and removes it, keeping its last state for reads as
// of earlier positions.
func (s *Store) deleteOne(id stix.ID) store.Event {
	e := s.objects[id]
	ev := s.appendEvent(store.Event{Kind: store.EventDelete, ID: id, Prev: e.current()})
	s.hist.removed(e, ev.Pos)
	s.remove(e)
	return ev
}

func (s *Store) insert(e *entry) {
	s.objects[e.id] = e
	s.byAdded.ReplaceOrInsert(e)
	s.byUpdated.ReplaceOrInsert(e)
	ti := s.typeIndex(e.id.Type())
	ti.byAdded.ReplaceOrInsert(e)
	ti.byUpdated.ReplaceOrInsert(e)
	s.indexRelation(e.current())
}

func (s *Store) remove(e *entry) {
	delete(s.objects, e.id)
	s.byAdded.Delete(e)
	s.byUpdated.Delete(e)
	ti := s.typeIndex(e.id.Type())
	ti.byAdded.Delete(e)
	ti.byUpdated.Delete(e)
	s.unindexRelation(e.current())
}

func (s *Store) typeIndex(typ string) *typeIndex {
	ti, ok := s.types[typ]
	if !ok {
		ti = &typeIndex{byAdded: btree.NewG(degree, lessAdded), byUpdated: btree.NewG(degree, lessUpdated)}
		s.types[typ] = ti
	}
	return ti
}

// relationEnds appends to buf the ids a relationship or sighting connects (none for other
// types) and returns it; callers pass a small array's slice, so the common case allocates
// nothing.
func relationEnds(obj *stix.Object, buf []stix.ID) []stix.ID {
	var sighting bool
	switch obj.Type() {
	case "relationship":
	case "sighting":
		sighting = true
	default:
		return buf
	}
	for _, r := range obj.Refs() {
		var end bool
		if sighting {
			end = r.Path == "sighting_of_ref" || r.Path == "where_sighted_refs" || r.Path == "observed_data_refs"
		} else {
			end = r.Path == "source_ref" || r.Path == "target_ref"
		}
		if end {
			buf = append(buf, r.ID)
		}
	}
	return buf
}

// endsBuf is the usual room for a relation's ends: a relationship has two.
type endsBuf [4]stix.ID

func (s *Store) indexRelation(obj *stix.Object) {
	var buf endsBuf
	for _, end := range relationEnds(obj, buf[:0]) {
		set, ok := s.relations[end]
		if !ok {
			set = make(map[stix.ID]struct{}, 1)
			s.relations[end] = set
		}
		set[obj.ID()] = struct{}{}
	}
}

func (s *Store) unindexRelation(obj *stix.Object) {
	var buf endsBuf
	for _, end := range relationEnds(obj, buf[:0]) {
		if set, ok := s.relations[end]; ok {
			delete(set, obj.ID())
			if len(set) == 0 {
				delete(s.relations, end)
			}
		}
	}
}
