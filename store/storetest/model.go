package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// model is the store as a replay of its log: what reads as of a position must answer.
type model map[stix.ID]store.Record

// apply returns the model after ev (m itself is not changed).
func (m model) apply(ev store.Event) model {
	n := maps.Clone(m)
	if n == nil {
		n = model{}
	}
	switch ev.Kind {
	case store.EventCreate:
		n[ev.ID] = store.Record{Object: ev.Cur, DateAdded: ev.Time, Updated: ev.Time}
	case store.EventUpdate, store.EventMerge:
		r := n[ev.ID]
		r.Object, r.Updated = ev.Cur, ev.Time
		n[ev.ID] = r
		for _, src := range ev.Sources {
			delete(n, src)
		}
	case store.EventDelete:
		delete(n, ev.ID)
	}
	return n
}

// relationsOf returns the model's relations of end ordered by id, as RelationsOf does.
func (m model) relationsOf(end stix.ID) []store.Record {
	var out []store.Record
	for _, r := range m {
		if slices.Contains(relationEnds(r.Object), end) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b store.Record) int { return cmpID(a.Object.ID(), b.Object.ID()) })
	return out
}

func cmpID(a, b stix.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// relationEnds returns the ids a relationship or sighting has as ends (none for other types).
func relationEnds(o *stix.Object) []stix.ID {
	var props []string
	switch o.Type() {
	case "relationship":
		props = []string{"source_ref", "target_ref"}
	case "sighting":
		props = []string{"sighting_of_ref", "where_sighted_refs", "observed_data_refs"}
	}
	var ends []stix.ID
	for _, r := range o.Refs() {
		if slices.Contains(props, r.Path) {
			ends = append(ends, r.ID)
		}
	}
	return ends
}

// replay returns the model after each event of evs, parallel to evs.
func replay(evs []store.Event) []model {
	out := make([]model, len(evs))
	var m model
	for i, ev := range evs {
		m = m.apply(ev)
		out[i] = m
	}
	return out
}

// probe is a position to read as of and the model it must answer with.
type probe struct {
	what string
	at   store.Position
	want model
}

// probes returns every event's position and, where one exists, a position strictly between
// it and the next event (which reads as the earlier one), each with its model; from is the
// model before evs[0] (nil for the empty store).
func probes(evs []store.Event, models []model) []probe {
	var out []probe
	for i, ev := range evs {
		out = append(out, probe{fmt.Sprintf("at event %d (%v %s)", i, ev.Kind, ev.Pos), ev.Pos, models[i]})
		if i+1 == len(evs) {
			break
		}
		for _, between := range []store.Position{{Millis: ev.Pos.Millis, Seq: ev.Pos.Seq + 1}, {Millis: ev.Pos.Millis, Seq: store.MaxSeq}} {
			if between.Compare(ev.Pos) > 0 && between.Compare(evs[i+1].Pos) < 0 {
				out = append(out, probe{fmt.Sprintf("between events %d and %d (%s)", i, i+1, between), between, models[i]})
				break
			}
		}
	}
	return out
}

// answer is what a store said as of one position: records of ids, relations of ends.
type answer struct {
	recs map[stix.ID]store.Record
	rels map[stix.ID][]store.Record
}

// readAsOf asks h as of at for ids and the relations of each of ends.
func readAsOf(t *testing.T, h store.History, at store.Position, ids, ends []stix.ID) (answer, error) {
	t.Helper()
	recs, err := h.GetManyAt(t.Context(), at, ids)
	if err != nil {
		return answer{}, fmt.Errorf("GetManyAt(%s): %w", at, err)
	}
	a := answer{recs: recs, rels: make(map[stix.ID][]store.Record, len(ends))}
	for _, end := range ends {
		rels, err := h.RelationsOfAt(t.Context(), at, end)
		if err != nil {
			return answer{}, fmt.Errorf("RelationsOfAt(%s, %s): %w", at, end, err)
		}
		a.rels[end] = rels
	}
	return a, nil
}

// diff returns every way a differs from what want answers for ids and ends.
func (a answer) diff(what string, want model, ids, ends []stix.ID) error {
	var errs []error
	for _, id := range ids {
		w, inModel := want[id]
		g, inStore := a.recs[id]
		switch {
		case inModel != inStore:
			errs = append(errs, fmt.Errorf("%s: %s stored = %t, want %t", what, id, inStore, inModel))
		case inModel && !sameRecord(g, w):
			errs = append(errs, fmt.Errorf("%s: %s = %s, want %s", what, id, recString(g), recString(w)))
		}
	}
	for id := range a.recs {
		if !slices.Contains(ids, id) {
			errs = append(errs, fmt.Errorf("%s: GetManyAt returned %s, which was not asked", what, id))
		}
	}
	for _, end := range ends {
		rels, want := a.rels[end], want.relationsOf(end)
		same := len(rels) == len(want)
		for i := 0; same && i < len(rels); i++ {
			same = sameRecord(rels[i], want[i])
		}
		if !same {
			errs = append(errs, fmt.Errorf("%s: RelationsOfAt(%s) = %s, want %s", what, end, recsString(rels), recsString(want)))
		}
	}
	return errors.Join(errs...)
}

// checkAsOf compares the store's reads as of p.at with p.want and returns every difference.
func checkAsOf(t *testing.T, h store.History, p probe, ids, ends []stix.ID) error {
	t.Helper()
	a, err := readAsOf(t, h, p.at, ids, ends)
	if err != nil {
		return fmt.Errorf("%s: %v", p.what, err)
	}
	return a.diff(p.what, p.want, ids, ends)
}

func sameRecord(a, b store.Record) bool {
	return sameObject(a.Object, b.Object) && a.DateAdded.Equal(b.DateAdded) && a.Updated.Equal(b.Updated)
}

func recString(r store.Record) string {
	return fmt.Sprintf("%s (added %s, updated %s)", name(r.Object), r.DateAdded.Format("15:04:05.000"), r.Updated.Format("15:04:05.000"))
}

// recsString shows a few records in full, a longer list by name only.
func recsString(rs []store.Record) string {
	s := "["
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		if len(rs) > 4 {
			s += name(r.Object)
		} else {
			s += recString(r)
		}
	}
	return s + "]"
}
