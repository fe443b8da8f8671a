package taxii

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/storefilter"
)

// bind fixes the collection's filter for one request: relative dates (now-7d) resolve
// against now, the request's time, and the relationship keys (regardingOf, containers, …)
// read the store as of the log's last position when the request starts. Every object the
// request decides, on every page it scans, is so decided at one moment. A collection
// without filters gives nil, which keeps everything.
//
// The binding reads the current state when no write lands meanwhile (see bindAt).
//
// A binding without relative dates depends only on the log position it reads at, so the
// last one is kept and reused by requests that start at the same position: a collection
// read more often than written resolves its relationships once per write, not per request.
func (h *Handler) bind(ctx context.Context, c *collection, now time.Time) (*filter.Bound, error) {
	if c.match == nil {
		return nil, nil
	}
	opts := filter.BindOptions{Now: now}
	if !c.match.NeedsResolver() {
		return c.match.Bind(ctx, opts)
	}
	lb, err := h.store.Bounds(ctx)
	if err != nil {
		return nil, err
	}
	keep := !c.match.UsesNow()
	if last := c.bound.p.Load(); keep && last != nil && last.at == lb.Last {
		return last.b, nil
	}
	b, err := h.bindAt(ctx, c.match, opts, lb.Last)
	if err == nil && keep {
		c.bound.p.Store(&boundAt{at: lb.Last, b: b})
	}
	return b, err
}

// bindAt binds m as of the log position at, the log's last when the request started. The
// current state is that state as long as no write lands, and reading it is cheaper (no
// past states to consult): the binding reads it, then the log's last position is read
// again, and only if it moved is the binding made again as of at.
func (h *Handler) bindAt(ctx context.Context, m *filter.Matcher, opts filter.BindOptions, at store.Position) (*filter.Bound, error) {
	opts.Resolver = storefilter.Current(h.store)
	b, err := m.Bind(ctx, opts)
	if err != nil {
		return nil, err
	}
	lb, err := h.store.Bounds(ctx)
	if err != nil {
		return nil, err
	}
	if lb.Last == at {
		return b, nil
	}
	opts.Resolver = storefilter.At(h.store, at)
	return m.Bind(ctx, opts)
}

// boundCache holds a collection's last binding; requests share it without locking.
type boundCache struct{ p atomic.Pointer[boundAt] }

// boundAt is a filter bound as of one log position.
type boundAt struct {
	at store.Position
	b  *filter.Bound
}

// selects reports whether the bound filter (nil: none) selects the record, with the record's
// own times for created_at and updated_at.
func selects(b *filter.Bound, r store.Record) bool {
	return b == nil || b.Match(r.Object, storefilter.Times(r))
}
