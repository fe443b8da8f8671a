package store

import (
	"context"

	"github.com/ctifeed/ctifeed/stix"
)

// ManyGetter reads records by id: a [Reader] (the current records) or a [Snapshot] (the
// records as of a position).
type ManyGetter interface {
	GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]Record, error)
}

// Lookup answers look-ups of objects by id from a [ManyGetter]'s records. It has the method
// set of access.Lookup, so a feed hands the access boundary Lookup{r} to find the objects
// a decision needs beyond those decided (relationship ends, container contents): from the
// current records, or with a Snapshot as of the position being decided.
type Lookup struct{ From ManyGetter }

// Lookup calls found with the stored object of each id that is stored; the others are
// left out, as the access boundary expects of ids that name nothing.
func (l Lookup) Lookup(ctx context.Context, ids []stix.ID, found func(*stix.Object)) error {
	recs, err := l.From.GetMany(ctx, ids)
	if err != nil {
		return err
	}
	for _, r := range recs {
		found(r.Object)
	}
	return nil
}
