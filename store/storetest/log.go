package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// writeSome performs one of each kind of change and returns the events the writes returned.
func writeSome(t *testing.T, s store.Store) []store.Event {
	t.Helper()
	a, b, c := object(t, "malware"), object(t, "malware"), object(t, "malware")
	var evs []store.Event
	for _, o := range []*stix.Object{a, b, c, next(t, a, 1, "a2")} {
		evs = append(evs, mustPut(t, s, o))
	}
	ev, err := s.Merge(t.Context(), next(t, a, 2, "a3"), []stix.ID{b.ID()})
	if err != nil {
		t.Fatal(err)
	}
	evs = append(evs, ev)
	if ev, err = s.Delete(t.Context(), c.ID()); err != nil {
		t.Fatal(err)
	}
	return append(evs, ev)
}

// Positions strictly increase, times never decrease, and the log holds what writes returned.
func testLogPositions(t *testing.T, s store.Store) {
	wrote := writeSome(t, s)
	got := readAll(t, s, store.Position{})
	if len(got) != len(wrote) {
		t.Fatalf("log holds %d events, writes returned %d", len(got), len(wrote))
	}
	kinds := []store.EventKind{store.EventCreate, store.EventCreate, store.EventCreate, store.EventUpdate, store.EventMerge, store.EventDelete}
	for i, ev := range got {
		if ev.Pos != wrote[i].Pos || ev.Kind != wrote[i].Kind || ev.ID != wrote[i].ID {
			t.Errorf("event %d in the log is %s %v %s; the write returned %s %v %s", i, ev.Pos, ev.Kind, ev.ID, wrote[i].Pos, wrote[i].Kind, wrote[i].ID)
		}
		if ev.Kind != kinds[i] {
			t.Errorf("event %d kind = %v, want %v", i, ev.Kind, kinds[i])
		}
		if !ev.Time.Equal(ev.Pos.Time()) {
			t.Errorf("event %d time %v is not its position's %v", i, ev.Time, ev.Pos.Time())
		}
		if i > 0 && ev.Pos.Compare(got[i-1].Pos) <= 0 {
			t.Errorf("position %s does not follow %s", ev.Pos, got[i-1].Pos)
		}
		if i > 0 && ev.Time.Before(got[i-1].Time) {
			t.Errorf("event time %v goes back from %v", ev.Time, got[i-1].Time)
		}
		if p, err := store.ParsePosition(ev.Pos.String()); err != nil || p != ev.Pos {
			t.Errorf("position %s does not round-trip: %v, %v", ev.Pos, p, err)
		}
	}
}

func testLogRead(t *testing.T, s store.Store) {
	if evs, err := s.Read(t.Context(), store.Position{}, 10); err != nil || len(evs) != 0 {
		t.Errorf("Read on an empty log = %d events, %v; want none, no error", len(evs), err)
	}
	all := writeSome(t, s)
	for i, ev := range all {
		for _, limit := range []int{1, 2, 100} {
			got, err := s.Read(t.Context(), ev.Pos, limit)
			if err != nil {
				t.Fatal(err)
			}
			want := all[i+1 : min(len(all), i+1+limit)]
			if len(got) != len(want) {
				t.Errorf("Read(after %s, %d) = %d events, want %d", ev.Pos, limit, len(got), len(want))
				continue
			}
			for j := range got {
				if got[j].Pos != want[j].Pos {
					t.Errorf("Read(after %s, %d)[%d] = %s, want %s", ev.Pos, limit, j, got[j].Pos, want[j].Pos)
				}
			}
		}
	}
	last := all[len(all)-1].Pos
	future := store.Position{Millis: last.Millis + 1000}
	for _, after := range []store.Position{last, future} {
		if evs, err := s.Read(t.Context(), after, 10); err != nil || len(evs) != 0 {
			t.Errorf("Read(after %s) at the end = %d events, %v; want none, no error", after, len(evs), err)
		}
	}
	for _, limit := range []int{0, -1} {
		if _, err := s.Read(t.Context(), store.Position{}, limit); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Read limit %d error = %v, want ErrInvalid", limit, err)
		}
	}
}

func testLogBounds(t *testing.T, s store.Store) {
	b, err := s.Bounds(t.Context())
	if err != nil || b != (store.LogBounds{}) {
		t.Errorf("Bounds of an empty log = %+v, %v; want zero", b, err)
	}
	all := writeSome(t, s)
	b, err = s.Bounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	first, last := all[0], all[len(all)-1]
	want := store.LogBounds{First: first.Pos, Last: last.Pos, FirstTime: first.Time, LastTime: last.Time, Count: len(all)}
	if b.First != want.First || b.Last != want.Last || !b.FirstTime.Equal(want.FirstTime) ||
		!b.LastTime.Equal(want.LastTime) || b.Count != want.Count {
		t.Errorf("Bounds = %+v, want %+v", b, want)
	}
}

// Reading after PositionAt(t) starts at the first event at or after t's millisecond.
func testLogPositionAt(t *testing.T, s store.Store) {
	all := writeSome(t, s)
	for _, ev := range all {
		got, err := s.Read(t.Context(), store.PositionAt(ev.Time), 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("Read(PositionAt(%v)) = %d events, %v", ev.Time, len(got), err)
		}
		var want store.Event
		for _, e := range all {
			if !e.Time.Before(ev.Time) {
				want = e
				break
			}
		}
		if got[0].Pos != want.Pos {
			t.Errorf("Read(PositionAt(%v)) starts at %s, want %s", ev.Time, got[0].Pos, want.Pos)
		}
	}
	if got, _ := s.Read(t.Context(), store.PositionAt(time.Unix(0, 0)), 100); len(got) != len(all) {
		t.Errorf("Read(PositionAt(epoch)) = %d events, want all %d", len(got), len(all))
	}
	after := all[len(all)-1].Time.Add(time.Millisecond)
	if got, _ := s.Read(t.Context(), store.PositionAt(after), 100); len(got) != 0 {
		t.Errorf("Read(PositionAt(after the last event)) = %d events, want 0", len(got))
	}
}

func testWaitReady(t *testing.T, s store.Store) {
	ev := mustPut(t, s, object(t, "malware"))
	if err := s.Wait(t.Context(), store.Position{}); err != nil {
		t.Errorf("Wait(0-0) with an event in the log = %v, want nil at once", err)
	}
	mustPut(t, s, object(t, "malware"))
	if err := s.Wait(t.Context(), ev.Pos); err != nil {
		t.Errorf("Wait(after the first of two events) = %v, want nil at once", err)
	}
}

// Every waiter blocked on the end of the log returns when an event is appended.
func testWaitWakes(t *testing.T, s store.Store) {
	last := mustPut(t, s, object(t, "malware")).Pos
	// The deadline only keeps a broken store from hanging the suite; it is not a timing check.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const waiters = 5
	done := make(chan error, waiters)
	started := make(chan struct{}, waiters)
	for range waiters {
		go func() {
			started <- struct{}{}
			done <- s.Wait(ctx, last)
		}()
	}
	for range waiters {
		<-started
	}
	ev := mustPut(t, s, object(t, "malware"))
	for range waiters {
		if err := <-done; err != nil {
			t.Errorf("Wait(after %s) with event %s appended = %v, want nil", last, ev.Pos, err)
		}
	}
}

func testWaitContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Wait(ctx, store.Position{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := s.Wait(ctx, store.Position{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on an empty log until the deadline = %v, want context.DeadlineExceeded", err)
	}
}
