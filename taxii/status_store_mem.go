package taxii

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemStatusStore is the in-memory [StatusStore], the handler's default. It keeps at most
// a fixed number of statuses: when full, storing a new one discards the oldest stored
// (expired ones go first anyway). It is safe for concurrent use.
type MemStatusStore struct {
	max   int
	clock func() time.Time

	mu    sync.Mutex
	m     map[string]*StatusRecord
	queue []string // keys in insertion order: the oldest expire and are evicted first
}

// MemStatusStoreOptions configure [NewMemStatusStore]; nil or the zero value gives the
// defaults.
type MemStatusStoreOptions struct {
	// MaxStatuses is how many statuses are kept at most (default [DefaultMaxStatuses]).
	MaxStatuses int
	// Clock decides which statuses have expired when room is made (default time.Now);
	// give it the handler's clock.
	Clock func() time.Time
}

// NewMemStatusStore returns an empty in-memory status store.
func NewMemStatusStore(opts *MemStatusStoreOptions) *MemStatusStore {
	var o MemStatusStoreOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxStatuses < 1 {
		o.MaxStatuses = DefaultMaxStatuses
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &MemStatusStore{max: o.MaxStatuses, clock: o.Clock, m: make(map[string]*StatusRecord)}
}

var _ StatusStore = (*MemStatusStore)(nil)

func statusKey(root, id string) string { return root + "\x00" + id }

// PutStatus implements [StatusStore].
func (s *MemStatusStore) PutStatus(ctx context.Context, rec StatusRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rec.Status = rec.Status.Clone()
	k := statusKey(rec.Root, rec.Status.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[k]; ok { // a replacement keeps its place in the queue
		*old = rec
		return nil
	}
	now := s.clock()
	for len(s.queue) > 0 {
		e, ok := s.m[s.queue[0]]
		if ok && now.Before(e.Expires) && len(s.m) < s.max {
			break
		}
		delete(s.m, s.queue[0])
		s.queue = s.queue[1:]
	}
	s.m[k] = &rec
	s.queue = append(s.queue, k)
	return nil
}

// GetStatus implements [StatusStore].
func (s *MemStatusStore) GetStatus(ctx context.Context, root, id string, now time.Time) (StatusRecord, error) {
	if err := ctx.Err(); err != nil {
		return StatusRecord{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[statusKey(root, id)]
	if !ok || !now.Before(e.Expires) {
		return StatusRecord{}, fmt.Errorf("%w: %q", ErrStatusNotFound, id)
	}
	rec := *e
	rec.Status = rec.Status.Clone()
	return rec, nil
}
