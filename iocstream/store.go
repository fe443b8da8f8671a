package iocstream

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors, checked with errors.Is; implementations may wrap them with %w.
var (
	// ErrNotFound: no notification with that identifier (or it has expired).
	ErrNotFound = errors.New("iocstream: notification not found")
	// ErrExists: a notification with that identifier is already stored.
	ErrExists = errors.New("iocstream: notification already exists")
	// ErrInvalid: a notification or an argument breaks the rules its documentation states.
	ErrInvalid = errors.New("iocstream: invalid argument")
	// ErrBadCursor: a cursor that this package did not make, was altered, or belongs to
	// another filter or order.
	ErrBadCursor = errors.New("iocstream: invalid cursor")
)

// Order is the order of a listing.
type Order string

// The orders VirusTotal offers.
const (
	OrderNewest Order = "date-" // most recent first (the default)
	OrderOldest Order = "date+" // oldest first
)

// ParseOrder parses an order parameter; "" means [OrderNewest]. The error wraps [ErrInvalid].
func ParseOrder(s string) (Order, error) {
	switch Order(s) {
	case "", OrderNewest:
		return OrderNewest, nil
	case OrderOldest:
		return OrderOldest, nil
	}
	return "", fmt.Errorf("%w: order %q is not date- or date+", ErrInvalid, s)
}

// Key is a notification's place in date order: its date in Unix seconds, ties broken by
// identifier (byte-wise). Newest-first order is the exact reverse of oldest-first order.
type Key struct {
	Date int64
	ID   string
}

// Less reports whether k sorts before o in oldest-first order.
func (k Key) Less(o Key) bool {
	if k.Date != o.Date {
		return k.Date < o.Date
	}
	return k.ID < o.ID
}

// ScanOptions tells [Store.Scan] which page to return. The portable functions ([List],
// [All]) validate them, so an implementation may rely on what each field says.
type ScanOptions struct {
	Order Order // OrderNewest or OrderOldest
	Limit int   // at least 1
	// After, when non-nil, is the key of the last notification of the previous page; the
	// page holds only notifications strictly after it in Order. A notification with that
	// key need not exist any more.
	After *Key
}

// DefaultRetention is how long a notification stays in the stream, as on VirusTotal.
const DefaultRetention = 7 * 24 * time.Hour

// StoreOptions are what every Store implementation must honour; [NewMemStore] takes them
// and the conformance suite (package iocstreamtest) passes them to the store it tests.
type StoreOptions struct {
	// Retention is how long after its Date a notification expires (default 7 days, as on
	// VirusTotal; there is no "never": use a retention of years to keep everything).
	Retention time.Duration
	// Now is the clock that decides expiry (default time.Now).
	Now func() time.Time
}

func (o *StoreOptions) withDefaults() StoreOptions {
	var r StoreOptions
	if o != nil {
		r = *o
	}
	if r.Retention <= 0 {
		r.Retention = DefaultRetention
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r
}

// Store keeps the notifications of one IoC stream. All methods must be safe for
// concurrent use. Hosts implement it over their own database; [NewMemStore] is the
// in-memory default; iocstreamtest.Run checks an implementation against every obligation
// stated here.
//
// Expiry: a notification whose Date is at or before Now() minus Retention (see
// [StoreOptions]) has expired. From then on Get and Delete return ErrNotFound for it, Scan
// and DeleteMatching ignore it, and the store may discard it at any time.
//
// Dates are kept in whole seconds: Get and Scan return Date truncated to the second, in UTC.
type Store interface {
	// Add stores a copy of n. If n.Validate fails, Add returns that error (it wraps
	// ErrInvalid). If a notification with n.ID is stored (expired ones aside), Add returns
	// an error for which errors.Is(err, ErrExists) and changes nothing. An expired n is
	// accepted and never seen.
	Add(ctx context.Context, n *Notification) error
	// Get returns the notification with the identifier, or an error for which
	// errors.Is(err, ErrNotFound). The caller may modify the result.
	Get(ctx context.Context, id string) (*Notification, error)
	// Delete removes the notification with the identifier, or returns an error for which
	// errors.Is(err, ErrNotFound).
	Delete(ctx context.Context, id string) error
	// DeleteMatching removes every notification that q matches (q is non-nil; an empty
	// Query matches all) and returns how many it removed.
	DeleteMatching(ctx context.Context, q *Query) (int, error)
	// Scan returns up to opts.Limit notifications that q matches, in opts.Order by [Key],
	// strictly after opts.After when it is set. q and opts are non-nil and valid. Fewer
	// than Limit means there are no more at the time of the call. The caller may modify
	// the results.
	Scan(ctx context.Context, q *Query, opts *ScanOptions) ([]*Notification, error)
}
