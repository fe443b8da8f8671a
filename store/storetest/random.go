package storetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// maxRelations caps the relations an object gets in random writes, so that one cascade
// appends at most maxRelations+1 events.
const maxRelations = 5

// writer makes random writes of every kind and follows them in the log, so that after each
// step all holds the whole log (even when retention dropped part of it since).
type writer struct {
	t     *testing.T
	s     store.Store
	rng   *rand.Rand
	all   []store.Event
	pos   store.Position
	ids   []stix.ID // every id ever written, and one never stored
	minor int       // a clock for new versions, always moving forward
	// cascades counts the deletes and merges that appended more than one event.
	cascades int
}

func newWriter(t *testing.T, s store.Store, seed uint64) *writer {
	return &writer{t: t, s: s, rng: rand.New(rand.NewPCG(seed, 7)), ids: []stix.ID{stix.NewID("malware")}}
}

// live returns the ids the log says are stored now, relations or not, in log order.
func (w *writer) live(relations bool) []stix.ID {
	m := replay(w.all)
	var out []stix.ID
	var cur model
	if len(m) > 0 {
		cur = m[len(m)-1]
	}
	seen := map[stix.ID]bool{}
	for _, ev := range w.all {
		r, ok := cur[ev.ID]
		if !ok || seen[ev.ID] {
			continue
		}
		seen[ev.ID] = true
		if isRel := r.Object.Type() == "relationship" || r.Object.Type() == "sighting"; isRel == relations {
			out = append(out, ev.ID)
		}
	}
	return out
}

func (w *writer) pick(ids []stix.ID) stix.ID { return ids[w.rng.IntN(len(ids))] }

func (w *writer) current(id stix.ID) *stix.Object {
	w.t.Helper()
	return mustGet(w.t, w.s, id).Object
}

// step makes one random write and reads the events it appended.
func (w *writer) step() {
	t := w.t
	t.Helper()
	w.minor++
	objs, rels := w.live(false), w.live(true)
	var err error
	op := w.rng.IntN(10)
	switch {
	case op < 2 || len(objs) < 3: // a new object
		o := object(t, []string{"malware", "indicator", "threat-actor"}[w.rng.IntN(3)])
		w.ids = append(w.ids, o.ID())
		_, _, err = w.s.Put(t.Context(), o)
	case op < 4: // a relationship or a sighting between two objects with room for it
		a, b := w.pick(objs), w.pick(objs)
		last := replay(w.all)[len(w.all)-1]
		if len(last.relationsOf(a)) >= maxRelations || len(last.relationsOf(b)) >= maxRelations {
			return
		}
		var r *stix.Object
		if w.rng.IntN(3) == 0 {
			r, err = stix.NewSighting(a, []stix.ID{b}, stix.Common{Created: at(0)})
		} else {
			r, err = stix.NewRelationship("related-to", a, b, stix.Common{Created: at(0)})
		}
		if err == nil {
			w.ids = append(w.ids, r.ID())
			_, _, err = w.s.Put(t.Context(), r)
		}
	case op < 6: // a new version of an object, or a relationship moving its target
		if len(rels) > 0 && w.rng.IntN(2) == 0 {
			r := w.current(w.pick(rels))
			if r.Type() != "relationship" {
				return
			}
			to := w.pick(objs)
			if len(replay(w.all)[len(w.all)-1].relationsOf(to)) >= maxRelations {
				return
			}
			var n *stix.Object
			if n, err = r.NewVersion(at(10+w.minor), func(m map[string]any) { m["target_ref"] = to }); err == nil {
				_, _, err = w.s.Put(t.Context(), n)
			}
			break
		}
		o := w.current(w.pick(objs))
		_, _, err = w.s.Put(t.Context(), next(t, o, 10+w.minor, fmt.Sprint("v", w.minor)))
	case op < 7: // an older version: kept, no event
		o := w.current(w.pick(objs))
		if o.Version().Equal(at(0)) {
			return
		}
		// A version between created (at(0)) and every new version (at(10) on), unique to this
		// step: same content but the modified time.
		when := stix.FormatTime(at(0).Add(time.Duration(w.minor) * time.Second))
		raw := strings.Replace(string(o.Raw()), `"modified":"`+o.ModifiedRaw()+`"`, `"modified":"`+when+`"`, 1)
		older, perr := stix.Parse([]byte(raw))
		if perr != nil || older.ModifiedRaw() != when {
			t.Fatalf("making an older version of %s: %v", o.ID(), perr)
		}
		_, _, err = w.s.Put(t.Context(), older)
	case op < 9: // a delete, cascading to the relations
		ids := objs
		if len(rels) > 0 && w.rng.IntN(3) == 0 {
			ids = rels
		}
		_, err = w.s.Delete(t.Context(), w.pick(ids))
	default: // a merge of one object into another
		a, b := w.pick(objs), w.pick(objs)
		if a == b {
			return
		}
		_, err = w.s.Merge(t.Context(), next(t, w.current(a), 10+w.minor, "merged"), []stix.ID{b})
	}
	if err != nil {
		t.Fatalf("random write %d: %v", w.minor, err)
	}
	evs, err := w.s.Read(t.Context(), w.pos, 1000)
	if err != nil {
		t.Fatalf("random write %d: reading its events: %v", w.minor, err)
	}
	w.all = append(w.all, evs...)
	if op >= 7 && len(evs) > 1 {
		w.cascades++
	}
	if len(evs) > 0 {
		w.pos = evs[len(evs)-1].Pos
	}
}

