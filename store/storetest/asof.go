package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// history writes a small log with every kind of change the as-of reads must see through:
// updates (a label flip), a relationship moving its target, a sighting, a relationship of a
// relationship, deletes that cascade, a merge whose source has relations, an id stored
// again after its delete, an unversioned object changing content. It returns the ids
// involved and one never stored.
func history(t *testing.T, s store.Store) []stix.ID {
	t.Helper()
	ind := indicator(t, 0)
	mal, mal2, ident := object(t, "malware"), object(t, "malware"), object(t, "identity")
	ta, ta2 := object(t, "threat-actor"), object(t, "threat-actor")
	ip := stix.MustParse(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--5f8b3d6a-6f0a-5c6e-9a36-5c1e7f0b2a11","value":"198.51.100.7"}`)
	ip2 := stix.MustParse(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--5f8b3d6a-6f0a-5c6e-9a36-5c1e7f0b2a11","value":"198.51.100.7","labels":["c2"]}`)
	r1 := relationship(t, ind.ID(), mal.ID())
	r2 := relationship(t, ta2.ID(), ind.ID())
	sight, err := stix.NewSighting(ind.ID(), []stix.ID{ident.ID()}, stix.Common{Created: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	rr := relationship(t, r1.ID(), ident.ID()) // a relationship of a relationship
	for _, o := range []*stix.Object{ind, mal, mal2, ident, ta, ta2, ip, r1, r2, sight, rr} {
		mustPut(t, s, o)
	}
	labelled, err := ind.NewVersion(at(1), func(m map[string]any) { m["labels"] = []string{"detection"} })
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, labelled)
	mustPut(t, s, ip2)
	moved, err := r1.NewVersion(at(2), func(m map[string]any) { m["target_ref"] = mal2.ID() })
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, moved)
	if _, err := s.Merge(t.Context(), next(t, ta, 3, "merged"), []stix.ID{ta2.ID()}); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if _, err := s.Delete(t.Context(), mal.ID()); err != nil { // no relation left: r1 moved
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Delete(t.Context(), ind.ID()); err != nil { // cascades: r1 (and rr), sighting
		t.Fatalf("Delete: %v", err)
	}
	mustPut(t, s, mal) // stored again after its delete: a fresh create
	return []stix.ID{ind.ID(), mal.ID(), mal2.ID(), ident.ID(), ta.ID(), ta2.ID(), ip.ID(),
		r1.ID(), r2.ID(), sight.ID(), rr.ID(), stix.NewID("malware")}
}

// At every position of a small log, and between positions, the store reads as a replay of
// the log up to there: records (with their DateAdded and Updated then) and relations.
func testAsOfReplay(t *testing.T, s store.Store) {
	ids := history(t, s)
	evs := readAll(t, s, store.Position{})
	models := replay(evs)
	ps := append([]probe{{"at 0-0 (the empty store)", store.Position{}, nil}}, probes(evs, models)...)
	for _, p := range ps {
		if err := checkAsOf(t, s, p, ids, ids); err != nil {
			t.Error(err)
		}
	}
	// The Snapshot view reads the same.
	last := ps[len(ps)-1]
	view := store.At(s, last.at)
	for _, id := range ids {
		r, err := view.Get(t.Context(), id)
		w, ok := last.want[id]
		switch {
		case ok && (err != nil || !sameRecord(r, w)):
			t.Errorf("At(%s).Get(%s) = %s, %v; want %s", last.at, id, recString(r), err, recString(w))
		case !ok && !errors.Is(err, store.ErrNotFound):
			t.Errorf("At(%s).Get(%s) error = %v, want ErrNotFound", last.at, id, err)
		}
	}
}

// Reads as of a position follow LogBounds.Check: 0-0 is the empty store on a complete log,
// a position older than the log is ErrGap, one beyond its last event ErrInvalidPosition.
func testAsOfOutOfBounds(t *testing.T, s store.Store) {
	id := stix.NewID("malware")
	read := func(at store.Position) error {
		_, err1 := s.GetManyAt(t.Context(), at, []stix.ID{id})
		_, err2 := s.RelationsOfAt(t.Context(), at, id)
		_, err3 := store.At(s, at).Get(t.Context(), id)
		if errors.Is(err3, store.ErrNotFound) {
			err3 = nil
		}
		if (err1 == nil) != (err2 == nil) || (err1 == nil) != (err3 == nil) {
			return fmt.Errorf("GetManyAt, RelationsOfAt and At.Get disagree: %v; %v; %v", err1, err2, err3)
		}
		return err1
	}
	ancient := store.Position{Millis: 1}
	if err := read(store.Position{}); err != nil {
		t.Errorf("as of 0-0 on an empty store: %v, want the empty store", err)
	}
	if err := read(ancient); !errors.Is(err, store.ErrGap) {
		t.Errorf("as of %s on a store that never held an event: %v, want ErrGap", ancient, err)
	}
	o := object(t, "malware")
	ev := mustPut(t, s, o)
	if got, err := s.GetManyAt(t.Context(), store.Position{}, []stix.ID{o.ID()}); err != nil || len(got) != 0 {
		t.Errorf("as of 0-0 on a complete log: %d records, %v; want the empty store", len(got), err)
	}
	b, err := s.Bounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if ancient.Compare(b.Origin) < 0 {
		if err := read(ancient); !errors.Is(err, store.ErrGap) {
			t.Errorf("as of %s, before the log's origin %s: %v, want ErrGap", ancient, b.Origin, err)
		}
	}
	for _, beyond := range []store.Position{{Millis: ev.Pos.Millis, Seq: ev.Pos.Seq + 1}, {Millis: ev.Pos.Millis + 60_000}} {
		if err := read(beyond); !errors.Is(err, store.ErrInvalidPosition) {
			t.Errorf("as of %s, beyond the last event %s: %v, want ErrInvalidPosition", beyond, ev.Pos, err)
		}
	}
	if got, err := s.GetManyAt(t.Context(), ev.Pos, []stix.ID{o.ID()}); err != nil || len(got) != 1 {
		t.Errorf("as of the last event: %d records, %v; want the object", len(got), err)
	}
}
