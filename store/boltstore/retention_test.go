package boltstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/boltstore"
)

// Events older than MaxAge are dropped as new ones are appended, the newest always stays,
// and reading or reading as of a dropped position is a gap, also after reopening.
func TestRetentionByAge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	opts := &boltstore.Options{Clock: clock, MaxAge: time.Hour, NoSync: true}
	s, err := boltstore.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var evs []store.Event
	for i := range 6 {
		ev, _, err := s.Put(ctx, observable(i))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
		now = now.Add(25 * time.Minute)
	}
	// The last put was at +125 min: events before +65 min are gone (those at 0, 25, 50).
	b, err := s.Bounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.First != evs[3].Pos || b.Dropped != evs[2].Pos || b.Count != 3 {
		t.Errorf("bounds %+v; want first %s, dropped %s, 3 events", b, evs[3].Pos, evs[2].Pos)
	}
	if _, err := s.Read(ctx, evs[1].Pos, 10); !errors.Is(err, store.ErrGap) {
		t.Errorf("Read after a dropped event: %v, want ErrGap", err)
	}
	if _, err := s.GetManyAt(ctx, evs[1].Pos, nil); !errors.Is(err, store.ErrGap) {
		t.Errorf("GetManyAt a dropped position: %v, want ErrGap", err)
	}
	if got, err := s.Read(ctx, evs[2].Pos, 10); err != nil || len(got) != 3 {
		t.Errorf("Read after the newest dropped event: %d events, %v; want 3", len(got), err)
	}
	// Hours later only the newest is kept, however old it is.
	now = now.Add(10 * time.Hour)
	if _, _, err := s.Put(ctx, observable(99)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = boltstore.Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if b, _ := s.Bounds(ctx); b.Count != 1 || b.Dropped != evs[5].Pos {
		t.Errorf("after reopening, bounds %+v; want only the newest event, dropped up to %s", b, evs[5].Pos)
	}
	if n, _ := s.Count(ctx); n != 7 {
		t.Errorf("retention dropped objects: %d stored, want 7", n)
	}
}

// Closing the store ends a Wait in progress, so a reader cannot outlive its store.
func TestCloseEndsWait(t *testing.T) {
	s, err := boltstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait(context.Background(), store.Position{}) }()
	time.Sleep(10 * time.Millisecond) // let it block; the test holds either way
	s.Close()
	if err := <-done; !errors.Is(err, boltstore.ErrClosed) {
		t.Errorf("Wait after Close: %v, want ErrClosed", err)
	}
}
