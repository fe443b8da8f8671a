package store

import (
	"context"
	"fmt"

	"github.com/ctifeed/ctifeed/stix"
)

// Snapshot is a read-only view of a store as of one log position: what a feed that is
// behind the log reads, so that it decides as a caught-up feed did. Make one with [At].
type Snapshot struct {
	h  History
	at Position
}

// At returns the view of h as of the position at (see [History] for which positions are
// valid; an invalid one fails on each read).
func At(h History, at Position) Snapshot { return Snapshot{h: h, at: at} }

// Position returns the position the view stands at.
func (v Snapshot) Position() Position { return v.at }

// Get returns the record of id as of the view's position, or an error wrapping
// [ErrNotFound] if it was not stored then.
func (v Snapshot) Get(ctx context.Context, id stix.ID) (Record, error) {
	m, err := v.h.GetManyAt(ctx, v.at, []stix.ID{id})
	if err != nil {
		return Record{}, err
	}
	r, ok := m[id]
	if !ok {
		return Record{}, fmt.Errorf("%w: %s as of %s", ErrNotFound, id, v.at)
	}
	return r, nil
}

// GetMany is [History.GetManyAt] at the view's position.
func (v Snapshot) GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]Record, error) {
	return v.h.GetManyAt(ctx, v.at, ids)
}

// RelationsOf is [History.RelationsOfAt] at the view's position.
func (v Snapshot) RelationsOf(ctx context.Context, id stix.ID) ([]Record, error) {
	return v.h.RelationsOfAt(ctx, v.at, id)
}
