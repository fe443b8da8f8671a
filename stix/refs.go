package stix

import "strconv"

// Ref is one reference from an object to another: a value of a property whose name ends in
// `_ref`, or one element of a property whose name ends in `_refs`, at any depth.
type Ref struct {
	// Path is the gjson path of the property, e.g. "created_by_ref", "object_refs" or
	// "granular_markings.0.marking_ref".
	Path string
	// Index is the position within a `_refs` list, or -1 for a `_ref` property.
	Index int
	// ID is the referenced identifier.
	ID ID
}

// String returns the reference's location and target, e.g. "object_refs[2] -> indicator--…".
func (r Ref) String() string {
	if r.Index < 0 {
		return r.Path + " -> " + string(r.ID)
	}
	return r.Path + "[" + strconv.Itoa(r.Index) + "] -> " + string(r.ID)
}

// Refs returns every reference the object holds, in document order. Properties named
// `external_references` and `kill_chain_phases` hold no references and are not searched.
// The caller must not modify the slice.
func (o *Object) Refs() []Ref { return o.refs }

// RefIDs returns the distinct referenced identifiers in document order.
func (o *Object) RefIDs() []ID {
	ids := make([]ID, 0, len(o.refs))
	for _, r := range o.refs {
		if !containsID(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func containsID(ids []ID, id ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
