package boltstore_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/iocstream/iocstreamtest"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/boltstore"
	"github.com/ctifeed/ctifeed/store/storetest"
	"github.com/ctifeed/ctifeed/taxii"
	"github.com/ctifeed/ctifeed/taxii/statustest"
)

// open opens a fresh store in a temporary directory, closed when the test ends.
func open(t testing.TB, opts *boltstore.Options) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The conformance suites check semantics, so they skip fsync (which only makes them
// slower); durability has its own tests (crash, restart), which keep it.
var noSync = &boltstore.Options{NoSync: true}

func TestConformance(t *testing.T) {
	storetest.RunWith(t, storetest.Harness{
		New: func(t *testing.T) store.Store { return open(t, noSync) },
		NewWithRetention: func(t *testing.T, maxEvents int) store.Store {
			return open(t, &boltstore.Options{NoSync: true, MaxEvents: maxEvents})
		},
	})
}

func TestStatuses(t *testing.T) {
	statustest.Run(t, func(t *testing.T) taxii.StatusStore { return open(t, noSync).Statuses() })
}

func TestNotifications(t *testing.T) {
	iocstreamtest.Run(t, func(t *testing.T, opts *iocstream.StoreOptions) iocstream.Store {
		return open(t, noSync).Notifications(opts)
	})
}
