package iocstream

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/google/btree"
)

// MemStore is the in-memory [Store], safe for concurrent use. Expired notifications are
// discarded on the next write.
//
// Every notification sits in a B-tree ordered by [Key] and, for each filter key but date,
// in a B-tree ordered by (value, Key). A scan walks the index of the filter key whose
// values cover the fewest notifications (counts are kept per value), one range per value,
// from the cursor and date bounds on, and checks the rest of the filter on each
// notification it meets. A page therefore costs O(log n + page size) at any depth when
// that key (or the date range alone) decides the match; further keys add the
// notifications they reject. B-trees (github.com/google/btree) rather than sorted slices
// keep inserts and deletes at O(log n) too.
type MemStore struct {
	opts StoreOptions

	mu     sync.RWMutex
	byID   map[string]*Notification
	byDate *btree.BTreeG[entry]
	idx    [len(setKeys)]*btree.BTreeG[entry]
	counts [len(setKeys)]map[string]int
}

// entry is one notification in one index: val is the indexed value ("" in byDate).
type entry struct {
	val  string
	date int64
	n    *Notification
}

func entryLess(a, b entry) bool {
	if a.val != b.val {
		return a.val < b.val
	}
	if a.date != b.date {
		return a.date < b.date
	}
	return a.n.ID < b.n.ID
}

const btreeDegree = 32

// NewMemStore returns an empty in-memory store; opts may be nil.
func NewMemStore(opts *StoreOptions) *MemStore {
	s := &MemStore{
		opts:   opts.withDefaults(),
		byID:   make(map[string]*Notification),
		byDate: btree.NewG(btreeDegree, entryLess),
	}
	for i := range s.idx {
		s.idx[i] = btree.NewG(btreeDegree, entryLess)
		s.counts[i] = make(map[string]int)
	}
	return s
}

var _ Store = (*MemStore)(nil)

// Len returns how many notifications the store holds, expired ones not yet discarded included.
func (s *MemStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID)
}

// minLive returns the oldest date (Unix seconds) that has not expired.
func (s *MemStore) minLive() int64 {
	return s.opts.Now().Add(-s.opts.Retention).Unix() + 1
}

// Add implements [Store.Add].
func (s *MemStore) Add(ctx context.Context, n *Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := n.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	minLive := s.purge()
	if _, ok := s.byID[n.ID]; ok {
		return fmt.Errorf("%w: %q", ErrExists, n.ID)
	}
	if n.Date.Unix() < minLive {
		return nil // expired on arrival: accepted, never seen
	}
	c := n.clone()
	s.byID[c.ID] = c
	d := c.Date.Unix()
	s.byDate.ReplaceOrInsert(entry{date: d, n: c})
	for i := range setKeys {
		for _, v := range indexValues(setKeys[i], c) {
			s.idx[i].ReplaceOrInsert(entry{val: v, date: d, n: c})
			s.counts[i][v]++
		}
	}
	return nil
}

// Get implements [Store.Get].
func (s *MemStore) Get(ctx context.Context, id string) (*Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.byID[id]
	if !ok || n.Date.Unix() < s.minLive() {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return n.clone(), nil
}

// Delete implements [Store.Delete].
func (s *MemStore) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge()
	n, ok := s.byID[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	s.remove(n)
	return nil
}

// DeleteMatching implements [Store.DeleteMatching].
func (s *MemStore) DeleteMatching(ctx context.Context, q *Query) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	minLive := s.purge()
	if q.String() == "" { // everything: start afresh rather than unpick every index
		n := len(s.byID)
		s.byID = make(map[string]*Notification)
		s.byDate.Clear(false)
		for i := range s.idx {
			s.idx[i].Clear(false)
			s.counts[i] = make(map[string]int)
		}
		return n, nil
	}
	doomed := s.scan(q, OrderOldest, nil, -1, minLive)
	for _, n := range doomed {
		s.remove(n)
	}
	return len(doomed), nil
}

// Scan implements [Store.Scan].
func (s *MemStore) Scan(ctx context.Context, q *Query, opts *ScanOptions) ([]*Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	found := s.scan(q, opts.Order, opts.After, opts.Limit, s.minLive())
	for i, n := range found {
		found[i] = n.clone()
	}
	return found, nil
}

// purge discards expired notifications, oldest first, and returns the oldest live date.
// The caller holds the write lock.
func (s *MemStore) purge() int64 {
	minLive := s.minLive()
	for {
		e, ok := s.byDate.Min()
		if !ok || e.date >= minLive {
			return minLive
		}
		s.remove(e.n)
	}
}

