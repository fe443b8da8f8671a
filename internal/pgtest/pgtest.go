package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	// EnvDSN names a server to use instead of starting one.
	EnvDSN = "CTIFEED_TEST_POSTGRES_DSN"
	// EnvRequire, set to 1, fails tests that would skip for want of a server.
	EnvRequire = "CTIFEED_REQUIRE_POSTGRES"
)

// state is what Main set up for this test binary; one per process, as a test binary has
// one TestMain.
var state struct {
	mu      sync.Mutex
	admin   string // DSN of a database to run CREATE DATABASE on
	makeDSN func(db string) string
	skip    string // why there is no server
	cluster *cluster
}

// Main starts the server (or finds one, see the package documentation), runs the tests and
// stops it. Call it from TestMain: os.Exit(pgtest.Main(m)) — or wrap m.Run in something
// else that returns the exit code, such as goleak.
func Main(m *testing.M) int {
	return MainFunc(m.Run)
}

// MainFunc is [Main] with the test run given as a function (so that a TestMain can combine
// it with goleak.VerifyTestMain and the like).
func MainFunc(run func() int) int {
	setUp()
	defer tearDown()
	return run()
}

func setUp() {
	state.mu.Lock()
	defer state.mu.Unlock()
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		if _, err := pgx.ParseConfig(dsn); err != nil {
			state.skip = fmt.Sprintf("%s is not a valid DSN: %v", EnvDSN, err)
			return
		}
		state.admin = dsn
		state.makeDSN = func(db string) string { return withDatabase(dsn, db) }
		return
	}
	c, err := startCluster()
	if err != nil {
		state.skip = "no PostgreSQL server for tests: " + err.Error()
		return
	}
	state.cluster = c
	state.admin = c.dsn("postgres")
	state.makeDSN = c.dsn
}

func tearDown() {
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.cluster != nil {
		state.cluster.stop()
		state.cluster = nil
	}
}

// Available reports whether tests can have a database, and if not, why.
func Available() (bool, string) {
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.makeDSN == nil && state.skip == "" {
		return false, "pgtest.Main was not called from TestMain"
	}
	return state.skip == "", state.skip
}

// DSN creates an empty database for this test, drops it when the test ends, and returns
// its connection string. Without a server it skips the test (fails it under
// CTIFEED_REQUIRE_POSTGRES=1).
func DSN(tb testing.TB) string {
	tb.Helper()
	if ok, why := Available(); !ok {
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatalf("%s=1 but %s", EnvRequire, why)
		}
		tb.Skip(why)
	}
	var b [6]byte
	rand.Read(b[:])
	db := "ctifeed_test_" + hex.EncodeToString(b[:])
	if err := admin(context.Background(), "CREATE DATABASE "+db+" STRATEGY FILE_COPY"); err != nil {
		tb.Fatalf("creating the test database: %v", err)
	}
	tb.Cleanup(func() {
		// WITH (FORCE) ends the connections a failed test may have left open.
		if err := admin(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
			tb.Errorf("dropping the test database: %v", err)
		}
	})
	return state.makeDSN(db)
}

// admin runs one statement on the maintenance database.
func admin(ctx context.Context, sql string) error {
	conn, err := connect(ctx, state.admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns dsn (a URL or key=value form) naming the database db instead.
func withDatabase(dsn, db string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		return u.String()
	}
	return dsn + " dbname=" + db // a later keyword overrides an earlier one
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) { return pgx.Connect(ctx, dsn) }
