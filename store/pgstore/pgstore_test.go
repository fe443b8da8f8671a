package pgstore_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/pgstore"
	"github.com/ctifeed/ctifeed/store/storetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" { // the writer process of TestCrashSafety: its parent's server
		os.Exit(m.Run())
	}
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

// The whole suite, retention obligations included: MaxEvents is the small retention.
func TestConformance(t *testing.T) {
	storetest.RunWith(t, harness(nil))
}

func harness(clock func() time.Time) storetest.Harness {
	return storetest.Harness{
		New: func(t *testing.T) store.Store {
			s, _ := open(t, &pgstore.Options{Clock: clock})
			return s
		},
		NewWithRetention: func(t *testing.T, maxEvents int) store.Store {
			s, _ := open(t, &pgstore.Options{Clock: clock, MaxEvents: maxEvents})
			return s
		},
	}
}

// Positions stay increasing and unique when every write reads the same millisecond (the
// sequence numbers them) and when the clock goes back (the last position wins).
func TestConformanceOddClocks(t *testing.T) {
	if testing.Short() {
		t.Skip("the default clock's run covers the contract; -short skips the clock variants")
	}
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	n := 0
	clocks := map[string]func() time.Time{
		"frozen": func() time.Time { return t0 },
		"backwards": func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			n++
			if n%3 == 0 { // every third reading jumps a second back
				return t0.Add(time.Duration(n)*time.Millisecond - time.Second)
			}
			return t0.Add(time.Duration(n) * time.Millisecond)
		},
	}
	for name, clock := range clocks {
		t.Run(name, func(t *testing.T) { storetest.RunWith(t, harness(clock)) })
	}
}
