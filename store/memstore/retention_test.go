package memstore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func newObject(t *testing.T, i int) *stix.Object {
	t.Helper()
	o, err := stix.New("malware", map[string]any{"name": fmt.Sprint(i)}, stix.Common{})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func putN(t *testing.T, s *memstore.Store, n int) []store.Event {
	t.Helper()
	var evs []store.Event
	for i := range n {
		ev, _, err := s.Put(t.Context(), newObject(t, i))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// Retention by count: the oldest events go, Bounds says so, and reading from before the
// retained log is ErrGap, never a silent skip.
func TestRetentionMaxEvents(t *testing.T) {
	s := memstore.New(&memstore.Options{MaxEvents: 3})
	evs := putN(t, s, 5)
	b, err := s.Bounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if b.Count != 3 || b.First != evs[2].Pos || b.Last != evs[4].Pos {
		t.Errorf("Bounds = %+v, want the last 3 events %s..%s", b, evs[2].Pos, evs[4].Pos)
	}
	for _, after := range []store.Position{store.Position{}, evs[0].Pos} {
		if _, err := s.Read(t.Context(), after, 10); !errors.Is(err, store.ErrGap) {
			t.Errorf("Read(after %s) with events dropped after it: error %v, want ErrGap", after, err)
		}
	}
	// After the last dropped event nothing is missing.
	got, err := s.Read(t.Context(), evs[1].Pos, 10)
	if err != nil || len(got) != 3 || got[0].Pos != evs[2].Pos {
		t.Errorf("Read(after the last dropped event) = %d events, %v; want the 3 retained", len(got), err)
	}
	// Objects are not affected by log retention.
	if n, _ := s.Count(t.Context()); n != 5 {
		t.Errorf("Count = %d, want 5 objects", n)
	}
}

// Retention by age, checked on append; the newest event always stays.
func TestRetentionMaxAge(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
	s := memstore.New(&memstore.Options{Clock: clock.Now, MaxAge: time.Minute, MaxEvents: -1})
	old := putN(t, s, 2)
	clock.now = clock.now.Add(30 * time.Second)
	mid := putN(t, s, 1)
	clock.now = clock.now.Add(45 * time.Second) // the first two are now 75 s old
	last := putN(t, s, 1)
	b, _ := s.Bounds(t.Context())
	if b.Count != 2 || b.First != mid[0].Pos || b.Last != last[0].Pos {
		t.Errorf("Bounds = %+v, want %s..%s (2 events)", b, mid[0].Pos, last[0].Pos)
	}
	if _, err := s.Read(t.Context(), old[0].Pos, 10); !errors.Is(err, store.ErrGap) {
		t.Errorf("Read after an expired event: %v, want ErrGap", err)
	}
	clock.now = clock.now.Add(time.Hour)
	newest := putN(t, s, 1)
	if b, _ := s.Bounds(t.Context()); b.Count != 1 || b.First != newest[0].Pos {
		t.Errorf("after an hour, Bounds = %+v; want only the newest event", b)
	}
}

// Positions come from the clock's milliseconds; the sequence orders events within one
// millisecond and carries on when the clock goes back, so Event.Time never decreases.
func TestPositionsFromClock(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	ms := uint64(t0.UnixMilli())
	clock := &fakeClock{}
	s := memstore.New(&memstore.Options{Clock: clock.Now})
	steps := []struct {
		rule string
		now  time.Time
		want store.Position
	}{
		{"the clock's millisecond, sequence 0", t0, store.Position{Millis: ms, Seq: 0}},
		{"the same millisecond: next sequence", t0.Add(400 * time.Microsecond), store.Position{Millis: ms, Seq: 1}},
		{"a later millisecond: sequence 0", t0.Add(5 * time.Millisecond), store.Position{Millis: ms + 5, Seq: 0}},
		{"the clock went back: stay, next sequence", t0.Add(-time.Second), store.Position{Millis: ms + 5, Seq: 1}},
		{"the clock caught up", t0.Add(time.Second), store.Position{Millis: ms + 1000, Seq: 0}},
	}
	for i, st := range steps {
		clock.now = st.now
		ev, _, err := s.Put(t.Context(), newObject(t, i))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Pos != st.want {
			t.Errorf("%s: position %s, want %s", st.rule, ev.Pos, st.want)
		}
		r, _ := s.Get(t.Context(), ev.ID)
		if !r.DateAdded.Equal(ev.Time) || !ev.Time.Equal(st.want.Time()) {
			t.Errorf("%s: record added %v, event time %v; want both %v", st.rule, r.DateAdded, ev.Time, st.want.Time())
		}
	}
}

func TestNilAndZeroOptions(t *testing.T) {
	for _, opts := range []*memstore.Options{nil, {}} {
		s := memstore.New(opts)
		putN(t, s, 2)
		if b, err := s.Bounds(t.Context()); err != nil || b.Count != 2 {
			t.Errorf("New(%v): Bounds = %+v, %v", opts, b, err)
		}
	}
}

// The origin is fixed by the first write, never by New (which must not read the clock): a
// consumer of a store that restarted, resuming from a position of the old process, gets
// ErrGap instead of a silently different log; a position in the future reads nothing.
func TestOriginAfterRestart(t *testing.T) {
	calls := 0
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { calls++; return now }
	old := memstore.New(&memstore.Options{Clock: clock})
	if calls != 0 {
		t.Errorf("New read the clock %d times, want 0", calls)
	}
	if b, _ := old.Bounds(t.Context()); b != (store.LogBounds{}) {
		t.Errorf("Bounds of a new store = %+v, want zero", b)
	}
	evs := putN(t, old, 3)
	b, _ := old.Bounds(t.Context())
	if want := store.PositionAt(evs[0].Time); b.Origin != want {
		t.Errorf("Origin = %s, want %s (just before the first event)", b.Origin, want)
	}
	resume := evs[2].Pos

	now = now.Add(time.Minute) // the process restarts a minute later
	restarted := memstore.New(&memstore.Options{Clock: clock})
	if _, err := restarted.Read(t.Context(), resume, 10); !errors.Is(err, store.ErrGap) {
		t.Errorf("Read(after %s) on a restarted store with no event yet: %v, want ErrGap", resume, err)
	}
	putN(t, restarted, 2)
	if _, err := restarted.Read(t.Context(), resume, 10); !errors.Is(err, store.ErrGap) {
		t.Errorf("Read(after %s, the old process's position) on the restarted store: %v, want ErrGap", resume, err)
	}
	if _, err := restarted.GetManyAt(t.Context(), resume, nil); !errors.Is(err, store.ErrGap) {
		t.Errorf("GetManyAt(%s, the old process's position): %v, want ErrGap", resume, err)
	}
	future := store.Position{Millis: uint64(now.Add(time.Hour).UnixMilli())}
	if got, err := restarted.Read(t.Context(), future, 10); err != nil || len(got) != 0 {
		t.Errorf("Read(after %s, an hour ahead) = %d events, %v; want none, no error", future, len(got), err)
	}
	if _, err := restarted.GetManyAt(t.Context(), future, nil); !errors.Is(err, store.ErrInvalidPosition) {
		t.Errorf("GetManyAt(%s, an hour ahead): %v, want ErrInvalidPosition", future, err)
	}
}
