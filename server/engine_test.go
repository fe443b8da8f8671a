package server

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/internal/pgtest"
)

// TestBoltEngineRestart: a hub on the bolt engine keeps its data and its sources'
// positions across a restart: the bundle read before is not read again.
func TestBoltEngineRestart(t *testing.T) {
	testEngineRestart(t, "{engine: bolt, path: data}")
}

// TestPostgresEngineRestart: the same on PostgreSQL, where the positions are kept in the
// database (before, they were kept in memory and a restarted hub read its sources again).
func TestPostgresEngineRestart(t *testing.T) {
	testEngineRestart(t, fmt.Sprintf("{engine: postgres, path: %q}", pgtest.DSN(t)))
}

func testEngineRestart(t *testing.T, storeYAML string) {
	dir := t.TempDir()
	bundles := filepath.Join(dir, "bundles")
	if err := os.Mkdir(bundles, 0o755); err != nil {
		t.Fatal(err)
	}
	obj := indicator(t, "durable", time.Now().UTC().Truncate(time.Millisecond))
	writeBundle(t, filepath.Join(bundles, "a.json"), obj)
	path := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(path, []byte("listen: 127.0.0.1:0\nstore: "+storeYAML+"\ningest:\n  - {name: files, files: [bundles]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func() *running { return startHub(t, path, nil, io.Discard) }
	hub := start()
	eventually(t, "the bundle stored", func() bool {
		v, _ := metric(t, hub.base, `ctifeed_ingest_objects_total{source="files"}`)
		return v == 1
	})
	hub.stop()
	hub = start()
	time.Sleep(200 * time.Millisecond) // the file source's pass
	if _, err := hub.s.Store().Get(context.Background(), obj.ID()); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	if v, ok := metric(t, hub.base, `ctifeed_ingest_objects_total{source="files"}`); ok && v != 0 {
		t.Errorf("the bundle was read again after the restart (%v objects)", v)
	}
	hub.stop()
}
