package iocstream

import (
	"context"
	"fmt"
	"iter"
)

// Page sizes, as on VirusTotal.
const (
	DefaultLimit = 10
	MaxLimit     = 40
)

// ListOptions select a page for [List]. A nil *ListOptions asks for the first page of
// DefaultLimit notifications, newest first.
type ListOptions struct {
	// Order defaults to OrderNewest, or to the cursor's order when Cursor is set; an
	// Order that contradicts the cursor is an error.
	Order Order
	// Limit is the page size, 1 to MaxLimit; 0 means DefaultLimit.
	Limit int
	// Cursor is Page.Cursor of the previous page, or "" for the first page.
	Cursor string
}

// Page is one page of a listing.
type Page struct {
	Notifications []*Notification
	Order         Order
	// Cursor continues the listing after this page; it is "" on the last page. It stays
	// valid while notifications are added and deleted: the next page starts strictly
	// after the last notification of this one, whether or not that one still exists.
	Cursor string
}

// List returns a page of the notifications in s that q matches (nil matches all),
// ordered by date and then identifier. Invalid options give an error wrapping ErrInvalid,
// a bad cursor one wrapping ErrBadCursor; errors from s are returned as they are.
func List(ctx context.Context, s Store, q *Query, opts *ListOptions) (*Page, error) {
	if q == nil {
		q = &Query{}
	}
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Limit == 0:
		o.Limit = DefaultLimit
	case o.Limit < 0 || o.Limit > MaxLimit:
		return nil, fmt.Errorf("%w: limit %d is not between 1 and %d", ErrInvalid, o.Limit, MaxLimit)
	}
	if o.Order != "" {
		if _, err := ParseOrder(string(o.Order)); err != nil {
			return nil, err
		}
	}
	scan := ScanOptions{Order: o.Order, Limit: o.Limit + 1} // one more tells whether a next page exists
	if o.Cursor != "" {
		c, err := decodeCursor(q, o.Cursor)
		if err != nil {
			return nil, err
		}
		if o.Order != "" && o.Order != c.order {
			return nil, fmt.Errorf("%w: made for order %s, not %s", ErrBadCursor, c.order, o.Order)
		}
		scan.Order, scan.After = c.order, &c.key
	}
	if scan.Order == "" {
		scan.Order = OrderNewest
	}
	ns, err := s.Scan(ctx, q, &scan)
	if err != nil {
		return nil, err
	}
	p := &Page{Notifications: ns, Order: scan.Order}
	if len(ns) > o.Limit {
		p.Notifications = ns[:o.Limit]
		p.Cursor = encodeCursor(q, cursor{order: scan.Order, key: ns[o.Limit-1].Key()})
	}
	return p, nil
}

// All iterates over every notification in s that q matches, in the given order ("" is
// OrderNewest), fetching MaxLimit at a time. Once it yields a non-nil error it stops.
func All(ctx context.Context, s Store, q *Query, order Order) iter.Seq2[*Notification, error] {
	return func(yield func(*Notification, error) bool) {
		opts := &ListOptions{Order: order, Limit: MaxLimit}
		for {
			p, err := List(ctx, s, q, opts)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, n := range p.Notifications {
				if !yield(n, nil) {
					return
				}
			}
			if p.Cursor == "" {
				return
			}
			opts.Cursor = p.Cursor
		}
	}
}
