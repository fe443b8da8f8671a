package filter

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// The relationship keys' side of a binding: what a Resolver answers, and the sets of ids
// that pass, built once per Bound.

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

// relSpec is what one relationship filter asks the resolver.
type relSpec struct {
	kind relKind
	// ids holds, for each value of the filter, the identifiers it names (lower-cased as STIX
	// ids are). regardingOf has one value: its id subfilter.
	ids [][]stix.ID
	// types are regardingOf's relationship types, lower-cased; empty means any.
	types []string
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
// only when types is not nil, through that cache. A relation listed twice (the Resolver
// may repeat one) gives two equal ends, which the sets built from them absorb. The ends'
// ids share one backing array, so a binding over thousands of relations allocates twice.
func relationEnds(rels []*stix.Object, types *typeCache) []end {
	out := make([]end, 0, len(rels))
	ids := make([]string, 0, 2*len(rels))
	if types != nil {
		types.mu.Lock()
		defer types.mu.Unlock()
	}
	for _, r := range rels {
		if r == nil {
			continue
		}
		var e end
		switch r.Type() {
		case "relationship":
			if types != nil {
				e.typ = types.relationshipType(r)
			}
		case "sighting":
			e.typ, e.sighting = sightingRelationship, true
		default:
			continue
		}
		start := len(ids)
		for _, ref := range r.Refs() {
			if ref.Path == "source_ref" || ref.Path == "sighting_of_ref" {
				ids = append(ids, lowerID(string(ref.ID)))
			}
		}
		mid := len(ids)
		for _, ref := range r.Refs() {
			if ref.Path == "target_ref" || ref.Path == "where_sighted_refs" {
				ids = append(ids, lowerID(string(ref.ID)))
			}
		}
		// Full slice expressions: an append to one end must never write into the next.
		e.from, e.to = ids[start:mid:mid], ids[mid:len(ids):len(ids)]
		out = append(out, e)
	}
	return out
}

// lowerID is strings.ToLower for identifiers, which are nearly always lower-case ASCII
// already: that is checked eight bytes at a time, and only other ids go to ToLower.
func lowerID(s string) string {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := load8(s, i)
		// A byte ≥ 0x80, or one in 'A'..'Z': adding 128-'A' sets its high bit from 'A' on,
		// adding 128-'Z'-1 from past 'Z' on; no byte below 0x80 carries into the next.
		if x&highs != 0 || (x+ones*(128-'A'))&^(x+ones*(128-'Z'-1))&highs != 0 {
			return strings.ToLower(s)
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
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
	if r.kind != relContainers {
		// About one id per relation (the usual case), so that the map does not grow step
		// by step while a binding over thousands of relations fills it; capped, since a
		// relationship_type may leave most relations out.
		set.m = make(map[string]struct{}, min(len(ends)+len(ids), 1<<14))
	}
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
