package pgtest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// Two tests get two different, empty, working databases.
func TestDSNGivesSeparateDatabases(t *testing.T) {
	names := map[string]bool{}
	for range 2 {
		dsn := DSN(t)
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatalf("connecting to %s: %v", dsn, err)
		}
		var db string
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&db); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s is not empty: %d tables", db, n)
		}
		names[db] = true
		conn.Close(t.Context())
	}
	if len(names) != 2 {
		t.Errorf("two calls gave databases %v, want two different ones", names)
	}
}

// recorder is a testing.TB whose Skip and Fatal end the calling goroutine, recording why.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// Without a server, DSN skips saying why, and fails instead under CTIFEED_REQUIRE_POSTGRES=1.
func TestNoServerSkipsOrFails(t *testing.T) {
	state.mu.Lock()
	saved := state.skip
	state.skip = "no PostgreSQL binaries (test)"
	state.mu.Unlock()
	defer func() {
		state.mu.Lock()
		state.skip = saved
		state.mu.Unlock()
	}()
	call := func() *recorder {
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() { defer close(done); DSN(r) }()
		<-done
		return r
	}
	t.Setenv(EnvRequire, "")
	if r := call(); r.skipped != "no PostgreSQL binaries (test)" || r.failed != "" {
		t.Errorf("without a server: skipped %q, failed %q; want a skip saying why", r.skipped, r.failed)
	}
	t.Setenv(EnvRequire, "1")
	if r := call(); r.failed == "" || r.skipped != "" || !strings.Contains(r.failed, "no PostgreSQL binaries (test)") {
		t.Errorf("without a server under %s=1: skipped %q, failed %q; want a failure saying why", EnvRequire, r.skipped, r.failed)
	}
}

// A DSN given as a URL or as key=value pairs names the test's database either way.
func TestWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@db.example:5433/postgres?sslmode=disable": "postgres://u:p@db.example:5433/ctifeed_test_x?sslmode=disable",
		"host=/tmp user=u dbname=postgres":                        "host=/tmp user=u dbname=postgres dbname=ctifeed_test_x",
	} {
		if got := withDatabase(in, "ctifeed_test_x"); got != want {
			t.Errorf("withDatabase(%q) = %q, want %q", in, got, want)
		}
	}
}
