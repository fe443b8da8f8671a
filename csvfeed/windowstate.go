package csvfeed

import (
	"context"
	"sync"
)

// WindowState keeps each feed's latest window, so that since-previous windows chain
// across restarts and across the nodes of one platform: give every node's scheduler the
// same state (store/pgstore's, for nodes on one database) and each window is closed and
// its public file generated once, by whichever node's tick comes first; the other nodes
// adopt that window. Implementations must be safe for concurrent use.
type WindowState interface {
	// Advance calls next with the feed's stored window (nil when there is none) while
	// holding the feed's lock, which excludes every other Advance of the same feed on
	// the same state (on every node sharing it), and stores the window next returns.
	// When next fails, nothing is stored and Advance returns its error.
	Advance(ctx context.Context, feed string, next func(prev *Window) (Window, error)) (Window, error)
}

// NewMemoryWindowState returns a WindowState kept in memory: right for one process whose
// windows may start afresh after a restart. It is the scheduler's default.
func NewMemoryWindowState() WindowState { return &memWindows{m: map[string]*memWindow{}} }

type memWindows struct {
	mu sync.Mutex
	m  map[string]*memWindow
}

type memWindow struct {
	mu sync.Mutex // held across next: one feed's windows are fixed one at a time
	w  *Window
}

func (s *memWindows) Advance(ctx context.Context, feed string, next func(prev *Window) (Window, error)) (Window, error) {
	if err := ctx.Err(); err != nil {
		return Window{}, err
	}
	s.mu.Lock()
	slot := s.m[feed]
	if slot == nil {
		slot = &memWindow{}
		s.m[feed] = slot
	}
	s.mu.Unlock()
	slot.mu.Lock()
	defer slot.mu.Unlock()
	var prev *Window
	if slot.w != nil {
		p := *slot.w
		prev = &p
	}
	w, err := next(prev)
	if err != nil {
		return Window{}, err
	}
	slot.w = &w
	return w, nil
}
