package storetest_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest"
)

// A host's own store runs the whole conformance suite from one test function; this is
// how the in-memory store does it.
func ExampleRun() {
	// In a _test.go file of the host's store package:
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return memstore.New(nil) })
	}
}

// An engine that can be configured with a small log retention says how, so the retention
// obligations (ErrGap, as-of reads at dropped positions) run too instead of skipping.
func ExampleRunWith() {
	// In a _test.go file of the host's store package:
	_ = func(t *testing.T) {
		storetest.RunWith(t, storetest.Harness{
			New: func(t *testing.T) store.Store { return memstore.New(nil) },
			NewWithRetention: func(t *testing.T, maxEvents int) store.Store {
				return memstore.New(&memstore.Options{MaxEvents: maxEvents})
			},
		})
	}
}
