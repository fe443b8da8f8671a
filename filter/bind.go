package filter

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// Times are the platform's own times of an object's record (a store's date_added and
// last-change time), which the keys created_at and updated_at read. A zero time is unknown:
// the key then reads OpenCTI's extension (created_at, updated_at), as objects exported by
// OpenCTI carry them.
type Times struct {
	CreatedAt, UpdatedAt time.Time
}

// BindOptions says which moment a [Bound] evaluates at.
type BindOptions struct {
	// Now is the instant relative dates (now-7d) are resolved against; zero means the
	// matcher's clock ([CompileOptions.Clock]) when Bind is called. A CSV generation or a
	// TAXII request binds once, so every object of one run sees the same "now".
	Now time.Time
	// Resolver answers the relationship keys; required when [Matcher.NeedsResolver].
	Resolver Resolver
}

// Bound is a [Matcher] bound to one moment: "now" fixed for relative dates and the
// relationship keys resolved once through a [Resolver]. It is immutable and safe for
// concurrent use; its Match does not allocate.
type Bound struct {
	m     *Matcher
	now   time.Time
	dates [][]span  // by date slot, by value
	rels  [][]idSet // by relation slot, by value: the ids that pass
}

// NeedsResolver reports whether the matcher uses relationship keys, which only a [Bound]
// with a [Resolver] evaluates.
func (m *Matcher) NeedsResolver() bool { return m != nil && len(m.rels) > 0 }

// UsesNow reports whether the matcher has relative dates (now-7d), whose outcome changes with
// "now": a Bound of such a matcher holds for one moment only, and a store evaluating the
// filter natively ([FilterGroup push-down]) would need that moment too.
//
// [FilterGroup push-down]: https://pkg.go.dev/github.com/ctifeed/ctifeed/store#FilterPushdown
func (m *Matcher) UsesNow() bool { return m != nil && len(m.dspecs) > 0 }

// ResolverIDs returns the identifiers whose relationships or contents the matcher's
// relationship keys read, sorted: a live stream can keep a Bound until an event touches one
// of them (a relationship or sighting with one as an end, or one of them itself).
func (m *Matcher) ResolverIDs() []stix.ID {
	if m == nil {
		return nil
	}
	var out []stix.ID
	for _, r := range m.rels {
		for _, ids := range r.ids {
			out = append(out, ids...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Bind resolves the matcher at one moment: relative dates against opts.Now and the
// relationship keys through opts.Resolver, whose methods it calls at most once each. It
// returns an error wrapping [ErrNoResolver] when the matcher needs a resolver and opts has
// none, and the resolver's error as is. A nil Matcher binds to a Bound that matches
// every object.
func (m *Matcher) Bind(ctx context.Context, opts BindOptions) (*Bound, error) {
	b := &Bound{m: m, now: opts.Now}
	if m == nil {
		return b, nil
	}
	if b.now.IsZero() {
		b.now = m.clock()
	}
	b.dates = make([][]span, len(m.dspecs))
	for slot, ranges := range m.dspecs {
		b.dates[slot] = make([]span, len(ranges))
		for i := range ranges {
			b.dates[slot][i] = ranges[i].span(b.now)
		}
	}
	if len(m.rels) == 0 {
		return b, nil
	}
	if opts.Resolver == nil {
		return nil, fmt.Errorf("filter: %w: the filter uses %s", ErrNoResolver, strings.Join(m.relKeys(), ", "))
	}
	var relIDs, objIDs []stix.ID
	for _, r := range m.rels {
		for _, ids := range r.ids {
			if r.kind == relContainers {
				objIDs = append(objIDs, ids...)
			} else {
				relIDs = append(relIDs, ids...)
			}
		}
	}
	var rels, objs []*stix.Object
	var err error
	if len(relIDs) > 0 {
		slices.Sort(relIDs)
		if rels, err = opts.Resolver.Relations(ctx, slices.Compact(relIDs)); err != nil {
			return nil, err
		}
	}
	if len(objIDs) > 0 {
		slices.Sort(objIDs)
		if objs, err = opts.Resolver.Objects(ctx, slices.Compact(objIDs)); err != nil {
			return nil, err
		}
	}
	var types *typeCache
	for _, r := range m.rels {
		if len(r.types) > 0 {
			types = m.types
		}
	}
	ends := relationEnds(rels, types)
	b.rels = make([][]idSet, len(m.rels))
	for slot, r := range m.rels {
		b.rels[slot] = make([]idSet, len(r.ids))
		for i, ids := range r.ids {
			b.rels[slot][i] = r.resolve(ids, ends, objs)
		}
	}
	return b, nil
}

// Match reports whether o passes the filters at the bound moment, with t the platform's
// times of its record (zero when unknown). A nil object is matched by nothing but the
// empty filter's nil Matcher.
func (b *Bound) Match(o *stix.Object, t Times) bool {
	if b.m == nil {
		return true
	}
	if o == nil {
		return false
	}
	v := view{o: o, typ: o.Type(), m: b.m, b: b, times: t}
	return b.m.root.match(&v)
}

// Now returns the instant the Bound resolves relative dates against.
func (b *Bound) Now() time.Time { return b.now }
