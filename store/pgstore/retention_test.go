package pgstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/pgstore"
)

// MaxAge drops events older than the age at the next write, always keeping the newest;
// reads from before them are gaps, and the states only they could be asked about go too.
func TestRetentionByAge(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, _ := open(t, &pgstore.Options{Clock: clock, MaxAge: time.Hour})

	a := newIndicator(t, 1)
	evA, _, err := s.Put(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	advance(30 * time.Minute)
	evB, _, err := s.Put(t.Context(), newIndicator(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	advance(2 * time.Hour) // both are now older than an hour; the newest stays
	if b, err := s.Bounds(t.Context()); err != nil || b.Count != 2 || !b.Dropped.IsZero() {
		t.Fatalf("before the next write: %+v, %v; nothing is dropped until a write", b, err)
	}
	if _, err := s.Delete(t.Context(), a.ID()); err != nil {
		t.Fatal(err)
	}
	b, err := s.Bounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if b.Count != 1 || b.Dropped != evB.Pos {
		t.Errorf("after the write: Count %d Dropped %s, want 1 and %s", b.Count, b.Dropped, evB.Pos)
	}
	if _, err := s.Read(t.Context(), evA.Pos, 10); !errors.Is(err, store.ErrGap) {
		t.Errorf("Read after a dropped event: %v, want ErrGap", err)
	}
	if evs, err := s.Read(t.Context(), evB.Pos, 10); err != nil || len(evs) != 1 || evs[0].Kind != store.EventDelete {
		t.Errorf("Read after the newest dropped event: %d events, %v; want the delete", len(evs), err)
	} else if evs[0].Prev == nil || evs[0].Prev.ID() != a.ID() {
		t.Errorf("the retained delete lost its Prev: %v", evs[0].Prev)
	}
	if _, err := s.GetManyAt(t.Context(), evA.Pos, nil); !errors.Is(err, store.ErrGap) {
		t.Errorf("as-of read at a dropped position: %v, want ErrGap", err)
	}
	got, err := s.GetManyAt(t.Context(), evB.Pos, []stix.ID{a.ID()})
	if err != nil || len(got) != 1 {
		t.Errorf("as of the newest dropped position, a is still stored: %v, %v", got, err)
	}
}
