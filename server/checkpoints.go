package server

import (
	"context"
	"sync"
)

// Checkpoints keeps each ingestion source's position (an opaque string: a file's digest,
// a TAXII added_after date, a live-stream event id) beside the data it led to, so that a
// restarted source resumes where it stopped. Implementations must be safe for concurrent
// use.
type Checkpoints interface {
	// Load returns the saved position of source, or "" when there is none.
	Load(ctx context.Context, source string) (string, error)
	// Save records the position of source once what it led to is stored.
	Save(ctx context.Context, source, position string) error
}

// memCheckpoints keeps positions in memory.
type memCheckpoints struct {
	mu sync.Mutex
	m  map[string]string
}

func newMemCheckpoints() *memCheckpoints { return &memCheckpoints{m: map[string]string{}} }

func (c *memCheckpoints) Load(_ context.Context, source string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[source], nil
}

func (c *memCheckpoints) Save(_ context.Context, source, position string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[source] = position
	return nil
}
