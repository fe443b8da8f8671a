package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// trim applies retention to a log of count events, always keeping the newest, and returns
// how many remain. A dropped event takes with it the history only reads as of positions
// before it needed.
func (w *wtx) trim(count uint64) (uint64, error) {
	cutoff := int64(-1)
	if w.s.maxAge > 0 {
		cutoff = w.s.clock().Add(-w.s.maxAge).UnixMilli()
	}
	var dropped store.Position
	c := w.b.log.Cursor()
	for k, v := c.First(); k != nil && count > 1; k, v = c.First() {
		p := posOf(k)
		overCap := w.s.maxEvents > 0 && count > uint64(w.s.maxEvents)
		tooOld := cutoff >= 0 && int64(p.Millis) < cutoff
		if !overCap && !tooOld {
			break
		}
		ids, err := eventIDs(v)
		if err != nil {
			return 0, err
		}
		for _, id := range ids {
			if err := w.forget(id, k); err != nil {
				return 0, err
			}
		}
		if err := c.Delete(); err != nil {
			return 0, err
		}
		dropped = p
		count--
	}
	if !dropped.IsZero() {
		if err := w.b.meta.Put(mDropped, posKey(dropped)); err != nil {
			return 0, err
		}
	}
	return count, nil
}

// forget deletes what id's history kept for reads as of positions before pos (key form).
func (w *wtx) forget(id stix.ID, pos []byte) error {
	if !validKeyID(id) {
		return nil
	}
	hk := join(idPrefix(id), pos)
	v := w.b.history.Get(hk)
	if v == nil {
		return nil
	}
	if len(v) > 17 && v[0] == 1 {
		for _, end := range relationEnds(id, v[17:]) {
			if validKeyID(end) {
				if err := w.b.relHist.Delete(join(idPrefix(end), pos, []byte(id))); err != nil {
					return err
				}
			}
		}
	}
	return w.b.history.Delete(hk)
}

// bounds reads the log's bounds in tx.
func bounds(tx *bolt.Tx) store.LogBounds {
	meta := tx.Bucket(bMeta)
	c := tx.Bucket(bLog).Cursor()
	first, _ := c.First()
	last, _ := c.Last()
	if first == nil {
		return store.LogBounds{Origin: posOf(meta.Get(mOrigin)), Dropped: posOf(meta.Get(mDropped))}
	}
	b := store.LogBounds{First: posOf(first), Last: posOf(last), Count: int(getU64(meta.Get(mEvents))),
		Origin: posOf(meta.Get(mOrigin)), Dropped: posOf(meta.Get(mDropped))}
	b.FirstTime, b.LastTime = b.First.Time(), b.Last.Time()
	return b
}

// Bounds implements [store.Log].
func (s *Store) Bounds(ctx context.Context) (store.LogBounds, error) {
	if err := ctx.Err(); err != nil {
		return store.LogBounds{}, err
	}
	var b store.LogBounds
	err := s.db.View(func(tx *bolt.Tx) error { b = bounds(tx); return nil })
	return b, err
}

// Read implements [store.Log].
func (s *Store) Read(ctx context.Context, after store.Position, limit int) ([]store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("%w: limit %d < 1", store.ErrInvalid, limit)
	}
	var out []store.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := bounds(tx).Check(after); err != nil && !errors.Is(err, store.ErrInvalidPosition) {
			return err
		}
		c := tx.Bucket(bLog).Cursor()
		start := posKey(after)
		k, v := c.Seek(start)
		if k != nil && bytes.Equal(k, start) {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			ev, err := decodeEvent(posOf(k), v)
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Wait implements [store.Log]: commits in this process wake it (only one process may have
// the store open, so there are no others). It returns [ErrClosed] once the store is closed.
func (s *Store) Wait(ctx context.Context, after store.Position) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.Lock()
		ready := s.last.Compare(after) > 0
		wake := s.wake
		s.mu.Unlock()
		if ready {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return ErrClosed
		}
	}
}
