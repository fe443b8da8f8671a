package store

import (
	"context"
	"iter"
)

// All returns every record of the scan opts describes, from opts.After on, fetching pages of
// opts.Limit (MaxLimit when zero) with [Scan]. Once the iterator yields a non-nil error it
// stops; records already yielded stay valid.
func All(ctx context.Context, s Scanner, opts ScanOptions) iter.Seq2[Record, error] {
	if opts.Limit == 0 {
		opts.Limit = MaxLimit
	}
	return pages(opts.After, func(after string) ([]Record, string, bool, error) {
		opts.After = after
		p, err := Scan(ctx, s, opts)
		return p.Records, p.Next, p.Next != "", err
	})
}

// Events returns the events of l after the position after, reading batch at a time, until
// it has caught up with the end of the log (it does not wait for more). Once it yields a
// non-nil error (such as one wrapping [ErrGap]) it stops.
func Events(ctx context.Context, l Log, after Position, batch int) iter.Seq2[Event, error] {
	if batch < 1 {
		batch = 1000
	}
	return pages(after, func(after Position) ([]Event, Position, bool, error) {
		evs, err := l.Read(ctx, after, batch)
		if err != nil || len(evs) < batch {
			return evs, after, false, err // fewer than asked: caught up
		}
		return evs, evs[len(evs)-1].Pos, true, nil
	})
}

// pages is the one paging loop behind All and Events: fetch returns a page, the token of
// the next one and whether there is a next one.
func pages[T, K any](start K, fetch func(after K) ([]T, K, bool, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		after := start
		for {
			items, next, more, err := fetch(after)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if !more {
				return
			}
			after = next
		}
	}
}
