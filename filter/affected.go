package filter

import (
	"slices"
	"strings"

	"github.com/ctifeed/ctifeed/stix"
)

// Affected returns the objects whose match may change because a relationship, sighting or
// container changed from prev to cur (nil on create and on delete): the objects a live
// stream must decide again, as of the positions before and after the change, besides the
// changed object itself. It is empty when the matcher has no relationship keys or the change
// touches none of the identifiers they name ([Matcher.ResolverIDs]).
//
//   - A relationship or sighting with an end among the named ids affects its ends (for
//     regardingOf, connectedToId and sightedBy): the object at the other end may enter or
//     leave.
//   - A container among containers' ids affects the objects added to or removed from its
//     object_refs (and OpenCTI's object_refs_inferred).
//
// The result is sorted and may hold objects whose outcome does not change.
func (m *Matcher) Affected(prev, cur *stix.Object) []stix.ID {
	if m == nil || len(m.rels) == 0 {
		return nil
	}
	named := map[string]bool{}
	containers := map[string]bool{}
	for _, r := range m.rels {
		for _, ids := range r.ids {
			for _, id := range ids {
				if r.kind == relContainers {
					containers[string(id)] = true
				} else {
					named[string(id)] = true
				}
			}
		}
	}
	var out []stix.ID
	var ends []end
	for _, o := range []*stix.Object{prev, cur} {
		if o != nil {
			ends = append(ends, relationEnds([]*stix.Object{o}, nil)...)
		}
	}
	for _, e := range ends {
		if hasAny(e.from, named) || hasAny(e.to, named) {
			for _, s := range append(slices.Clone(e.from), e.to...) {
				out = append(out, stix.ID(s))
			}
		}
	}
	if id := changedID(prev, cur); containers[id] {
		before, after := contents(prev), contents(cur)
		for s := range before {
			if !after[s] {
				out = append(out, stix.ID(s))
			}
		}
		for s := range after {
			if !before[s] {
				out = append(out, stix.ID(s))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func changedID(prev, cur *stix.Object) string {
	if cur != nil {
		return strings.ToLower(string(cur.ID()))
	}
	if prev != nil {
		return strings.ToLower(string(prev.ID()))
	}
	return ""
}

// contents returns a container's object_refs and OpenCTI's object_refs_inferred.
func contents(o *stix.Object) map[string]bool {
	set := map[string]bool{}
	if o == nil {
		return set
	}
	v := view{o: o, typ: o.Type()}
	for _, s := range refList(v.member("object_refs")) {
		set[s] = true
	}
	for _, s := range refList(v.extMember(octiExt, "object_refs_inferred")) {
		set[s] = true
	}
	return set
}
