package taxii

import (
	"slices"
	"sync"
	"time"
)

// statusStore keeps the status resources of POST requests for a while, bounded in number.
// It is safe for concurrent use.
type statusStore struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	m     map[string]*statusEntry
	queue []string // keys in insertion order: the oldest expire and are evicted first
}

type statusEntry struct {
	owner   string
	expires time.Time
	st      Status
}

func newStatusStore(ttl time.Duration, max int) *statusStore {
	return &statusStore{ttl: ttl, max: max, m: make(map[string]*statusEntry)}
}

func statusKey(root, id string) string { return root + "\x00" + id }

// put keeps st under id; it drops expired statuses and, when full, the oldest.
func (s *statusStore) put(root, owner string, st Status, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 {
		k := s.queue[0]
		e, ok := s.m[k]
		if ok && now.Before(e.expires) && len(s.m) < s.max {
			break
		}
		delete(s.m, k)
		s.queue = s.queue[1:]
	}
	k := statusKey(root, st.ID)
	s.m[k] = &statusEntry{owner: owner, expires: now.Add(s.ttl), st: st}
	s.queue = append(s.queue, k)
}

// update changes a kept status in place (for writes in the background).
func (s *statusStore) update(root, id string, f func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[statusKey(root, id)]; ok {
		f(&e.st)
	}
}

// get returns a copy of the status if it exists, has not expired and belongs to owner.
func (s *statusStore) get(root, id, owner string, now time.Time) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[statusKey(root, id)]
	if !ok || e.owner != owner || !now.Before(e.expires) {
		return Status{}, false
	}
	return e.st.clone(), true
}

func (st Status) clone() Status {
	st.Successes = slices.Clone(st.Successes)
	st.Failures = slices.Clone(st.Failures)
	st.Pendings = slices.Clone(st.Pendings)
	return st
}
