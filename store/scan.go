package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// MaxLimit is the largest page a scan may ask for.
const MaxLimit = 10000

// Order is the key a scan is ordered by; ties on time are broken by id.
type Order int

// The scan orders.
const (
	ByDateAdded Order = iota // (Record.DateAdded, id): TAXII's order
	ByUpdated                // (Record.Updated, id): the last change, for CSV windows and recovery
)

// String returns "date_added" or "updated".
func (o Order) String() string {
	switch o {
	case ByDateAdded:
		return "date_added"
	case ByUpdated:
		return "updated"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// TimeOf returns the record's ordering time for o.
func (o Order) TimeOf(r Record) time.Time {
	if o == ByUpdated {
		return r.Updated
	}
	return r.DateAdded
}

// ScanOptions describes one page of a scan.
type ScanOptions struct {
	Order      Order
	Descending bool // newest first
	// After is the Next of the previous page ("" = from the start). It is only valid with
	// the Order and Descending it was made with.
	After string
	// Limit is the page size: 1 ≤ Limit ≤ MaxLimit.
	Limit int
	// Since and Until bound the ordering time to the half-open range [Since, Until); a zero
	// time leaves that side open. (TAXII's added_after t is Since = t + 1ns.)
	Since, Until time.Time
	// Types keeps only objects of these STIX types (none = all types).
	Types []string
	// Match, if non-nil, keeps only objects for which it returns true. The page stays exact:
	// Limit counts matching records and Next is set only if another match exists. Match
	// must be safe for concurrent use and must not call the store.
	Match func(*stix.Object) bool
	// MatchRecord, if non-nil, is Match for predicates that also read the record's own
	// fields (DateAdded and Updated: a filter's created_at and updated_at keys). A record is
	// kept when both Match and MatchRecord, those given, return true; the same exactness and
	// concurrency rules apply. Stores test both through [ScanOptions.Keep] and
	// [ScanOptions.Filtered]; nil keeps the behaviour of Match alone.
	MatchRecord func(Record) bool
	// Filter is the OpenCTI FilterGroup JSON that Match (or MatchRecord) was compiled from,
	// offered to stores implementing [FilterPushdown]; a Match or MatchRecord is then
	// required as the fallback. Scanner.Scan ignores it.
	Filter json.RawMessage
}

// Filtered reports whether opts has a predicate (Match or MatchRecord), so that a store must
// test each candidate with [ScanOptions.Keep].
func (opts *ScanOptions) Filtered() bool { return opts.Match != nil || opts.MatchRecord != nil }

// Keep reports whether r passes Match and MatchRecord (each when given).
func (opts *ScanOptions) Keep(r Record) bool {
	return (opts.Match == nil || opts.Match(r.Object)) && (opts.MatchRecord == nil || opts.MatchRecord(r))
}

// Validate checks opts against the documented preconditions, so that implementations may
// rely on them; errors wrap [ErrInvalid] or [ErrInvalidCursor].
func (opts *ScanOptions) Validate() error {
	var errs []error
	if opts.Order != ByDateAdded && opts.Order != ByUpdated {
		errs = append(errs, fmt.Errorf("%w: unknown order %d", ErrInvalid, int(opts.Order)))
	}
	if opts.Limit < 1 || opts.Limit > MaxLimit {
		errs = append(errs, fmt.Errorf("%w: limit %d is not within 1..%d", ErrInvalid, opts.Limit, MaxLimit))
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && opts.Until.Before(opts.Since) {
		errs = append(errs, fmt.Errorf("%w: until is before since", ErrInvalid))
	}
	if len(opts.Filter) > 0 && !opts.Filtered() {
		errs = append(errs, fmt.Errorf("%w: Filter given without its Match fallback", ErrInvalid))
	}
	if opts.After != "" {
		c, err := ParseCursor(opts.After)
		switch {
		case err != nil:
			errs = append(errs, err)
		case c.Order != opts.Order || c.Descending != opts.Descending:
			errs = append(errs, fmt.Errorf("%w: cursor was made for order %s descending=%t", ErrInvalidCursor, c.Order, c.Descending))
		}
	}
	return errors.Join(errs...)
}

// Begin is what a [Scanner] does first: it checks opts as Validate does and returns the
// cursor to resume after, nil when the scan starts at the beginning.
func (opts *ScanOptions) Begin() (*Cursor, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.After == "" {
		return nil, nil
	}
	c, err := ParseCursor(opts.After) // cannot fail: Validate parsed it
	return &c, err
}

// Page is one page of a scan.
type Page struct {
	Records []Record
	// Next resumes the scan after the last record; "" when no more records exist.
	Next string
}

// Scan validates opts and returns one page from s. When opts.Filter is set and s implements
// [FilterPushdown], the store evaluates the filter itself; if it cannot (an error wrapping
// errors.ErrUnsupported), or s lacks the capability, s.Scan applies opts.Match instead.
func Scan(ctx context.Context, s Scanner, opts ScanOptions) (Page, error) {
	if err := opts.Validate(); err != nil {
		return Page{}, err
	}
	if len(opts.Filter) > 0 {
		if fp, ok := s.(FilterPushdown); ok {
			p, err := fp.ScanFilter(ctx, opts)
			if !errors.Is(err, errors.ErrUnsupported) {
				return p, err
			}
		}
	}
	return s.Scan(ctx, opts)
}
