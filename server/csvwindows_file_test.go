package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/store"
)

// TestFileCSVWindows: a stored window is what the next step sees, after reopening the
// file too; a failing step stores nothing; a damaged file is an error rather than a
// silent fresh start.
func TestFileCSVWindows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "csv-windows.json")
	c, err := OpenFileCSVWindows(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := csvfeed.Window{Since: at, Until: at.Add(time.Hour), Closed: true, Through: store.Position{Millis: 7, Seq: 2}}
	if _, err := c.Advance(ctx, "ips", func(prev *csvfeed.Window) (csvfeed.Window, error) {
		if prev != nil {
			t.Errorf("fresh file: %+v", prev)
		}
		return w, nil
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := c.Advance(ctx, "ips", func(*csvfeed.Window) (csvfeed.Window, error) { return csvfeed.Window{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing step: %v", err)
	}
	c2, err := OpenFileCSVWindows(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Advance(ctx, "ips", func(prev *csvfeed.Window) (csvfeed.Window, error) {
		if prev == nil || !prev.Until.Equal(w.Until) || prev.Through != w.Through || !prev.Closed {
			t.Errorf("reopened: %+v, want %+v", prev, w)
		}
		return *prev, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFileCSVWindows(path); err == nil {
		t.Error("a damaged file was accepted")
	}
}
