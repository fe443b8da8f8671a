package memstore

import (
	"context"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// GetManyAt implements [store.History].
// TEMPORARY (issue "Time-correct history"): answers with the current state; the as-of
// bookkeeping replaces it.
func (s *Store) GetManyAt(ctx context.Context, at store.Position, ids []stix.ID) (map[stix.ID]store.Record, error) {
	return s.GetMany(ctx, ids)
}

// RelationsOfAt implements [store.History].
// TEMPORARY (issue "Time-correct history"): answers with the current state.
func (s *Store) RelationsOfAt(ctx context.Context, at store.Position, id stix.ID) ([]store.Record, error) {
	return s.RelationsOf(ctx, id)
}
