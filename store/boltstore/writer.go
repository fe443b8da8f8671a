package boltstore

import (
	"context"
	"errors"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

var (
	_ store.Store       = (*Store)(nil)
	_ store.Counter     = (*Store)(nil)
	_ store.BatchWriter = (*Store)(nil)
)

// Put implements [store.Writer]. The change and its event are one transaction, durable
// when Put returns (unless [Options.NoSync]).
func (s *Store) Put(ctx context.Context, obj *stix.Object) (store.Event, bool, error) {
	if err := store.CheckObject(obj); err != nil {
		return store.Event{}, false, err
	}
	var ev store.Event
	var changed bool
	err := s.update(ctx, func(w *wtx) error {
		var err error
		ev, changed, err = w.put(obj)
		return err
	})
	if err != nil {
		return store.Event{}, false, err
	}
	return ev, changed, nil
}

// PutMany implements [store.BatchWriter]: one transaction for the whole batch.
func (s *Store) PutMany(ctx context.Context, objs []*stix.Object) ([]store.PutResult, error) {
	var out []store.PutResult
	err := s.update(ctx, func(w *wtx) error {
		out = make([]store.PutResult, len(objs))
		for i, o := range objs {
			ev, changed, err := w.put(o)
			if err != nil && !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrConflict) {
				return err
			}
			out[i] = store.PutResult{Event: ev, Changed: changed, Err: err}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Merge implements [store.Writer].
func (s *Store) Merge(ctx context.Context, target *stix.Object, sources []stix.ID) (store.Event, error) {
	if err := store.CheckMerge(target, sources); err != nil {
		return store.Event{}, err
	}
	var ev store.Event
	err := s.update(ctx, func(w *wtx) error {
		var err error
		ev, err = w.merge(target, sources)
		return err
	})
	if err != nil {
		return store.Event{}, err
	}
	return ev, nil
}

// Delete implements [store.Writer], cascading to relationships and sightings in the same
// transaction.
func (s *Store) Delete(ctx context.Context, id stix.ID) (store.Event, error) {
	var ev store.Event
	err := s.update(ctx, func(w *wtx) error {
		if _, _, ok := w.current(id); !ok {
			return notFound(id)
		}
		var err error
		ev, err = w.deleteCascade(id, map[stix.ID]bool{})
		return err
	})
	if err != nil {
		return store.Event{}, err
	}
	return ev, nil
}
