package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// cascadeOrder returns the relations a delete of each root removes, in the contract's order:
// each root's current relations by id ascending, each after its own relations, none twice
// and none of busy (the roots themselves, and for a merge its target and sources).
func cascadeOrder(t *testing.T, s store.Store, roots []stix.ID, busy map[stix.ID]bool) []stix.ID {
	t.Helper()
	var out []stix.ID
	var visit func(id stix.ID)
	visit = func(id stix.ID) {
		rels, err := s.RelationsOf(t.Context(), id)
		if err != nil {
			t.Fatalf("RelationsOf(%s): %v", id, err)
		}
		for _, r := range rels {
			rid := r.Object.ID()
			if busy[rid] {
				continue
			}
			busy[rid] = true
			visit(rid)
			out = append(out, rid)
		}
	}
	for _, root := range roots {
		visit(root)
	}
	return out
}

// graph stores an object x with relations of every kind around it and returns x, the
// relations a delete of x must remove, and the objects it must leave.
func graph(t *testing.T, s store.Store) (x stix.ID, gone, stay []*stix.Object) {
	t.Helper()
	obj := indicator(t, 0)
	mal, ident := object(t, "malware"), object(t, "identity")
	out := relationship(t, obj.ID(), mal.ID())
	in := relationship(t, mal.ID(), obj.ID())
	sight, err := stix.NewSighting(obj.ID(), []stix.ID{ident.ID()}, stix.Common{Created: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	seen, err := stix.NewSighting(mal.ID(), []stix.ID{obj.ID()}, stix.Common{Created: at(0)}) // x in where_sighted_refs
	if err != nil {
		t.Fatal(err)
	}
	ofRel := relationship(t, out.ID(), ident.ID()) // a relationship of a relationship of x
	// A cycle: c1 (x → c2) and c2 (c1 → malware) are each other's relations.
	c2ID := stix.NewID("relationship")
	c1 := relationship(t, obj.ID(), c2ID)
	c2, err := stix.NewRelationship("related-to", c1.ID(), mal.ID(), stix.Common{ID: c2ID, Created: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	unrelated := relationship(t, mal.ID(), ident.ID())
	rep, err := stix.NewReport("r", at(0), []stix.ID{obj.ID()}, stix.Common{Created: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*stix.Object{obj, mal, ident, out, in, sight, seen, ofRel, c1, c2, unrelated, rep} {
		mustPut(t, s, o)
	}
	return obj.ID(), []*stix.Object{out, in, sight, seen, ofRel, c1, c2}, []*stix.Object{mal, ident, unrelated, rep}
}

// checkDeletes checks that evs are one delete per id of want, in order, each carrying the
// last version of what it deleted.
func checkDeletes(evs []store.Event, want []stix.ID, last map[stix.ID]*stix.Object) error {
	var got []stix.ID
	var errs []error
	for _, ev := range evs {
		got = append(got, ev.ID)
		if ev.Kind != store.EventDelete || ev.Cur != nil || !sameObject(ev.Prev, last[ev.ID]) {
			errs = append(errs, fmt.Errorf("event for %s is %v with prev %s, want a delete with prev %s", ev.ID, ev.Kind, name(ev.Prev), name(last[ev.ID])))
		}
	}
	if !slices.Equal(got, want) {
		errs = append(errs, fmt.Errorf("deletes in the log:\n got %v\nwant %v", got, want))
	}
	return errors.Join(errs...)
}

// Delete removes every current relation of the object first (recursively, ordered by id,
// a cycle visited once), each with its own delete event, then the object; objects that
// merely reference it stay.
func testDeleteCascades(t *testing.T, s store.Store) {
	x, gone, stay := graph(t, s)
	want := append(cascadeOrder(t, s, []stix.ID{x}, map[stix.ID]bool{x: true}), x)
	if len(want) != len(gone)+1 {
		t.Fatalf("the fixture's cascade has %d relations, want %d (RelationsOf misses some)", len(want)-1, len(gone))
	}
	last := map[stix.ID]*stix.Object{x: mustGet(t, s, x).Object}
	for _, o := range gone {
		last[o.ID()] = o
	}
	before := lastPos(t, s)
	ev, err := s.Delete(t.Context(), x)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != x || ev.Kind != store.EventDelete {
		t.Errorf("Delete returned the event %v %s, want its own delete", ev.Kind, ev.ID)
	}
	evs := readAll(t, s, before)
	if err := checkDeletes(evs, want, last); err != nil {
		t.Error(err)
	}
	if len(evs) > 0 && evs[len(evs)-1].Pos != ev.Pos {
		t.Errorf("Delete returned position %s, but the object's own event is last at %s", ev.Pos, evs[len(evs)-1].Pos)
	}
	for _, o := range gone {
		if _, err := s.Get(t.Context(), o.ID()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("relation %s survived the cascade (Get error %v)", o.ID(), err)
		}
	}
	for _, o := range stay {
		if _, err := s.Get(t.Context(), o.ID()); err != nil {
			t.Errorf("%s (%s) is not a relation of the deleted object but is gone: %v", o.ID(), o.Type(), err)
		}
	}
}

// Each merge source is removed as Delete removes it: its relations (other than the target
// and the sources) are deleted first, sources in the order given, each source's relations
// by id; then the one merge event. The target's own relations stay.
func testMergeCascades(t *testing.T, s store.Store) {
	target, s1, s2 := object(t, "threat-actor"), object(t, "threat-actor"), object(t, "threat-actor")
	ind := indicator(t, 0)
	rels := []*stix.Object{
		relationship(t, s1.ID(), ind.ID()),
		relationship(t, ind.ID(), s2.ID()),
		relationship(t, s1.ID(), s2.ID()),     // a relation of both sources
		relationship(t, s2.ID(), target.ID()), // a source's relation to the target
	}
	kept := relationship(t, target.ID(), ind.ID())
	ofRel := relationship(t, rels[0].ID(), ind.ID())
	for _, o := range append([]*stix.Object{target, s1, s2, ind, kept, ofRel}, rels...) {
		mustPut(t, s, o)
	}
	sources := []stix.ID{s2.ID(), s1.ID()}
	busy := map[stix.ID]bool{target.ID(): true, s1.ID(): true, s2.ID(): true}
	want := cascadeOrder(t, s, sources, busy)
	last := map[stix.ID]*stix.Object{ofRel.ID(): ofRel}
	for _, o := range rels {
		last[o.ID()] = o
	}
	before := lastPos(t, s)
	merged := next(t, target, 5, "merged")
	ev, err := s.Merge(t.Context(), merged, sources)
	if err != nil {
		t.Fatal(err)
	}
	evs := readAll(t, s, before)
	if len(evs) == 0 || evs[len(evs)-1].Pos != ev.Pos || evs[len(evs)-1].Kind != store.EventMerge {
		t.Fatalf("the merge event is not the last of the %d events the merge appended", len(evs))
	}
	if err := checkDeletes(evs[:len(evs)-1], want, last); err != nil {
		t.Error(err)
	}
	if rs, err := s.RelationsOf(t.Context(), target.ID()); err != nil || len(rs) != 1 || rs[0].Object.ID() != kept.ID() {
		t.Errorf("RelationsOf(target) after the merge = %s, %v; want only the target's own relation", recsString(rs), err)
	}
}

// Merge refuses, with ErrConflict and no change, a target that is a stored version older
// than the current one (issue 23 item 6: a stored older target used to be taken as current).
func testMergeOlderStoredTarget(t *testing.T, s store.Store) {
	v1 := object(t, "threat-actor")
	v2 := next(t, v1, 5, "current")
	src := object(t, "threat-actor")
	for _, o := range []*stix.Object{v1, v2, src} {
		mustPut(t, s, o)
	}
	if vs, err := s.Versions(t.Context(), v1.ID()); err != nil || len(vs) != 2 {
		t.Fatalf("Versions = %d records, %v; want v1 and v2 stored", len(vs), err)
	}
	before := lastPos(t, s)
	if _, err := s.Merge(t.Context(), v1, []stix.ID{src.ID()}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Merge with the stored older version as target: error %v, want ErrConflict", err)
	}
	if got := lastPos(t, s); got != before {
		t.Errorf("the refused merge moved the log from %s to %s", before, got)
	}
	if r := mustGet(t, s, v1.ID()); !sameObject(r.Object, v2) {
		t.Errorf("current after the refused merge = %s, want %s", name(r.Object), name(v2))
	}
	if _, err := s.Get(t.Context(), src.ID()); err != nil {
		t.Errorf("the refused merge removed its source: %v", err)
	}
}
