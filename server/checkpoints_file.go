package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// FileCheckpoints keeps ingestion positions in a JSON file, for an engine that keeps its
// data in a directory: put the file in that directory, so that a backup of it carries the
// positions with the data. Each Save rewrites the file atomically (a temporary file
// renamed over it). A position saved after its data is stored can only lag the data, and
// a source that re-reads from an older position stores nothing twice.
type FileCheckpoints struct {
	path string
	mu   sync.Mutex
	m    map[string]string
}

// OpenFileCheckpoints reads the positions in path (none when it does not exist yet).
func OpenFileCheckpoints(path string) (*FileCheckpoints, error) {
	c := &FileCheckpoints{path: path, m: map[string]string{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(b, &c.m); err != nil {
		return nil, fmt.Errorf("ingestion positions %s: %w", path, err)
	}
	return c, nil
}

// Load implements [Checkpoints].
func (c *FileCheckpoints) Load(_ context.Context, source string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[source], nil
}

// Save implements [Checkpoints].
func (c *FileCheckpoints) Save(_ context.Context, source, position string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[source] == position {
		return nil
	}
	c.m[source] = position
	return writeFileAtomic(c.path, c.m)
}