// remove takes n out of every index. The caller holds the write lock.
func (s *MemStore) remove(n *Notification) {
	delete(s.byID, n.ID)
	d := n.Date.Unix()
	s.byDate.Delete(entry{date: d, n: n})
	for i := range setKeys {
		for _, v := range indexValues(setKeys[i], n) {
			s.idx[i].Delete(entry{val: v, date: d, n: n})
			if s.counts[i][v]--; s.counts[i][v] <= 0 {
				delete(s.counts[i], v)
			}
		}
	}
}

// scan returns up to limit (all when limit < 0) live notifications matching q, in order,
// strictly after `after`. The caller holds a lock.
func (s *MemStore) scan(q *Query, order Order, after *Key, limit int, minLive int64) []*Notification {
	// Bounds as exclusive pivots: lo < key < hi. An empty ID sorts before every real one.
	lo := Key{Date: minLive - 1, ID: "\xff"} // every key with Date >= minLive is above it
	if q.hasFrom && q.from > minLive {
		lo = Key{Date: q.from}
	}
	hi, hasHi := Key{Date: q.before}, q.hasBefore
	if after != nil {
		if order == OrderOldest && lo.Less(*after) {
			lo = *after
		}
		if order == OrderNewest && (!hasHi || after.Less(hi)) {
			hi, hasHi = *after, true
		}
	}

	tree, values := s.byDate, []string{""}
	if i, ok := s.cheapestIndex(q); ok {
		tree, values = s.idx[i], q.sets[i]
	}
	var out []*Notification
	for _, v := range values {
		out = append(out, walk(tree, v, lo, hi, hasHi, order, limit, q)...)
	}
	if len(values) > 1 { // merge the ranges: one notification may sit under several values
		slices.SortFunc(out, func(a, b *Notification) int { return cmpKey(a.Key(), b.Key(), order) })
		out = slices.CompactFunc(out, func(a, b *Notification) bool { return a == b })
		if limit >= 0 && len(out) > limit {
			out = out[:limit]
		}
	}
	return out
}

// walk visits the entries of tree with value v and lo < key < hi (hi only when hasHi), in
// order, and returns up to limit notifications that q matches.
func walk(tree *btree.BTreeG[entry], v string, lo, hi Key, hasHi bool, order Order, limit int, q *Query) []*Notification {
	var out []*Notification
	visit := func(e entry) bool {
		if e.val != v {
			return false
		}
		k := Key{Date: e.date, ID: e.n.ID}
		if !lo.Less(k) {
			return order == OrderOldest // the pivot itself when ascending; past the end when descending
		}
		if hasHi && !k.Less(hi) {
			return order == OrderNewest
		}
		if q.Match(e.n) {
			out = append(out, e.n)
		}
		return limit < 0 || len(out) < limit
	}
	pivot := func(k Key) entry { return entry{val: v, date: k.Date, n: &Notification{ID: k.ID}} }
	if order == OrderOldest {
		tree.AscendGreaterOrEqual(pivot(lo), visit)
	} else if hasHi {
		tree.DescendLessOrEqual(pivot(hi), visit)
	} else {
		tree.DescendLessOrEqual(pivot(Key{Date: 1<<63 - 1, ID: "\xff"}), visit)
	}
	return out
}

// cheapestIndex returns the filter key whose values cover the fewest notifications.
func (s *MemStore) cheapestIndex(q *Query) (int, bool) {
	best, bestCost := -1, len(s.byID)+1
	for i, set := range q.sets {
		if set == nil {
			continue
		}
		cost := 0
		for _, v := range set {
			cost += s.counts[i][v]
		}
		if cost < bestCost {
			best, bestCost = i, cost
		}
	}
	return best, best >= 0
}

func cmpKey(a, b Key, order Order) int {
	c := 0
	switch {
	case a.Less(b):
		c = -1
	case b.Less(a):
		c = 1
	}
	if order == OrderNewest {
		c = -c
	}
	return c
}

// indexValues returns the distinct values n has for a filter key.
func indexValues(key FilterKey, n *Notification) []string {
	switch key {
	case KeyOrigin:
		return []string{string(n.Origin)}
	case KeyEntityID:
		return []string{n.Entity.ID}
	case KeyEntityType:
		return []string{string(n.Entity.Type)}
	case KeySourceType:
		vs := make([]string, 0, len(n.Sources))
		for _, src := range n.Sources {
			vs = append(vs, string(src.Type))
		}
		return distinct(vs)
	case KeySourceID:
		vs := make([]string, 0, len(n.Sources))
		for _, src := range n.Sources {
			vs = append(vs, src.ID)
		}
		return distinct(vs)
	case KeyNotificationTag:
		return distinct(slices.Clone(n.Tags))
	}
	return nil
}

func distinct(vs []string) []string {
	slices.Sort(vs)
	return slices.Compact(vs)
}
