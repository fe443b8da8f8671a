package memstore

import (
	"context"
	"iter"
	"slices"
	"time"

	"github.com/google/btree"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// matchBatch is how many candidates a filtered scan examines per lock hold: Match runs
// outside the lock, so a slow predicate never blocks writers for a whole scan.
const matchBatch = 256

// Scan implements [store.Scanner]. A page costs O(log n + limit) without Match or MatchRecord (times the
// number of Types); with Match, add the non-matching records skipped.
func (s *Store) Scan(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	after, err := opts.Begin()
	if err != nil {
		return store.Page{}, err
	}
	batch := opts.Limit + 1
	if opts.Filtered() {
		batch = max(batch, matchBatch)
	}
	var out []store.Record
	if !opts.Filtered() { // one batch of limit+1 says both the page and whether more exist
		out = s.candidates(opts, after, batch)
	}
	// Each batch is read under its own lock hold, so a record that matched in one batch may
	// have moved beyond it (updated, or deleted and stored again) before the next: seen keeps
	// it from coming back in the same page. One batch needs no such set.
	var seen map[stix.ID]struct{}
	for opts.Filtered() && len(out) <= opts.Limit {
		if err := ctx.Err(); err != nil {
			return store.Page{}, err
		}
		cands := s.candidates(opts, after, batch)
		for _, r := range cands {
			if _, dup := seen[r.Object.ID()]; dup {
				continue
			}
			if opts.Keep(r) {
				if out = append(out, r); len(out) > opts.Limit {
					break
				}
			}
		}
		if len(cands) < batch {
			break // the range is exhausted
		}
		if seen == nil {
			seen = make(map[stix.ID]struct{}, len(out))
		}
		for _, r := range out[len(seen):] { // out only grows, and seen holds its prefix
			seen[r.Object.ID()] = struct{}{}
		}
		c := store.CursorOf(cands[len(cands)-1], opts.Order, opts.Descending)
		after = &c
	}
	if len(out) <= opts.Limit {
		return store.Page{Records: out}, nil
	}
	out = out[:opts.Limit]
	return store.Page{Records: out, Next: store.CursorOf(out[len(out)-1], opts.Order, opts.Descending).String()}, nil
}

// candidates returns up to n current records beyond after (or from the start) in scan order
// that satisfy Types and Since/Until, under one read lock.
func (s *Store) candidates(opts store.ScanOptions, after *store.Cursor, n int) []store.Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	less := lessAdded
	key := func(e *entry) time.Time { return e.added }
	if opts.Order == store.ByUpdated {
		less, key = lessUpdated, func(e *entry) time.Time { return e.updated }
	}
	var trees []*btree.BTreeG[*entry]
	if len(opts.Types) == 0 {
		trees = append(trees, s.tree(opts.Order, nil))
	} else {
		seen := make(map[string]bool, len(opts.Types))
		for _, t := range opts.Types {
			if ti, ok := s.types[t]; ok && !seen[t] {
				seen[t] = true
				trees = append(trees, s.tree(opts.Order, ti))
			}
		}
	}

	// The start: the later (earlier, descending) of the cursor and the time bound.
	var pivot *entry
	skipEqual := false
	setPivot := func(t time.Time, id stix.ID) {
		pivot = &entry{id: id, added: t, updated: t}
	}
	bound := opts.Since
	if opts.Descending {
		bound = opts.Until
	}
	if !bound.IsZero() {
		setPivot(bound, "") // "" sorts before every id at that time
	}
	if after != nil {
		ct := after.Time
		if bound.IsZero() || !opts.Descending && !ct.Before(bound) || opts.Descending && ct.Before(bound) {
			setPivot(ct, after.ID)
			skipEqual = true
		}
	}

	seqs := make([]iter.Seq[*entry], len(trees))
	for i, t := range trees {
		seqs[i] = walk(t, pivot, opts.Descending)
	}
	before := less
	if opts.Descending {
		before = func(a, b *entry) bool { return less(b, a) }
	}
	out := make([]store.Record, 0, min(n, store.MaxLimit+1))
	for e := range mergeSeqs(seqs, before) {
		t := key(e)
		if skipEqual && e.id == pivot.id && t.Equal(key(pivot)) {
			continue
		}
		if !opts.Descending && !opts.Until.IsZero() && !t.Before(opts.Until) ||
			opts.Descending && !opts.Since.IsZero() && t.Before(opts.Since) {
			break
		}
		if out = append(out, e.record()); len(out) == n {
			break
		}
	}
	return out
}

func (s *Store) tree(o store.Order, ti *typeIndex) *btree.BTreeG[*entry] {
	switch {
	case ti == nil && o == store.ByUpdated:
		return s.byUpdated
	case ti == nil:
		return s.byAdded
	case o == store.ByUpdated:
		return ti.byUpdated
	}
	return ti.byAdded
}

// walk iterates t from pivot (inclusive; nil = from the end) in the given direction.
func walk(t *btree.BTreeG[*entry], pivot *entry, desc bool) iter.Seq[*entry] {
	return func(yield func(*entry) bool) {
		switch {
		case pivot == nil && !desc:
			t.Ascend(yield)
		case pivot == nil:
			t.Descend(yield)
		case !desc:
			t.AscendGreaterOrEqual(pivot, yield)
		default:
			t.DescendLessOrEqual(pivot, yield)
		}
	}
}

// mergeSeqs merges sequences each sorted by before into one sorted sequence (a scan over
// several types reads each type's index).
func mergeSeqs(seqs []iter.Seq[*entry], before func(a, b *entry) bool) iter.Seq[*entry] {
	if len(seqs) == 1 {
		return seqs[0]
	}
	return func(yield func(*entry) bool) {
		nexts := make([]func() (*entry, bool), 0, len(seqs))
		heads := make([]*entry, 0, len(seqs))
		for _, sq := range seqs {
			next, stop := iter.Pull(sq)
			defer stop()
			if h, ok := next(); ok {
				nexts, heads = append(nexts, next), append(heads, h)
			}
		}
		for len(heads) > 0 {
			b := 0
			for i := 1; i < len(heads); i++ {
				if before(heads[i], heads[b]) {
					b = i
				}
			}
			if !yield(heads[b]) {
				return
			}
			if h, ok := nexts[b](); ok {
				heads[b] = h
			} else {
				heads, nexts = slices.Delete(heads, b, b+1), slices.Delete(nexts, b, b+1)
			}
		}
	}
}
