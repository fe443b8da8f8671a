package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// writerOnly hides every optional capability of a store, so store.PutMany takes its
// one-Put-at-a-time fallback.
type writerOnly struct{ store.Writer }

// store.PutMany puts each object exactly as Put would, in order: the same events (in the
// log, in order, and in the results), per-object errors in the results with the rest still
// applied. Checked both through the store (its BatchWriter, if any) and through the fallback.
func testPutMany(t *testing.T, s store.Store) {
	for _, w := range []struct {
		name string
		w    store.Writer
	}{{"the store", s}, {"the Put fallback", writerOnly{s}}} {
		a1 := indicator(t, 0)
		a2, a3 := next(t, a1, 2, "a2"), next(t, a1, 3, "a3")
		clash, err := stix.NewIndicator("other", "[ipv4-addr:value = '203.0.113.9']", at(0),
			stix.Common{ID: a1.ID(), Created: at(0), Modified: at(3)})
		if err != nil {
			t.Fatal(err)
		}
		bad := stix.MustParse(`{"type":"indicator","id":"indicator--not-a-uuid","created":"2024-01-01T00:00:00.000Z"}`)
		b := object(t, "malware")
		cases := []struct {
			rule string
			obj  *stix.Object
			kind store.EventKind // 0: no event
			prev *stix.Object
			err  error
		}{
			{"a new id is created", a1, store.EventCreate, nil, nil},
			{"a newer version updates", a3, store.EventUpdate, a1, nil},
			{"an older version is kept silently", a2, 0, nil, nil},
			{"a duplicate is silent", a3, 0, nil, nil},
			{"same version, other content conflicts", clash, 0, nil, store.ErrConflict},
			{"a nil object is invalid", nil, 0, nil, store.ErrInvalid},
			{"a malformed id is invalid", bad, 0, nil, store.ErrInvalid},
			{"the rest is still applied", b, store.EventCreate, nil, nil},
		}
		objs := make([]*stix.Object, len(cases))
		for i, c := range cases {
			objs[i] = c.obj
		}
		before := lastPos(t, s)
		res, err := store.PutMany(t.Context(), w.w, objs)
		if err != nil {
			t.Fatalf("%s: PutMany: %v", w.name, err)
		}
		if len(res) != len(objs) {
			t.Fatalf("%s: PutMany returned %d results for %d objects", w.name, len(res), len(objs))
		}
		var events []store.Event
		for i, c := range cases {
			r := res[i]
			if !errors.Is(r.Err, c.err) || (c.err == nil) != (r.Err == nil) {
				t.Errorf("%s: %s: error %v, want %v", w.name, c.rule, r.Err, c.err)
			}
			if r.Changed != (c.kind != 0) || r.Event.Kind != c.kind {
				t.Errorf("%s: %s: changed %t, event %v; want %v", w.name, c.rule, r.Changed, r.Event.Kind, c.kind)
				continue
			}
			if c.kind != 0 {
				if err := checkEvent(r.Event, c.kind, c.obj.ID(), c.prev, c.obj); err != nil {
					t.Errorf("%s: %s: %v", w.name, c.rule, err)
				}
				events = append(events, r.Event)
			}
		}
		inLog := readAll(t, s, before)
		if len(inLog) != len(events) {
			t.Errorf("%s: the log gained %d events, the results hold %d", w.name, len(inLog), len(events))
		}
		for i := range min(len(inLog), len(events)) {
			if inLog[i].Pos != events[i].Pos || inLog[i].ID != events[i].ID {
				t.Errorf("%s: log event %d is %s %s, result event %s %s", w.name, i, inLog[i].Pos, inLog[i].ID, events[i].Pos, events[i].ID)
			}
		}
		if r := mustGet(t, s, a1.ID()); !sameObject(r.Object, a3) {
			t.Errorf("%s: current = %s, want %s", w.name, name(r.Object), name(a3))
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	before := lastPos(t, s)
	for _, w := range []store.Writer{s, writerOnly{s}} {
		if _, err := store.PutMany(ctx, w, []*stix.Object{object(t, "malware")}); !errors.Is(err, context.Canceled) {
			t.Errorf("PutMany with a cancelled context: %v, want context.Canceled", err)
		}
	}
	if got := lastPos(t, s); got != before {
		t.Errorf("PutMany with a cancelled context appended to the log (%s → %s)", before, got)
	}
}

// A BatchWriter's batch is one atomic step: a concurrent reader sees all of it or none.
func testPutManyAtomic(t *testing.T, s store.Store) {
	if _, ok := s.(store.BatchWriter); !ok {
		t.Skip("the store does not implement store.BatchWriter: store.PutMany is then atomic per object only, which the other subtests check")
	}
	const batches, size = 30, 20
	sets := make([][]stix.ID, batches)
	objs := make([][]*stix.Object, batches)
	for i := range sets {
		for range size {
			o := object(t, "malware")
			objs[i] = append(objs[i], o)
			sets[i] = append(sets[i], o.ID())
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				set := sets[(i+r)%batches]
				m, err := s.GetMany(t.Context(), set)
				if err == nil && len(m) != 0 && len(m) != size {
					err = fmt.Errorf("a reader saw %d of a batch's %d objects", len(m), size)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, batch := range objs {
		if _, err := store.PutMany(t.Context(), s, batch); err != nil {
			t.Errorf("PutMany: %v", err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
