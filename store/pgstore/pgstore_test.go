package pgstore_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/pgstore"
	"github.com/ctifeed/ctifeed/store/storetest"
)

func TestMain(m *testing.M) {
	os.Exit(pgtest.MainFunc(func() int {
		code := m.Run()
		if code == 0 {
			// The cluster's process-wait goroutine belongs to pgtest and ends after m.Run.
			if err := goleak.Find(goleak.IgnoreAnyFunction("github.com/ctifeed/ctifeed/internal/pgtest.startCluster.func1")); err != nil {
				os.Stderr.WriteString("goleak: " + err.Error() + "\n")
				return 1
			}
		}
		return code
	}))
}

// open returns a store on a fresh database, closed when the test ends.
func open(t testing.TB, opts *pgstore.Options) (*pgstore.Store, string) {
	t.Helper()
	dsn := pgtest.DSN(t)
	s, err := pgstore.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s, dsn
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := open(t, nil)
		return s
	})
}
