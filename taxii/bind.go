package taxii

import (
	"context"
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
func (h *Handler) bind(ctx context.Context, c *collection, now time.Time) (*filter.Bound, error) {
	if c.match == nil {
		return nil, nil
	}
	opts := filter.BindOptions{Now: now}
	if c.match.NeedsResolver() {
		b, err := h.store.Bounds(ctx)
		if err != nil {
			return nil, err
		}
		opts.Resolver = storefilter.At(h.store, b.Last)
	}
	return c.match.Bind(ctx, opts)
}

// selects reports whether the bound filter (nil: none) selects the record, with the record's
// own times for created_at and updated_at.
func selects(b *filter.Bound, r store.Record) bool {
	return b == nil || b.Match(r.Object, storefilter.Times(r))
}
