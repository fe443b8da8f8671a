package boltstore

import (
	"bytes"
	"context"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Scans walk the ordered index of their order, (time, id), or with Types one range of the
// per-type index for each type, merged. A page seeks once per range to the cursor (or the
// Since/Until bound) and reads on: O(log n + page) at any depth, plus the records Match
// rejects.

// rangeIter walks the keys of one index range in scan order; key() is the (time, id) part.
type rangeIter struct {
	c      *bolt.Cursor
	prefix []byte
	desc   bool
	k      []byte
}

func (it *rangeIter) valid() bool { return it.k != nil && bytes.HasPrefix(it.k, it.prefix) }

func (it *rangeIter) key() []byte { return it.k[len(it.prefix):] }

func (it *rangeIter) next() {
	if it.desc {
		it.k, _ = it.c.Prev()
	} else {
		it.k, _ = it.c.Next()
	}
}

// seekAsc positions at the first key >= lo (> lo when exclusive).
func (it *rangeIter) seekAsc(lo []byte, exclusive bool) {
	full := join(it.prefix, lo)
	it.k, _ = it.c.Seek(full)
	if exclusive && it.k != nil && bytes.Equal(it.k, full) {
		it.next()
	}
}

// seekDesc positions at the last key < hi (all keys of the range when hi is nil).
func (it *rangeIter) seekDesc(hi []byte) {
	var full []byte
	if hi != nil {
		full = join(it.prefix, hi)
	} else if len(it.prefix) > 0 {
		full = slices.Clone(it.prefix)
		full[len(full)-1]++ // just past the range: prefix ends with sep
	}
	if full == nil {
		it.k, _ = it.c.Last()
		return
	}
	it.k, _ = it.c.Seek(full)
	if it.k == nil {
		it.k, _ = it.c.Last()
	} else {
		it.k, _ = it.c.Prev()
	}
}

// Scan implements [store.Scanner].
func (s *Store) Scan(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	var page store.Page
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		page, err = scanTx(ctx, tx, opts)
		return err
	})
	return page, err
}

func scanTx(ctx context.Context, tx *bolt.Tx, opts store.ScanOptions) (store.Page, error) {
	c, err := opts.Begin()
	if err != nil {
		return store.Page{}, err
	}
	var after []byte
	if c != nil {
		after = join(tkey(c.Time), []byte(c.ID))
	}
	var its []*rangeIter
	if len(opts.Types) == 0 {
		b := tx.Bucket(bByAdded)
		if opts.Order == store.ByUpdated {
			b = tx.Bucket(bByUpdated)
		}
		its = append(its, &rangeIter{c: b.Cursor(), desc: opts.Descending})
	} else {
		name := bTypeAdded
		if opts.Order == store.ByUpdated {
			name = bTypeUpd
		}
		types := slices.Clone(opts.Types)
		slices.Sort(types)
		for _, t := range slices.Compact(types) {
			its = append(its, &rangeIter{c: tx.Bucket(name).Cursor(), prefix: append([]byte(t), sep), desc: opts.Descending})
		}
	}
	var since, until []byte
	if !opts.Since.IsZero() {
		since = tkey(opts.Since)
	}
	if !opts.Until.IsZero() {
		until = tkey(opts.Until)
	}
	for _, it := range its {
		if !opts.Descending {
			switch {
			case after != nil && (since == nil || bytes.Compare(after, since) >= 0):
				it.seekAsc(after, true)
			case since != nil:
				it.seekAsc(since, false)
			default:
				it.seekAsc(nil, false)
			}
		} else {
			hi := until
			if after != nil && (hi == nil || bytes.Compare(after, hi) < 0) {
				hi = after
			}
			it.seekDesc(hi)
		}
	}
	objects, versions := tx.Bucket(bObjects), tx.Bucket(bVersions)
	var page store.Page
	for n := 0; ; n++ {
		if n%256 == 255 && ctx.Err() != nil {
			return store.Page{}, ctx.Err()
		}
		it := pick(its, opts.Descending)
		if it == nil {
			break
		}
		k := it.key()
		it.next()
		if len(k) < 8 {
			return store.Page{}, ErrCorrupt
		}
		t := k[:8]
		if !opts.Descending && until != nil && bytes.Compare(t, until) >= 0 ||
			opts.Descending && since != nil && bytes.Compare(t, since) < 0 {
			break
		}
		id := stix.ID(k[8:])
		h, raw, ok := currentIn(objects, versions, id)
		if !ok {
			return store.Page{}, ErrCorrupt
		}
		o, err := parseStored(raw)
		if err != nil {
			return store.Page{}, err
		}
		rec := store.Record{Object: o, DateAdded: unixNano(h.added), Updated: unixNano(h.updated)}
		if !opts.Keep(rec) {
			continue
		}
		if len(page.Records) == opts.Limit {
			last := page.Records[len(page.Records)-1]
			page.Next = store.CursorOf(last, opts.Order, opts.Descending).String()
			break
		}
		page.Records = append(page.Records, rec)
	}
	return page, nil
}

// pick returns the iterator whose key comes first in scan order (nil when all are done).
func pick(its []*rangeIter, desc bool) *rangeIter {
	var best *rangeIter
	for _, it := range its {
		if !it.valid() {
			continue
		}
		if best == nil {
			best = it
			continue
		}
		c := bytes.Compare(it.key(), best.key())
		if desc && c > 0 || !desc && c < 0 {
			best = it
		}
	}
	return best
}
