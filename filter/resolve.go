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
	dates [][]span  // by date slot, by value
	rels  [][]idSet // by relation slot, by value: the ids that pass
}

// idSet is a set of lower-cased STIX identifiers. A bitmap over the identifiers' last two
// characters (random hex digits of the UUID) rejects most other ids before hashing one.
type idSet struct {
	bits [4]uint64
	m    map[string]struct{}
}

func idBit(id string) (word int, bit uint64) {
	if len(id) < 2 {
		return 0, 1
	}
	h := (uint(lowerByte(id[len(id)-1]))*31 + uint(lowerByte(id[len(id)-2]))) & 255
	return int(h >> 6), 1 << (h & 63)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (s *idSet) add(id string) {
	if s.m == nil {
		s.m = map[string]struct{}{}
	}
	w, b := idBit(id)
	s.bits[w] |= b
	s.m[id] = struct{}{}
}

// has reports whether id is in the set, ignoring case (a UUID may be written in upper-case
// hex), without allocating for identifiers of up to 128 bytes.
func (s *idSet) has(id string) bool {
	w, b := idBit(id)
	if s.bits[w]&b == 0 {
		return false
	}
	if _, ok := s.m[id]; ok {
		return true
	}
	if strings.IndexFunc(id, func(r rune) bool { return 'A' <= r && r <= 'Z' }) < 0 {
		return false
	}
	var buf [128]byte
	if len(id) > len(buf) {
		_, ok := s.m[strings.ToLower(id)]
		return ok
	}
	for i := 0; i < len(id); i++ {
		buf[i] = lowerByte(id[i])
	}
	_, ok := s.m[string(buf[:len(id)])] // a map index by a converted []byte does not allocate
	return ok
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
	withTypes := false
	for _, r := range m.rels {
		withTypes = withTypes || len(r.types) > 0
	}
	ends := relationEnds(rels, withTypes)
	b.rels = make([][]idSet, len(m.rels))
	for slot, r := range m.rels {
		b.rels[slot] = make([]idSet, len(r.ids))
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

// relationEnds reduces relationships and sightings to their ends, read from the references
// the object found at parse time; the relationship_type, which needs a look-up in the JSON,
// only when withTypes.
func relationEnds(rels []*stix.Object, withTypes bool) []end {
	out := make([]end, 0, len(rels))
	seen := make(map[stix.ID]bool, len(rels))
	for _, r := range rels {
		if r == nil || seen[r.ID()] {
			continue
		}
		seen[r.ID()] = true
		var e end
		switch r.Type() {
		case "relationship":
			if withTypes {
				v := view{o: r, typ: r.Type()}
				e.typ = strings.ToLower(v.member("relationship_type").String())
			}
		case "sighting":
			e.typ, e.sighting = sightingRelationship, true
		default:
			continue
		}
		for _, ref := range r.Refs() {
			switch ref.Path {
			case "source_ref", "sighting_of_ref":
				e.from = append(e.from, strings.ToLower(string(ref.ID)))
			case "target_ref", "where_sighted_refs":
				e.to = append(e.to, strings.ToLower(string(ref.ID)))
			}
		}
		out = append(out, e)
	}
	return out
}

// refList returns the identifiers of a _ref or _refs value, lower-cased.
func refList(r gjson.Result) []string {
	var out []string
	r.ForEach(func(_, v gjson.Result) bool {
		if v.Type == gjson.String {
			out = append(out, strings.ToLower(v.Str))
		}
		return true
	})
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
func (r *relSpec) resolve(ids []stix.ID, ends []end, objs []*stix.Object) idSet {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[string(id)] = true
	}
	var set idSet
	add := func(list []string) {
		for _, s := range list {
			set.add(s)
		}
	}
	switch r.kind {
	case relContainers:
		for _, o := range objs {
			if o == nil || !want[strings.ToLower(string(o.ID()))] {
				continue
			}
			v := view{o: o, typ: o.Type()}
			add(refList(v.member("object_refs")))
			add(refList(v.extMember(octiExt, "object_refs_inferred")))
		}
		return set
	case relConnectedTo:
		for id := range want {
			set.add(id)
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
	v := view{o: o, typ: o.Type(), m: b.m, b: b, times: t}
	return b.m.root.match(&v)
}

// Now returns the instant the Bound resolves relative dates against.
func (b *Bound) Now() time.Time { return b.now }
