package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/ctifeed/ctifeed/csvfeed"
)

// FileCSVWindows keeps CSV feeds' latest windows in a JSON file, for an engine that keeps
// its data in a directory (one process at a time): a restarted hub's since-previous
// windows continue from the stored close. Each stored window rewrites the file
// atomically (a temporary file renamed over it). It is safe for concurrent use.
type FileCSVWindows struct {
	path string
	mu   sync.Mutex // held across a step: one window at a time, which is plenty for one node
	m    map[string]csvfeed.Window
}

var _ csvfeed.WindowState = (*FileCSVWindows)(nil)

// OpenFileCSVWindows reads the windows in path (none when it does not exist yet).
func OpenFileCSVWindows(path string) (*FileCSVWindows, error) {
	c := &FileCSVWindows{path: path, m: map[string]csvfeed.Window{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(b, &c.m); err != nil {
		return nil, fmt.Errorf("CSV windows %s: %w", path, err)
	}
	return c, nil
}

// Advance implements [csvfeed.WindowState].
func (c *FileCSVWindows) Advance(ctx context.Context, feed string, next func(prev *csvfeed.Window) (csvfeed.Window, error)) (csvfeed.Window, error) {
	if err := ctx.Err(); err != nil {
		return csvfeed.Window{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var prev *csvfeed.Window
	if w, ok := c.m[feed]; ok {
		prev = &w
	}
	w, err := next(prev)
	if err != nil {
		return csvfeed.Window{}, err
	}
	m := make(map[string]csvfeed.Window, len(c.m)+1)
	for k, v := range c.m {
		m[k] = v
	}
	m[feed] = w
	if err := writeFileAtomic(c.path, m); err != nil {
		return csvfeed.Window{}, fmt.Errorf("CSV windows %s: %w", c.path, err)
	}
	c.m = m
	return w, nil
}

// writeFileAtomic writes v as JSON to path through a temporary file renamed over it, so a
// crash leaves the old file or the new one, never a torn one.
func writeFileAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