// checkVariety fails the test if the random writes missed a kind of change, so that the
// checks after them are never vacuous: creates, updates, merges, deletes, and a cascade
// (a delete or merge that appended more than one event).
func (w *writer) checkVariety() {
	w.t.Helper()
	kinds := map[store.EventKind]int{}
	for _, ev := range w.all {
		kinds[ev.Kind]++
	}
	for _, k := range []store.EventKind{store.EventCreate, store.EventUpdate, store.EventMerge, store.EventDelete} {
		if kinds[k] == 0 {
			w.t.Errorf("the random writes made no %v event", k)
		}
	}
	if w.cascades == 0 {
		w.t.Errorf("the random writes made no cascading delete")
	}
}

// Random writes of every kind (creates, relationships and sightings, new versions, moved
// relationships, older versions, cascading deletes, merges), then every position of the
// log, and between positions, reads as the replay of the log up to there.
func testAsOfRandomWrites(t *testing.T, s store.Store) {
	w := newWriter(t, s, 1)
	for range 200 {
		w.step()
	}
	w.checkVariety()
	ps := append([]probe{{"at 0-0 (the empty store)", store.Position{}, nil}}, probes(w.all, replay(w.all))...)
	ends := w.ids
	if len(ends) > 16 {
		ends = ends[:16]
	}
	for _, p := range ps {
		if err := checkAsOf(t, s, p, w.ids, ends); err != nil {
			t.Fatal(err) // one position's differences are enough to read
		}
	}
}

// The same random writes on a store that retains 16 events: after every write, every
// retained position reads as the replay of the whole log.
func testRetentionRandomWrites(t *testing.T, newStore func(maxEvents int) store.Store) {
	const keep = 2 * (maxRelations + 3)
	s := newStore(keep)
	w := newWriter(t, s, 42)
	for step := range 120 {
		w.step()
		b, err := s.Bounds(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ends := w.ids
		if len(ends) > 8 {
			ends = ends[len(ends)-8:]
		}
		for _, p := range probes(w.all, replay(w.all)) {
			if p.at.Compare(b.Dropped) < 0 {
				continue
			}
			if err := checkAsOf(t, s, p, w.ids, ends); err != nil {
				t.Fatalf("after random write %d (dropped up to %s): %v", step, b.Dropped, err)
			}
		}
	}
}
