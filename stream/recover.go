package stream

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/storefilter"
)

// DefaultRecoverBatch is the batch size [Subscriber.RecoverBatches] uses for batch < 1, and
// [Subscriber.Recover]'s.
const DefaultRecoverBatch = 256

// recoverPage bounds how many records a recovery scan fetches at a time.
const recoverPage = 1000

func (s *Subscriber) recoverBatches(ctx context.Context, scan store.Scanner, since, until time.Time, at store.Position, batch int) iter.Seq2[[]Message, error] {
	return func(yield func([]Message, error) bool) {
		if scan == nil {
			yield(nil, fieldErr("scan", "recovery needs a scanner"))
			return
		}
		if !since.IsZero() && !until.IsZero() && until.Before(since) {
			yield(nil, fieldErr("until", "%s is before since %s", stix.FormatTime(until), stix.FormatTime(since)))
			return
		}
		if batch < 1 {
			batch = DefaultRecoverBatch
		}
		r := recovery{s: s, v: store.At(s.src, at), ev: store.Event{Pos: at, Time: at.Time()}, batch: batch}
		// The snapshot is decided as of at, "now" included, like the event at at.
		b, err := s.bindAt(ctx, at, r.ev)
		if err != nil {
			yield(nil, err)
			return
		}
		r.d = decision{b: b, at: r.v}
		opts := store.ScanOptions{Order: store.ByUpdated, Since: since, Until: until, Limit: min(max(batch, 100), recoverPage)}
		if s.filter.m != nil {
			// MatchRecord reads only immutable state (the bound filter, the visibility), as a
			// store may call it from its own goroutines. It sees current records: one changed
			// after at is skipped below whatever it says, so the bound as of at is right for
			// every record it keeps.
			vis, p, inf := s.vis, s.principal, s.opts.WithInferences
			opts.MatchRecord = func(rec store.Record) bool {
				o := rec.Object
				return b.Match(o, storefilter.Times(rec)) && vis.CanSee(p, o) && (inf || !Inferred(o))
			}
			opts.Filter = s.filterJSON
		}
		// The snapshot is a new starting point: events before it may have been lost (a gap),
		// so what the cache says the consumer holds may be stale.
		s.cache.clear()
		for {
			page, err := store.Scan(ctx, scan, opts)
			if err != nil {
				yield(nil, fmt.Errorf("stream: recovery scan: %w", err))
				return
			}
			if more, err := r.page(ctx, page.Records, yield); err != nil {
				yield(nil, err)
				return
			} else if !more {
				return
			}
			if page.Next == "" {
				break
			}
			opts.After = page.Next
		}
		if len(r.buf) > 0 {
			yield(r.buf, nil)
		}
	}
}

// recovery is one snapshot in progress.
type recovery struct {
	s     *Subscriber
	v     store.Snapshot // the store as of the snapshot's position
	d     decision       // the filter as of the snapshot's position
	ev    store.Event    // the snapshot's position, stamped on every message
	batch int
	buf   []Message // the batch being filled
	seq   int       // the next message's Seq
}

// page adds the groups of one scan page's records, yielding each batch as it fills; it
// returns false when yield asked to stop.
func (r *recovery) page(ctx context.Context, recs []store.Record, yield func([]Message, error) bool) (bool, error) {
	if len(recs) == 0 {
		return true, nil
	}
	ids := make([]stix.ID, len(recs))
	for i, rec := range recs {
		ids[i] = rec.Object.ID()
	}
	then, err := r.v.GetMany(ctx, ids)
	if err != nil {
		return false, fmt.Errorf("stream: recovery: reading the scanned objects as of %s: %w", r.v.Position(), err)
	}
	for _, rec := range recs {
		o := rec.Object
		old, ok := then[o.ID()]
		if !ok || !old.Updated.Equal(rec.Updated) || string(old.Object.Raw()) != string(o.Raw()) {
			continue // created or changed after the snapshot's position: the live events send it
		}
		if r.s.cache.fresh(o.ID()) {
			continue // already in the snapshot, as another object's dependency
		}
		member, err := r.s.member(ctx, r.v, r.d, o)
		if err != nil {
			return false, err
		}
		if !member {
			continue
		}
		steps, _, err := r.s.send(ctx, r.v, r.d, r.ev, Create, o, nil, nil)
		if err != nil {
			return false, err
		}
		// A snapshot is not shared (it depends on the cache, which decides what it
		// repeats): its plan is applied at once.
		msgs, _ := r.s.applyPlan(steps, nil, nil)
		for i := range msgs {
			msgs[i].Seq = r.seq
			r.seq++
		}
		r.buf = append(r.buf, msgs...)
		if len(r.buf) >= r.batch {
			b := r.buf
			r.buf = nil
			if !yield(b, nil) {
				return false, nil
			}
		}
	}
	return true, nil
}
