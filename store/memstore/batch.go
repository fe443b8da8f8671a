package memstore

import (
	"context"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// PutMany implements [store.BatchWriter]: every object is put as [Store.Put] would, under
// one hold of the write lock, so readers see all of the batch or none of it. An object's own
// error (a nil object, an invalid id, a conflicting version) is in its result; the only error
// of the whole call is a done context, checked before anything is applied.
func (s *Store) PutMany(ctx context.Context, objs []*stix.Object) ([]store.PutResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]store.PutResult, len(objs))
	for i, o := range objs { // outside the lock: validation needs no state
		out[i].Err = store.CheckObject(o)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range objs {
		if out[i].Err == nil {
			out[i].Event, out[i].Changed, out[i].Err = s.putLocked(o)
		}
	}
	return out, nil
}
