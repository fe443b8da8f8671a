package store

import "context"

// FilterPushdown is implemented by stores that can evaluate an OpenCTI FilterGroup
// natively (in SQL, in a search engine, …) instead of scanning and calling
// [ScanOptions.Match].
//
// If a Scanner does not implement FilterPushdown, [Scan] calls Scanner.Scan, which applies
// Match to each candidate record: correct and exact, but it reads every non-matching record
// between two matches.
type FilterPushdown interface {
	Scanner
	// ScanFilter is [Scanner.Scan] with opts.Filter (a FilterGroup in OpenCTI's JSON form,
	// non-empty) deciding which records match; its result must equal what Scan with
	// opts.Match would return. A store that cannot evaluate this particular filter returns
	// an error wrapping errors.ErrUnsupported, and [Scan] falls back to Scanner.Scan.
	ScanFilter(ctx context.Context, opts ScanOptions) (Page, error)
}

// Counter is implemented by stores that know their size cheaply.
//
// If a store does not implement Counter, [Count] pages through a full scan.
type Counter interface {
	// Count returns the number of current objects (not versions).
	Count(ctx context.Context) (int, error)
}

// Count returns the number of current objects in s, cheaply when s implements [Counter].
func Count(ctx context.Context, s Scanner) (int, error) {
	if c, ok := s.(Counter); ok {
		return c.Count(ctx)
	}
	n := 0
	for _, err := range All(ctx, s, ScanOptions{Limit: MaxLimit}) {
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
