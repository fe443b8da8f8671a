package storetest

import (
	"errors"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Retention drops the oldest events; Bounds says up to where (Dropped), and reading after,
// or as of, a position before that is ErrGap, never a silent skip; from Dropped on the log
// and the as-of reads are whole.
func testRetentionGaps(t *testing.T, newStore func(maxEvents int) store.Store) {
	s := newStore(3)
	a, b, c := object(t, "malware"), object(t, "malware"), object(t, "malware")
	var all []store.Event
	for _, o := range []*stix.Object{a, b, c, next(t, a, 1, "a2")} {
		all = append(all, mustPut(t, s, o))
	}
	ev, err := s.Delete(t.Context(), b.ID())
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, ev)
	if ev, err = s.Merge(t.Context(), next(t, a, 2, "a3"), []stix.ID{c.ID()}); err != nil {
		t.Fatal(err)
	}
	all = append(all, ev, mustPut(t, s, object(t, "malware")))
	bounds, err := s.Bounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := len(all)
	if bounds.Count != 3 || bounds.First != all[n-3].Pos || bounds.Last != all[n-1].Pos || bounds.Dropped != all[n-4].Pos {
		t.Errorf("Bounds = %+v; want the newest 3 events %s..%s, Dropped %s", bounds, all[n-3].Pos, all[n-1].Pos, all[n-4].Pos)
	}
	if bounds.Origin.Compare(all[0].Pos) >= 0 {
		t.Errorf("Origin %s is not before the first event ever appended, %s", bounds.Origin, all[0].Pos)
	}
	for _, p := range []store.Position{{}, bounds.Origin, all[0].Pos, all[n-5].Pos} {
		if _, err := s.Read(t.Context(), p, 10); !errors.Is(err, store.ErrGap) {
			t.Errorf("Read(after %s), events after it dropped: %v, want ErrGap", p, err)
		}
		if _, err := s.GetManyAt(t.Context(), p, []stix.ID{a.ID()}); !errors.Is(err, store.ErrGap) {
			t.Errorf("GetManyAt(%s), a dropped position: %v, want ErrGap", p, err)
		}
		if _, err := s.RelationsOfAt(t.Context(), p, a.ID()); !errors.Is(err, store.ErrGap) {
			t.Errorf("RelationsOfAt(%s), a dropped position: %v, want ErrGap", p, err)
		}
	}
	ids := []stix.ID{a.ID(), b.ID(), c.ID(), all[n-1].ID}
	checked := 0
	for _, p := range probes(all, replay(all)) {
		if p.at.Compare(bounds.Dropped) < 0 {
			continue // dropped: ErrGap, checked above
		}
		checked++
		if err := checkPosition(t, s, bounds, all, p.at); err != nil {
			t.Error(err)
		}
		if err := checkAsOf(t, s, p, ids, nil); err != nil {
			t.Error(err)
		}
	}
	if checked < 4 {
		t.Errorf("only %d retained positions were read as of, want at least the dropped one and 3 retained", checked)
	}
}

// As retention drops events, what the as-of reads keep follows: after every write, every
// retained position (from Dropped on, and between events) still reads as the replay of the
// whole log, and the newest position before Dropped is ErrGap. States superseded, ids
// deleted and relations moved before Dropped are no longer asked for; those after it still
// answer.
func testRetentionAsOf(t *testing.T, newStore func(maxEvents int) store.Store) {
	const keep = 4
	s := newStore(keep)
	ind, mal, mal2, ident := indicator(t, 0), object(t, "malware"), object(t, "malware"), object(t, "identity")
	ta, ta2 := object(t, "threat-actor"), object(t, "threat-actor")
	r := relationship(t, ind.ID(), mal.ID())
	sight, err := stix.NewSighting(ind.ID(), []stix.ID{ident.ID()}, stix.Common{Created: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	ids := []stix.ID{ind.ID(), mal.ID(), mal2.ID(), ident.ID(), ta.ID(), ta2.ID(), r.ID(), sight.ID()}
	put := func(o *stix.Object) func() error {
		return func() error { _, _, err := s.Put(t.Context(), o); return err }
	}
	del := func(id stix.ID) func() error {
		return func() error { _, err := s.Delete(t.Context(), id); return err }
	}
	moved, err := r.NewVersion(at(3), func(m map[string]any) { m["target_ref"] = mal2.ID() })
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		put(ind), put(mal), put(mal2), put(ident), put(r), put(sight),
		put(next(t, ind, 1, "ind 2")), put(next(t, ind, 2, "ind 3")), put(moved),
		put(ta), put(ta2), put(relationship(t, ta2.ID(), ind.ID())),
		func() error {
			_, err := s.Merge(t.Context(), next(t, ta, 4, "merged"), []stix.ID{ta2.ID()})
			return err
		},
		put(next(t, ind, 5, "ind 4")),
		del(mal2.ID()), // cascades to r
		put(mal2), put(next(t, mal2, 6, "mal2 again")),
		del(ind.ID()), // cascades to the sighting
		put(next(t, ta, 7, "ta again")), put(ind), put(next(t, ind, 8, "ind 5")),
		del(ident.ID()), put(object(t, "tool")), put(object(t, "tool")), put(object(t, "tool")),
	}
	var all []store.Event
	var pos store.Position
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		evs, err := s.Read(t.Context(), pos, keep)
		if err != nil {
			t.Fatalf("step %d: reading its events: %v", i, err)
		}
		all = append(all, evs...)
		if len(evs) > 0 {
			pos = evs[len(evs)-1].Pos
		}
		b, err := s.Bounds(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		models := replay(all)
		gapAt := store.Position{}
		for _, p := range probes(all, models) {
			if p.at.Compare(b.Dropped) < 0 {
				gapAt = p.at
				continue
			}
			if err := checkAsOf(t, s, p, ids, ids); err != nil {
				t.Errorf("after step %d (dropped up to %s): %v", i, b.Dropped, err)
			}
		}
		if !gapAt.IsZero() {
			if _, err := s.GetManyAt(t.Context(), gapAt, ids); !errors.Is(err, store.ErrGap) {
				t.Errorf("after step %d: GetManyAt(%s), before Dropped %s: %v, want ErrGap", i, gapAt, b.Dropped, err)
			}
		}
	}
}
