package memstore

import (
	"context"
	"slices"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// GetManyAt implements [store.History]: O(log k) per id, k being the number of the id's
// states still retained.
func (s *Store) GetManyAt(ctx context.Context, at store.Position, ids []stix.ID) (map[stix.ID]store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.boundsLocked().Check(at); err != nil {
		return nil, err
	}
	out := make(map[stix.ID]store.Record, len(ids))
	for _, id := range ids {
		if r, ok := s.stateAt(id, at); ok {
			out[id] = r
		}
	}
	return out, nil
}

// RelationsOfAt implements [store.History]. The candidates are the relations that have id as
// an end now or had it in a retained past state; each is then taken as of at.
func (s *Store) RelationsOfAt(ctx context.Context, at store.Position, id stix.ID) ([]store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.boundsLocked().Check(at); err != nil {
		return nil, err
	}
	cur, old := s.relations[id], s.hist.ends[id]
	out := make([]store.Record, 0, len(cur)+len(old))
	var buf endsBuf
	add := func(rid stix.ID) {
		if r, ok := s.stateAt(rid, at); ok && slices.Contains(relationEnds(r.Object, buf[:0]), id) {
			out = append(out, r)
		}
	}
	for rid := range cur {
		add(rid)
	}
	for rid := range old {
		if _, dup := cur[rid]; !dup {
			add(rid)
		}
	}
	sortByID(out)
	return out, nil
}
