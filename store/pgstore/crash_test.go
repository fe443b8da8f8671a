package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/pgstore"
)

// crashEnv carries the DSN to the writer process TestCrashSafety starts.
const crashEnv = "PGSTORE_CRASH_WRITER_DSN"

const crashBatch = 1000

// TestCrashWriter is the writer process of TestCrashSafety (it skips unless started by
// it): batches of crashBatch new objects plus new versions of the previous batch's first
// 100, forever.
func TestCrashWriter(t *testing.T) {
	dsn := os.Getenv(crashEnv)
	if dsn == "" {
		t.Skip("the writer process of TestCrashSafety")
	}
	s, err := pgstore.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	var prev []*stix.Object
	for b := 0; ; b++ {
		batch := make([]*stix.Object, 0, crashBatch+100)
		for i := range crashBatch {
			batch = append(batch, newIndicator(t, b*crashBatch+i))
		}
		for _, o := range prev[:min(100, len(prev))] {
			n, err := o.NewVersion(o.Modified().Add(time.Second), func(m map[string]any) { m["name"] = "v2" })
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, n)
		}
		if _, err := s.PutMany(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		prev = batch[:crashBatch]
	}
}

// A writer process killed with SIGKILL in the middle of a batch leaves no object without
// its event, no event without its object, and no part of the batch.
func TestCrashSafety(t *testing.T) {
	s, dsn := open(t, nil)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dsn+" application_name=crashwriter")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	admin := connect(t, dsn)

	// Kill once two batches have committed and the writer is inside a transaction.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			t.Fatal("the writer never committed two batches")
		}
		select {
		case err := <-exited:
			t.Fatalf("the writer exited by itself: %v", err)
		default:
		}
		var lsn int64
		var inTx bool
		err := admin.QueryRow(t.Context(), `SELECT (SELECT lsn FROM ctifeed_head),
			EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'crashwriter' AND xact_start IS NOT NULL
				AND backend_xid IS NOT NULL)`).Scan(&lsn, &inTx)
		if err != nil {
			t.Fatal(err)
		}
		if lsn >= 2*crashBatch && inTx {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	// The server ends the dead client's session and rolls its transaction back.
	for {
		var n int
		if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'crashwriter'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	checks := []struct{ what, sql string }{
		{"events without their record state", `SELECT count(*) FROM ctifeed_log l
			WHERE l.kind IN (1, 2) AND NOT EXISTS (SELECT 1 FROM ctifeed_records r WHERE r.id = l.id AND r.from_lsn = l.lsn)
			OR l.kind = 2 AND NOT EXISTS (SELECT 1 FROM ctifeed_records r WHERE r.id = l.id AND r.to_lsn = l.lsn)`},
		{"record states without their event", `SELECT count(*) FROM ctifeed_records r
			WHERE NOT EXISTS (SELECT 1 FROM ctifeed_log l WHERE l.lsn = r.from_lsn AND l.id = r.id)`},
		{"updated records without their older version", `SELECT count(*) FROM ctifeed_records r WHERE r.to_lsn IS NULL
			AND EXISTS (SELECT 1 FROM ctifeed_log l WHERE l.id = r.id AND l.kind = 2)
			AND NOT EXISTS (SELECT 1 FROM ctifeed_versions v WHERE v.id = r.id)`},
		{"versions without a current record", `SELECT count(*) FROM ctifeed_versions v
			WHERE NOT EXISTS (SELECT 1 FROM ctifeed_records r WHERE r.id = v.id AND r.to_lsn IS NULL)`},
		{"head and log disagreeing", `SELECT count(*) FROM ctifeed_head h
			WHERE h.lsn <> (SELECT max(lsn) FROM ctifeed_log) OR h.objects <> (SELECT count(*) FROM ctifeed_records WHERE to_lsn IS NULL)`},
		{"objects of a partial batch", fmt.Sprintf(`SELECT count(*) %% %d FROM ctifeed_records WHERE to_lsn IS NULL`, crashBatch)},
	}
	for _, c := range checks {
		var n int
		if err := admin.QueryRow(t.Context(), c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s after the writer was killed", n, c.what)
		}
	}
	// The store goes on from where the committed log ends.
	b, err := s.Bounds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ev, _, err := s.Put(t.Context(), newIndicator(t, -1))
	if err != nil || ev.Pos.Compare(b.Last) <= 0 {
		t.Errorf("Put after the crash: %s, %v; want a position after %s", ev.Pos, err, b.Last)
	}
}
