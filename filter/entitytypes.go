package filter

import (
	"maps"
	"slices"
)

// EntityTypes returns the STIX types of the objects g can match, sorted, and whether g restricts
// them at all; a store can push that restriction down into its query. The list may be larger
// than what g really matches (Organization gives identity), never smaller. It reads entity_type
// filters with eq, and keys that exist only on relationships and sightings (fromId, toId,
// fromTypes, toTypes, relationship_type) with an operator that needs a candidate. A name that
// is no object type name may be a custom type or a relationship_type, so it yields itself and
// "relationship"; an object type name never matches a relationship_type (see the package
// documentation), so Indicator yields indicator alone. When restricted is false, g may match objects of any type; when the list is
// empty (and restricted true), g matches no object.
func (g Group) EntityTypes() (types []string, restricted bool) { return g.entityTypes(nil) }

func (g Group) entityTypes(opts *CompileOptions) ([]string, bool) {
	s := g.typeSet(opts, 0)
	if s.any {
		return nil, false
	}
	types := slices.Sorted(maps.Keys(s.types))
	if types == nil {
		types = []string{} // restricted to nothing: the group matches no object
	}
	return types, true
}

// typeSet is a set of STIX types, or any type at all.
type typeSet struct {
	any   bool
	types map[string]bool
}

func anyType() typeSet { return typeSet{any: true} }

func setOf(types ...string) typeSet {
	s := typeSet{types: map[string]bool{}}
	for _, t := range types {
		s.types[t] = true
	}
	return s
}

func (s typeSet) intersect(o typeSet) typeSet {
	switch {
	case s.any:
		return o
	case o.any:
		return s
	}
	r := setOf()
	for t := range s.types {
		if o.types[t] {
			r.types[t] = true
		}
	}
	return r
}

func (s typeSet) union(o typeSet) typeSet {
	if s.any || o.any {
		return anyType()
	}
	r := setOf()
	maps.Copy(r.types, s.types)
	maps.Copy(r.types, o.types)
	return r
}

func (g Group) typeSet(opts *CompileOptions, depth int) typeSet {
	if g.IsEmpty() || depth >= maxDepth {
		return anyType()
	}
	var parts []typeSet
	for _, f := range g.Filters {
		parts = append(parts, f.typeSet(opts))
	}
	for _, sg := range g.FilterGroups {
		parts = append(parts, sg.typeSet(opts, depth+1))
	}
	switch g.Mode {
	case Or:
		r := setOf()
		for _, p := range parts {
			r = r.union(p)
		}
		return r
	case And, "":
		r := anyType()
		for _, p := range parts {
			r = r.intersect(p)
		}
		return r
	}
	return anyType()
}

func (f Filter) typeSet(opts *CompileOptions) typeSet {
	name, ok := f.singleKey()
	if !ok {
		return anyType()
	}
	def, ok := lookupKey(name, opts)
	if !ok || (f.Operator != "" && !f.Operator.known()) {
		return anyType()
	}
	p, neg := predOf(f.Operator, len(f.Values))
	if neg {
		return anyType() // a negation passes objects without candidates, of any type
	}
	if def.src == srcType && p == pEq {
		return valuesTypeSet(f.Values, f.Mode == And)
	}
	switch def.gate {
	case gateRelOrSight:
		return setOf("relationship", "sighting")
	case gateRelationship:
		return setOf("relationship")
	case gateSighting:
		return setOf("sighting")
	}
	return anyType()
}

// valuesTypeSet combines the types of entity_type values: any of them (mode or), or all of
// them (mode and).
func valuesTypeSet(values []string, all bool) typeSet {
	r := setOf()
	if all {
		r = anyType()
	}
	for _, v := range values {
		types, complete := expandTypeName(v)
		s := anyType()
		if complete {
			s = setOf(types...)
		}
		if all {
			r = r.intersect(s)
		} else {
			r = r.union(s)
		}
	}
	return r
}
