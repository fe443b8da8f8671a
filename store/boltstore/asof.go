package boltstore

import (
	"bytes"
	"context"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Reads as of a position: the history bucket holds, for each event, the state each id it
// changed had just before it (absent, or the record then). The state of id as of at is
// therefore the before-state of id's first event after at, or its current record when
// no event after at changed it. Retention drops the history of dropped events, which no
// valid position needs (every valid position is at or after the newest dropped one).

// recordAt returns id's record as of at.
func recordAt(tx *bolt.Tx, at store.Position, id stix.ID) (store.Record, bool, error) {
	if !validKeyID(id) {
		return store.Record{}, false, nil
	}
	p := idPrefix(id)
	start := join(p, posKey(at))
	c := tx.Bucket(bHistory).Cursor()
	k, v := c.Seek(start)
	if k != nil && bytes.Equal(k, start) {
		k, v = c.Next()
	}
	if k == nil || !bytes.HasPrefix(k, p) {
		return recordIn(tx, id)
	}
	if len(v) < 17 || v[0] != 1 {
		return store.Record{}, false, nil
	}
	o, err := parseStored(v[17:])
	if err != nil {
		return store.Record{}, false, err
	}
	return store.Record{Object: o, DateAdded: unixNano(nanosOfTkey(v[1:9])), Updated: unixNano(nanosOfTkey(v[9:17]))}, true, nil
}

// checkAt reports whether at may be read as of (see store.History).
func checkAt(tx *bolt.Tx, at store.Position) error { return bounds(tx).Check(at) }

// GetManyAt implements [store.History].
func (s *Store) GetManyAt(ctx context.Context, at store.Position, ids []stix.ID) (map[stix.ID]store.Record, error) {
	out := make(map[stix.ID]store.Record, len(ids))
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if err := checkAt(tx, at); err != nil {
			return err
		}
		for _, id := range ids {
			if _, done := out[id]; done {
				continue
			}
			r, ok, err := recordAt(tx, at, id)
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

// RelationsOfAt implements [store.History]. The candidates are the current relations of
// id and those that had id as an end until an event after at; each is then read as of at
// and kept if it had id as an end then.
func (s *Store) RelationsOfAt(ctx context.Context, at store.Position, id stix.ID) ([]store.Record, error) {
	out := []store.Record{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if err := checkAt(tx, at); err != nil {
			return err
		}
		if !validKeyID(id) {
			return nil
		}
		cands := relationsIn(tx.Bucket(bRelations), id)
		p := idPrefix(id)
		c := tx.Bucket(bRelHist).Cursor()
		start := join(p, posKey(at), []byte{0xff})
		for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if len(k) > len(p)+16 {
				cands = append(cands, stix.ID(k[len(p)+16:]))
			}
		}
		slices.Sort(cands)
		for _, rid := range slices.Compact(cands) {
			r, ok, err := recordAt(tx, at, rid)
			if err != nil {
				return err
			}
			if ok && slices.Contains(relationEnds(rid, r.Object.Raw()), id) {
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
