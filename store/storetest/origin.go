package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/store"
)

// checkPosition checks that Read and the as-of reads after (or at) p do what b.Check(p)
// says: ErrGap for both; past the end, Read returns nothing and no error while the as-of
// reads give ErrInvalidPosition; otherwise Read returns exactly the events of all after p.
func checkPosition(t *testing.T, s store.Store, b store.LogBounds, all []store.Event, p store.Position) error {
	t.Helper()
	check := b.Check(p)
	evs, rerr := s.Read(t.Context(), p, 1000)
	_, aerr := s.GetManyAt(t.Context(), p, nil)
	var errs []error
	switch {
	case errors.Is(check, store.ErrGap):
		if !errors.Is(rerr, store.ErrGap) {
			errs = append(errs, fmt.Errorf("Read(after %s) = %d events, %v; Check says %v", p, len(evs), rerr, check))
		}
		if !errors.Is(aerr, store.ErrGap) {
			errs = append(errs, fmt.Errorf("GetManyAt(%s) error %v; Check says %v", p, aerr, check))
		}
	case errors.Is(check, store.ErrInvalidPosition):
		if rerr != nil || len(evs) != 0 {
			errs = append(errs, fmt.Errorf("Read(after %s), beyond the end, = %d events, %v; want none, no error", p, len(evs), rerr))
		}
		if !errors.Is(aerr, store.ErrInvalidPosition) {
			errs = append(errs, fmt.Errorf("GetManyAt(%s), beyond the end: error %v, want ErrInvalidPosition", p, aerr))
		}
	case check != nil:
		errs = append(errs, fmt.Errorf("Check(%s) = %v, wrapping neither ErrGap nor ErrInvalidPosition", p, check))
	default:
		var want []store.Position
		for _, ev := range all {
			if ev.Pos.Compare(p) > 0 {
				want = append(want, ev.Pos)
			}
		}
		var got []store.Position
		for _, ev := range evs {
			got = append(got, ev.Pos)
		}
		if rerr != nil || !slices.Equal(got, want) {
			errs = append(errs, fmt.Errorf("Read(after %s) = %v, %v; want %v", p, got, rerr, want))
		}
		if aerr != nil {
			errs = append(errs, fmt.Errorf("GetManyAt(%s): %v; Check says the position is readable", p, aerr))
		}
	}
	return errors.Join(errs...)
}

// A log knows since when it is complete: Origin is before its first event, Dropped is zero
// while nothing was dropped, every sequence number is below MaxSeq, and Read and the as-of
// reads agree with LogBounds.Check at every kind of position: the start, long ago, the
// origin, each event, between events, beyond the end.
func testLogOrigin(t *testing.T, s store.Store) {
	ancient := store.Position{Millis: 1}
	if _, err := s.Read(t.Context(), ancient, 10); !errors.Is(err, store.ErrGap) {
		t.Errorf("Read(after %s) on a log that never held an event: %v, want ErrGap (the position is of another log)", ancient, err)
	}
	all := writeSome(t, s)
	b, err := s.Bounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if b.Origin.Compare(b.First) >= 0 {
		t.Errorf("Origin %s is not before the first event %s", b.Origin, b.First)
	}
	if !b.Dropped.IsZero() {
		t.Errorf("Dropped = %s with nothing dropped, want 0-0", b.Dropped)
	}
	for _, ev := range all {
		if ev.Pos.Seq >= store.MaxSeq {
			t.Errorf("event %s has a sequence number ≥ MaxSeq", ev.Pos)
		}
	}
	last := all[len(all)-1].Pos
	ps := []store.Position{{}, ancient, b.Origin, {Millis: last.Millis, Seq: last.Seq + 1}, {Millis: last.Millis + 3_600_000}}
	for _, pr := range probes(all, replay(all)) {
		ps = append(ps, pr.at)
	}
	for _, p := range ps {
		if err := checkPosition(t, s, b, all, p); err != nil {
			t.Error(err)
		}
	}
}
