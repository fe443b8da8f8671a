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
