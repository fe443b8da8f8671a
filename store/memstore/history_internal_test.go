package memstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

func mustVersion(t *testing.T, o *stix.Object, i int) *stix.Object {
	t.Helper()
	n, err := o.NewVersion(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Second),
		func(m map[string]any) { m["name"] = fmt.Sprint(i) })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The history lives exactly as long as the retained log needs it: after thousands of
// updates, deletes, re-creations and moved relations on a 10-event log, it holds no more
// than two states per retained event, and no past relation end of a pruned state.
func TestHistoryPrunedWithTheLog(t *testing.T) {
	const keep = 10
	s := New(&Options{MaxEvents: keep})
	ctx := t.Context()
	put := func(o *stix.Object) {
		if _, _, err := s.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	hubs := make([]*stix.Object, 4)
	objs := make([]*stix.Object, 8)
	for i := range hubs {
		hubs[i] = mustNew(t, "malware")
		put(hubs[i])
	}
	for i := range objs {
		objs[i] = mustNew(t, "indicator")
		put(objs[i])
	}
	rel, err := stix.NewRelationship("indicates", objs[0].ID(), hubs[0].ID(), stix.Common{Created: created})
	if err != nil {
		t.Fatal(err)
	}
	put(rel)
	for i := range 3000 {
		switch i % 4 {
		case 0: // update
			o := objs[i%len(objs)]
			objs[i%len(objs)] = mustVersion(t, o, i)
			put(objs[i%len(objs)])
		case 1: // move the relationship to another hub
			rel, err = rel.NewVersion(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Second),
				func(m map[string]any) { m["target_ref"] = hubs[i%len(hubs)].ID() })
			if err != nil {
				t.Fatal(err)
			}
			put(rel)
		case 2: // delete and store again
			o := objs[(i+3)%len(objs)]
			if o.ID() == objs[0].ID() {
				continue // the relationship's source stays, or the cascade would take it
			}
			if _, err := s.Delete(ctx, o.ID()); err != nil {
				t.Fatal(err)
			}
			put(o)
		default: // a short-lived object
			o := mustNew(t, "tool")
			put(o)
			if _, err := s.Delete(ctx, o.ID()); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	states := 0
	for _, p := range s.hist.past {
		states += p.states.len()
	}
	if states > 2*keep {
		t.Errorf("the history holds %d states for a %d-event log, want at most %d", states, keep, 2*keep)
	}
	if s.hist.expiry.len() > keep {
		t.Errorf("%d expiries are queued for a %d-event log", s.hist.expiry.len(), keep)
	}
	ends := 0
	for _, m := range s.hist.ends {
		ends += len(m)
	}
	if ends > keep {
		t.Errorf("%d past relation ends are kept for a %d-event log", ends, keep)
	}
}

// created is before every version the tests make.
var created = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

func mustNew(t *testing.T, typ string) *stix.Object {
	t.Helper()
	o, err := stix.New(typ, map[string]any{"name": "x"}, stix.Common{Created: created})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Seq stays below MaxSeq: when a millisecond is full, the next event takes the next
// millisecond, even with a clock stuck in the full one.
func TestSeqOverflowTakesTheNextMillisecond(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	ms := uint64(t0.UnixMilli())
	s := New(&Options{Clock: func() time.Time { return t0 }})
	if _, _, err := s.Put(t.Context(), mustNew(t, "malware")); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.log.last = store.Position{Millis: ms, Seq: store.MaxSeq - 1} // as if 2^32 events had come
	s.mu.Unlock()
	want := []store.Position{{Millis: ms + 1, Seq: 0}, {Millis: ms + 1, Seq: 1}}
	for _, w := range want {
		ev, _, err := s.Put(t.Context(), mustNew(t, "malware"))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Pos != w || !ev.Time.Equal(w.Time()) {
			t.Errorf("event at %s (time %v), want %s", ev.Pos, ev.Time, w)
		}
	}
}
