package memstore_test

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest"
)

// The whole suite, retention obligations included: MaxEvents is the small retention.
func TestConformance(t *testing.T) {
	storetest.RunWith(t, harness(nil))
}

func harness(clock func() func() time.Time) storetest.Harness {
	opts := func(maxEvents int) *memstore.Options {
		o := &memstore.Options{MaxEvents: maxEvents}
		if clock != nil {
			o.Clock = clock()
		}
		return o
	}
	return storetest.Harness{
		New: func(t *testing.T) store.Store { return memstore.New(opts(0)) },
		NewWithRetention: func(t *testing.T, maxEvents int) store.Store {
			return memstore.New(opts(maxEvents))
		},
	}
}

// The contract must hold whatever the clock does: many events in one millisecond, or a clock
// that jumps back (positions and times must still increase).
func TestConformanceOddClocks(t *testing.T) {
	clocks := map[string]func() func() time.Time{
		"frozen": func() func() time.Time {
			t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
			return func() time.Time { return t0 }
		},
		"backwards": func() func() time.Time {
			var mu sync.Mutex
			t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
			n := 0
			return func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				n++
				if n%3 == 0 { // every third reading jumps a second back
					return t0.Add(time.Duration(n)*time.Millisecond - time.Second)
				}
				return t0.Add(time.Duration(n) * time.Millisecond)
			}
		},
	}
	for name, clock := range clocks {
		t.Run(name, func(t *testing.T) {
			storetest.RunWith(t, harness(clock))
		})
	}
}

// The suite starts waiters, writers and readers; none may outlive its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
