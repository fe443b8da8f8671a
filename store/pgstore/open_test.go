package pgstore_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/pgstore"
)

// Nodes that open a fresh database at the same moment apply every migration once.
func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := pgstore.Open(t.Context(), dsn, nil)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	conn := connect(t, dsn)
	var n, max int
	if err := conn.QueryRow(t.Context(), "SELECT count(*), max(version) FROM ctifeed_schema").Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != pgstore.SchemaVersion() || max != pgstore.SchemaVersion() {
		t.Errorf("ctifeed_schema holds %d steps up to %d, want %d", n, max, pgstore.SchemaVersion())
	}
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Data written survives closing the store and opening it again (another process's view).
func TestReopenKeepsEverything(t *testing.T) {
	s, dsn := open(t, nil)
	o := newIndicator(t, 1)
	ev, _, err := s.Put(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := pgstore.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r, err := s2.Get(t.Context(), o.ID())
	if err != nil || string(r.Object.Raw()) != string(o.Raw()) {
		t.Errorf("after reopening: Get = %v, %v", r.Object, err)
	}
	if b, err := s2.Bounds(t.Context()); err != nil || b.Last != ev.Pos {
		t.Errorf("after reopening: Bounds = %+v, %v; want last %s", b, err, ev.Pos)
	}
}

// A database migrated by newer code is refused, naming both versions, and left untouched.
func TestNewerSchemaIsRefused(t *testing.T) {
	s, dsn := open(t, nil)
	s.Close()
	conn := connect(t, dsn)
	newer := pgstore.SchemaVersion() + 1
	if _, err := conn.Exec(t.Context(), "INSERT INTO ctifeed_schema (version, name) VALUES ($1, 'from the future')", newer); err != nil {
		t.Fatal(err)
	}
	_, err := pgstore.Open(t.Context(), dsn, nil)
	if !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{"version " + strconv.Itoa(newer), "up to " + strconv.Itoa(pgstore.SchemaVersion())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Wrong DSNs and unreachable servers give an error naming the problem, within the
// context's deadline, never a hang.
func TestOpenBadInput(t *testing.T) {
	for _, tc := range []struct{ name, dsn, want string }{
		{"malformed", "postgres://[::1", "invalid DSN"},
		{"unknown parameter", "host=/tmp pool_max_conns=many", "invalid DSN"},
		{"no such socket", "host=/nonexistent/pgstore-test dbname=x user=x", "connecting to database \"x\" on /nonexistent/pgstore-test"},
		{"refused port", "postgres://x@127.0.0.1:1/x?connect_timeout=2", "connecting to database \"x\" on 127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			start := time.Now()
			s, err := pgstore.Open(ctx, tc.dsn, nil)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if d := time.Since(start); d > 9*time.Second {
				t.Errorf("Open took %v to fail", d)
			}
		})
	}
	t.Run("unreachable within the deadline", func(t *testing.T) {
		// 192.0.2.0/24 is TEST-NET-1: nothing answers, so only the deadline ends the attempt.
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		_, err := pgstore.Open(ctx, "postgres://x@192.0.2.1:5432/x", nil)
		if err == nil || !strings.Contains(err.Error(), "192.0.2.1") {
			t.Errorf("Open on an unreachable server: %v, want an error naming it", err)
		}
	})
}

// Connections killed by the server (a restart, a failover, an administrator) mid-stream:
// the pool reconnects for the next call, and the listening connection reconnects so that a
// waiting reader is still woken by the next write.
func TestDroppedConnectionsReconnect(t *testing.T) {
	s, dsn := open(t, nil)
	if _, _, err := s.Put(t.Context(), newIndicator(t, 1)); err != nil {
		t.Fatal(err)
	}
	last, err := s.Bounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	go func() { waited <- s.Wait(ctx, last.Last) }()
	time.Sleep(100 * time.Millisecond) // the waiter is blocked on the listener

	admin := connect(t, dsn)
	var killed int
	if err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no connection to terminate: the store holds no listening connection")
	}
	// The first call on a dead pooled connection may fail; the store must work again at once.
	var ev store.Event
	for try := 0; ; try++ {
		ev, _, err = s.Put(t.Context(), newIndicator(t, 2))
		if err == nil {
			break
		}
		if try == 3 {
			t.Fatalf("Put still failing after the connections were dropped: %v", err)
		}
		if !strings.Contains(err.Error(), "pgstore: writing") {
			t.Errorf("a dropped connection's error does not say what failed: %v", err)
		}
	}
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("Wait across a dropped listening connection: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Wait did not return within 10 s of event %s after its connection was dropped", ev.Pos)
	}
}
