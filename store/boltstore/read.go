package boltstore

import (
	"bytes"
	"context"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// view runs fn in a read transaction after checking ctx.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// recordIn returns the current record of id; ok is false if it is not stored.
func recordIn(tx *bolt.Tx, id stix.ID) (store.Record, bool, error) {
	h, raw, ok := currentIn(tx.Bucket(bObjects), tx.Bucket(bVersions), id)
	if !ok {
		return store.Record{}, false, nil
	}
	o, err := parseStored(raw)
	if err != nil {
		return store.Record{}, false, err
	}
	return store.Record{Object: o, DateAdded: unixNano(h.added), Updated: unixNano(h.updated)}, true, nil
}

// Get implements [store.Reader].
func (s *Store) Get(ctx context.Context, id stix.ID) (store.Record, error) {
	var r store.Record
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var ok bool
		var err error
		if r, ok, err = recordIn(tx, id); err == nil && !ok {
			err = notFound(id)
		}
		return err
	})
	return r, err
}

// GetMany implements [store.Reader].
func (s *Store) GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]store.Record, error) {
	out := make(map[stix.ID]store.Record, len(ids))
	err := s.view(ctx, func(tx *bolt.Tx) error {
		for _, id := range ids {
			if _, done := out[id]; done {
				continue
			}
			r, ok, err := recordIn(tx, id)
			if err != nil {
				return err
			}
			if ok {
				out[id] = r
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Versions implements [store.Reader].
func (s *Store) Versions(ctx context.Context, id stix.ID) ([]store.Record, error) {
	var out []store.Record
	err := s.view(ctx, func(tx *bolt.Tx) error {
		h, ok := decodeHeader(tx.Bucket(bObjects).Get([]byte(id)))
		if !ok || !validKeyID(id) {
			return notFound(id)
		}
		p := idPrefix(id)
		c := tx.Bucket(bVersions).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			o, err := parseStored(v[8:])
			if err != nil {
				return err
			}
			out = append(out, store.Record{Object: o, DateAdded: unixNano(h.added), Updated: unixNano(nanosOfTkey(v))})
		}
		if len(out) == 0 {
			return notFound(id)
		}
		out[len(out)-1].Updated = unixNano(h.updated)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RelationsOf implements [store.Reader].
func (s *Store) RelationsOf(ctx context.Context, id stix.ID) ([]store.Record, error) {
	out := []store.Record{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		for _, rid := range relationsIn(tx.Bucket(bRelations), id) {
			r, ok, err := recordIn(tx, rid)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b store.Record) int { return cmpID(a.Object.ID(), b.Object.ID()) })
	return out, nil
}

func cmpID(a, b stix.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Count implements [store.Counter].
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.view(ctx, func(tx *bolt.Tx) error {
		n = int(getU64(tx.Bucket(bMeta).Get(mObjects)))
		return nil
	})
	return n, err
}
