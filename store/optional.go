package store

import (
	"context"
	"errors"

	"github.com/ctifeed/ctifeed/stix"
)

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

// BatchWriter is implemented by stores that apply many puts in one step (one transaction,
// one lock) much faster than one [Writer.Put] at a time: bulk ingestion uses it.
//
// If a store does not implement BatchWriter, [PutMany] calls Put for each object in turn.
type BatchWriter interface {
	// PutMany puts objs in order, each exactly as [Writer.Put] would (same events, same
	// per-object errors), as one atomic step: no reader observes part of the batch. An
	// object's own error (ErrInvalid, ErrConflict) is reported in its result and the others
	// are still applied; an error of the store itself (I/O, a lost connection, a cancelled
	// context) is returned as err, and then none of the batch is applied. The results are
	// parallel to objs.
	PutMany(ctx context.Context, objs []*stix.Object) ([]PutResult, error)
}

// PutResult is the outcome of one object of [BatchWriter.PutMany]: what [Writer.Put]
// would have returned for it.
type PutResult struct {
	Event   Event
	Changed bool
	Err     error
}

// PutMany puts objs into s, in one step when s implements [BatchWriter], else one Put at
// a time (then atomic per object only; err stops the loop, and the results of the objects
// already applied are returned with it).
func PutMany(ctx context.Context, s Writer, objs []*stix.Object) ([]PutResult, error) {
	if b, ok := s.(BatchWriter); ok {
		return b.PutMany(ctx, objs)
	}
	out := make([]PutResult, 0, len(objs))
	for _, o := range objs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		ev, changed, err := s.Put(ctx, o)
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrConflict) {
			return out, err
		}
		out = append(out, PutResult{Event: ev, Changed: changed, Err: err})
	}
	return out, nil
}
