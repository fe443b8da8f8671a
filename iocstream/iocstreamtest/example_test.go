package iocstreamtest_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/iocstream/iocstreamtest"
)

// A host's notification store runs the whole conformance suite from one test function;
// this is how the in-memory store does it.
func ExampleRun() {
	// In a _test.go file of the host's store package:
	_ = func(t *testing.T) {
		iocstreamtest.Run(t, func(t *testing.T, opts *iocstream.StoreOptions) iocstream.Store {
			return iocstream.NewMemStore(opts)
		})
	}
}
