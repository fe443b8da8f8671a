// Package storefilter lets the relationship keys of package filter (regardingOf,
// connectedToId, containers, sightedBy) read a store: it adapts a [store.History] as of a
// log position, or a [store.Reader]'s current state, to [filter.Resolver].
//
// It lives beside package store, on the store's floor, because it imports both store and
// filter; filter, a floor below, must never import store, and internal/ may not import
// anything above the ground floor.
//
// # Which moment a feed binds
//
//   - A live stream decides each event as of the event's own position: [At] with the
//     event's position, so that a subscriber that is behind decides as a caught-up one did.
//   - A TAXII request or a CSV generation reads as of the moment it starts: [At] with the
//     log's last position at that moment (store.Log.Bounds), bound once for the whole
//     request or run, with the same "now" for relative dates.
//
// [Current] reads the current state; it suits a caller that reads nothing else as of a
// position (a one-off check, a test).
//
// # Concurrency
//
// The resolvers are safe for concurrent use when the store is, as every store must be.
package storefilter

import (
	"context"
	"slices"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// source is what both a store.Snapshot and a store.Reader offer.
type source interface {
	GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]store.Record, error)
	RelationsOf(ctx context.Context, id stix.ID) ([]store.Record, error)
}

type resolver struct{ src source }

// At returns a resolver that reads h as of the position at (see [store.History] for the
// positions it may be asked; a position outside the retained log fails each look-up with
// the store's error, which [filter.Matcher.Bind] returns).
func At(h store.History, at store.Position) filter.Resolver {
	return resolver{src: store.At(h, at)}
}

// Current returns a resolver that reads r's current state.
func Current(r store.Reader) filter.Resolver { return resolver{src: r} }

// Relations implements [filter.Resolver] with one RelationsOf per id. A relation between
// two of ids is listed twice, which the Resolver contract allows: deduplicating here would
// cost a map of every relation, and the filter's sets absorb repeats.
func (r resolver) Relations(ctx context.Context, ids []stix.ID) ([]*stix.Object, error) {
	var out []*stix.Object
	for _, id := range ids {
		recs, err := r.src.RelationsOf(ctx, id)
		if err != nil {
			return nil, err
		}
		out = slices.Grow(out, len(recs))
		for _, rec := range recs {
			out = append(out, rec.Object)
		}
	}
	return out, nil
}

// Objects implements [filter.Resolver] with one GetMany.
func (r resolver) Objects(ctx context.Context, ids []stix.ID) ([]*stix.Object, error) {
	recs, err := r.src.GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*stix.Object, 0, len(recs))
	for _, id := range ids {
		if rec, ok := recs[id]; ok {
			out = append(out, rec.Object)
		}
	}
	return out, nil
}

// Times returns a record's platform times for [filter.Bound.Match]: what the keys
// created_at and updated_at read.
func Times(r store.Record) filter.Times {
	return filter.Times{CreatedAt: r.DateAdded, UpdatedAt: r.Updated}
}
