package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestFileCheckpoints: positions survive reopening the file, and a damaged file is an
// error rather than a silent restart from scratch.
func TestFileCheckpoints(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "positions.json")
	c, err := OpenFileCheckpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := c.Load(ctx, "a"); p != "" {
		t.Errorf("fresh file: %q", p)
	}
	if err := c.Save(ctx, "a", "1-2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx, "b", "2026-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	c2, err := OpenFileCheckpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := c2.Load(ctx, "a"); a != "1-2" {
		t.Errorf("reopened a = %q", a)
	}
	if b, _ := c2.Load(ctx, "b"); b != "2026-01-01T00:00:00Z" {
		t.Errorf("reopened b = %q", b)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFileCheckpoints(path); err == nil {
		t.Error("a damaged file was accepted")
	}
}
