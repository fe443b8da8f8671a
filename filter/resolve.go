package filter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// Resolver answers the questions of the relationship keys (regardingOf, connectedToId,
// containers, sightedBy) about the store as of one moment: for the live stream, right after
// the event being decided; for a TAXII request or a CSV generation, the moment it started.
// The feed that owns the store provides it (package store/storefilter adapts a store); this
// package never reads a store itself.
//
// [Matcher.Bind] calls each method at most once per binding, with every id the filter
// needs, so that a page of objects costs one round of look-ups, not one per object.
// Implementations must be safe for concurrent use when bindings are made concurrently.
type Resolver interface {
	// Relations returns the relationships and sightings that have one of ids as an end
	// (source_ref, target_ref; sighting_of_ref, where_sighted_refs), in any order;
	// duplicates are harmless. ids need not be stored themselves.
	Relations(ctx context.Context, ids []stix.ID) ([]*stix.Object, error)
	// Objects returns the stored objects among ids, in any order; ids not stored are left
	// out, which is no error.
	Objects(ctx context.Context, ids []stix.ID) ([]*stix.Object, error)
}

// ErrNoResolver: a relationship key in a group compiled without [CompileOptions.Relations],
// or a matcher that needs a [Resolver] bound without one.
var ErrNoResolver = errors.New("relationship key without a resolver")

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
	dates [][]span                // by date slot, by value
	rels  [][]map[string]struct{} // by relation slot, by value: the ids that pass
}

type span struct{ lo, hi instant }

// relSpec is what one relationship filter asks the resolver.
type relSpec struct {
	kind relKind
	// ids holds, for each value of the filter, the identifiers it names (lower-cased as STIX
	// ids are). regardingOf has one value: its id subfilter.
	ids [][]stix.ID
	// types are regardingOf's relationship types, lower-cased; empty means any.
	types []string
}

// NeedsResolver reports whether the matcher uses relationship keys, which only a [Bound]
// with a [Resolver] evaluates.
func (m *Matcher) NeedsResolver() bool { return m != nil && len(m.rels) > 0 }

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
	ends := relationEnds(rels)
	b.rels = make([][]map[string]struct{}, len(m.rels))
	for slot, r := range m.rels {
		b.rels[slot] = make([]map[string]struct{}, len(r.ids))
		for i, ids := range r.ids {
			b.rels[slot][i] = r.resolve(ids, ends, objs)
		}
	}
	return b, nil
}

func (m *Matcher) relKeys() []string {
	var keys []string
	for _, k := range m.keys {
		if d, ok := lookupKey(k, &CompileOptions{Keys: m.host}); ok && d.kind == KindRelation {
			keys = append(keys, k)
		}
	}
	return keys
}

// end is one relationship or sighting reduced to what the keys ask: its type (the
// relationship_type, or stix-sighting-relationship) and its two sides.
type end struct {
	typ      string
	sighting bool
	from     []string
	to       []string
}

func relationEnds(rels []*stix.Object) []end {
	out := make([]end, 0, len(rels))
	seen := map[stix.ID]bool{}
	for _, r := range rels {
		if r == nil || seen[r.ID()] {
			continue
		}
		seen[r.ID()] = true
		switch r.Type() {
		case "relationship":
			out = append(out, end{typ: strings.ToLower(r.Get("relationship_type").String()),
				from: refList(r.Get("source_ref")), to: refList(r.Get("target_ref"))})
		case "sighting":
			out = append(out, end{typ: sightingRelationship, sighting: true,
				from: refList(r.Get("sighting_of_ref")), to: refList(r.Get("where_sighted_refs"))})
		}
	}
	return out
}

func refList(r gjson.Result) []string {
	var out []string
	for _, v := range r.Array() {
		if v.Type == gjson.String {
			out = append(out, strings.ToLower(v.Str))
		}
	}
	return out
}

func hasAny(list []string, ids map[string]bool) bool {
	for _, s := range list {
		if ids[s] {
			return true
		}
	}
	return false
}

// resolve returns the ids of the objects that pass one value of a relationship filter.
func (r *relSpec) resolve(ids []stix.ID, ends []end, objs []*stix.Object) map[string]struct{} {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[string(id)] = true
	}
	set := map[string]struct{}{}
	add := func(list []string) {
		for _, s := range list {
			set[s] = struct{}{}
		}
	}
	switch r.kind {
	case relContainers:
		for _, o := range objs {
			if o == nil || !want[strings.ToLower(string(o.ID()))] {
				continue
			}
			add(refList(o.Get("object_refs")))
			if ext := o.Extension(extOpenCTI); ext.Exists() {
				add(refList(ext.Get("object_refs_inferred")))
			}
		}
		return set
	case relConnectedTo:
		for id := range want {
			set[id] = struct{}{}
		}
	}
	for _, e := range ends {
		switch r.kind {
		case relSightedBy:
			if e.sighting && hasAny(e.to, want) {
				add(e.from)
			}
			continue
		case relRegardingOf:
			if len(r.types) > 0 && !slices.Contains(r.types, e.typ) {
				continue
			}
		}
		if hasAny(e.from, want) {
			add(e.to)
		}
		if hasAny(e.to, want) {
			add(e.from)
		}
	}
	return set
}

// span resolves a date value (or a within pair) at now.
func (d *dateRange) span(now time.Time) span {
	lo, hi := d.a.bounds(now)
	if d.within {
		_, hi = d.b.bounds(now)
	}
	return span{lo, hi}
}

// dateRange is one compiled value of a date filter; within's two values make one.
type dateRange struct {
	a, b   dateVal
	within bool
}

func (d *dateRange) relative() bool { return d.a.relative || d.within && d.b.relative }

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
	v := view{o: o, typ: o.Type(), clock: b.m, b: b, times: t, now: b.now, nowSet: true}
	return b.m.root.match(&v)
}

// Now returns the instant the Bound resolves relative dates against.
func (b *Bound) Now() time.Time { return b.now }
