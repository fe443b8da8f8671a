package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// A filtered scan may read its candidates in several batches, calling Match between them
// without holding anything; a record that matched in an early batch and then moves beyond
// it (updated, by last change; deleted and stored again, by date added) must not come back
// in the same page: "none is skipped or repeated" holds inside a page too (issue 23 item 7).
func testScanMatchMovedNotRepeated(t *testing.T, s store.Store) {
	// Each case moves one record; the new version is made before the scan, so that the
	// goroutine doing the move never needs t.
	cases := []struct {
		order store.Order
		move  func(o *stix.Object, moved *stix.Object) error
	}{
		{store.ByUpdated, func(_, moved *stix.Object) error {
			_, _, err := s.Put(t.Context(), moved)
			return err
		}},
		{store.ByDateAdded, func(o, _ *stix.Object) error {
			if _, err := s.Delete(t.Context(), o.ID()); err != nil {
				return err
			}
			_, _, err := s.Put(t.Context(), o)
			return err
		}},
	}
	// Enough records that an engine reading a few hundred candidates per batch needs several.
	const n = 600
	for ci, c := range cases {
		typ := fmt.Sprintf("x-moving-%d", ci)
		objs := make([]*stix.Object, n)
		for i := range objs {
			objs[i] = object(t, typ)
			mustPut(t, s, objs[i])
		}
		mover, trigger := objs[0], objs[1]
		moved := next(t, mover, 1, "moved")
		matching := map[stix.ID]bool{mover.ID(): true}
		for _, o := range objs[n-10 : n-6] {
			matching[o.ID()] = true
		}
		var once sync.Once
		done := make(chan error, 1)
		blocked := false
		match := func(o *stix.Object) bool {
			if o.ID() == trigger.ID() {
				once.Do(func() {
					// Move the record that already matched while the scan is between its
					// first candidates and the rest, and wait until the move is done.
					go func() { done <- c.move(mover, moved) }()
					select {
					case err := <-done:
						done <- err
					case <-time.After(10 * time.Second):
						blocked = true
					}
				})
			}
			return matching[o.ID()]
		}
		p, err := store.Scan(t.Context(), s, store.ScanOptions{Order: c.order, Limit: 10, Types: []string{typ}, Match: match})
		if err != nil {
			t.Fatalf("%v: Scan: %v", c.order, err)
		}
		once.Do(func() { done <- fmt.Errorf("the scan never called Match for %s, the second candidate", trigger.ID()) })
		if err := <-done; err != nil {
			t.Fatalf("%v: moving %s during the scan: %v", c.order, mover.ID(), err)
		}
		if blocked {
			t.Logf("%v: the store held writes back while Match ran, so nothing moved during the scan", c.order)
		}
		seen := map[stix.ID]int{}
		for _, r := range p.Records {
			if seen[r.Object.ID()]++; seen[r.Object.ID()] == 2 {
				t.Errorf("%v: %s moved during the scan and is twice in one page", c.order, r.Object.ID())
			}
			if !matching[r.Object.ID()] {
				t.Errorf("%v: %s does not match but is in the page", c.order, r.Object.ID())
			}
		}
		if seen[mover.ID()] == 0 {
			t.Errorf("%v: %s matched and is beyond the cursor, but is not in the page", c.order, mover.ID())
		}
	}
}
