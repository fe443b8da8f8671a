package filter

// Where each key finds its candidates on an object.

import (
	"time"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// A candidate is one value a key yields on an object, before conversion to the key's kind.
type cand struct {
	s string  // text: a string, or the literal of a number or boolean
	n float64 // the number, when t == cNum
	i instant // the date, when t == cDate
	t candType
}

type candType uint8

const (
	cStr candType = iota
	cNum
	cTrue
	cFalse
	cDate
)

func dateCand(t time.Time) cand { return cand{i: instantOf(t), t: cDate} }

func boolCand(b bool) cand {
	if b {
		return cand{s: "true", t: cTrue}
	}
	return cand{s: "false", t: cFalse}
}

// resultCand turns a scalar JSON value into a candidate; null, objects and arrays are none.
func resultCand(r gjson.Result) (cand, bool) {
	switch r.Type {
	case gjson.String:
		return cand{s: r.Str}, true
	case gjson.Number:
		return cand{s: r.Raw, n: r.Num, t: cNum}, true
	case gjson.True:
		return cand{s: "true", t: cTrue}, true
	case gjson.False:
		return cand{s: "false", t: cFalse}, true
	}
	return cand{}, false
}

// eachResult yields a JSON value as candidates: each element of an array, or the value itself.
func eachResult(r gjson.Result, yield func(cand) bool) bool {
	if r.IsArray() {
		ok := true
		r.ForEach(func(_, v gjson.Result) bool {
			if c, isScalar := resultCand(v); isScalar {
				ok = yield(c)
			}
			return ok
		})
		return ok
	}
	if c, ok := resultCand(r); ok {
		return yield(c)
	}
	return true
}

func eachString(ss []string, yield func(cand) bool) bool {
	for _, s := range ss {
		if !yield(cand{s: s}) {
			return false
		}
	}
	return true
}

func gateAllows(g gate, typ string) bool {
	switch g {
	case gateRelOrSight:
		return typ == "relationship" || typ == "sighting"
	case gateRelationship:
		return typ == "relationship"
	case gateSighting:
		return typ == "sighting"
	}
	return true
}

func present(r gjson.Result) bool { return r.Exists() && r.Type != gjson.Null }

// each yields the key's candidates on o until yield returns false. It reads the object's
// cached properties where it can and otherwise looks paths up on its bytes.
func (d *keyDef) each(v *view, yield func(cand) bool) {
	o, typ := v.o, v.typ
	if !gateAllows(d.gate, typ) {
		return
	}
	switch d.src {
	case srcType:
		objectTypeNames(v, func(s string) bool { return yield(cand{s: s}) })
	case srcFromTypes, srcToTypes:
		endTypeNames(v, d.src == srcToTypes, func(s string) bool { return yield(cand{s: s}) })
	case srcLabels:
		if eachString(o.Labels(), yield) && categoryOf(typ) == stix.CategorySCO {
			eachResult(v.extMember(octiSCOExt, "labels"), yield)
		}
	case srcMarkings:
		for _, id := range o.ObjectMarkingRefs() {
			if !yield(cand{s: string(id)}) {
				return
			}
		}
	case srcCreatedBy:
		if by := o.CreatedByRef(); by != "" && !yield(cand{s: string(by)}) {
			return
		}
		if categoryOf(typ) == stix.CategorySCO {
			eachResult(v.extMember(octiSCOExt, "created_by_ref"), yield)
		}
	case srcConfidence:
		if c, ok := o.Confidence(); ok {
			yield(cand{n: float64(c), t: cNum})
		}
	case srcRevoked:
		yield(boolCand(o.Revoked()))
	case srcIDs:
		if !yield(cand{s: string(o.ID())}) {
			return
		}
		if eachResult(v.extMember(octiExt, "id"), yield) {
			eachResult(v.extMember(octiExt, "stix_ids"), yield)
		}
	case srcFunc:
		for _, s := range d.fn(o) {
			if !yield(cand{s: s}) {
				return
			}
		}
	case srcCreated:
		if t := o.Created(); !t.IsZero() {
			yield(dateCand(t))
		}
	case srcModified:
		if t := o.Modified(); !t.IsZero() {
			yield(dateCand(t))
		}
	case srcRecordCreated, srcRecordUpdated:
		t := v.times.CreatedAt
		if d.src == srcRecordUpdated {
			t = v.times.UpdatedAt
		}
		if !t.IsZero() {
			yield(dateCand(t))
			return
		}
		d.eachLoc(v, yield)
	case srcRelation: // evaluated against a Bound's sets, see matchRelation
	default:
		d.eachLoc(v, yield)
	}
}

func (d *keyDef) eachLoc(v *view, yield func(cand) bool) {
	typ := v.typ
	for _, l := range d.locs {
		if l.sco && categoryOf(typ) != stix.CategorySCO || !gateAllows(l.onlyFor, typ) {
			continue
		}
		r := v.lookup(l)
		if !present(r) {
			continue
		}
		if !eachResult(r, yield) || d.first {
			return
		}
	}
}

// endTypeNames yields the entity type names of a relationship's source (or target) end, or a
// sighting's sighted object (or where it was sighted): the type in each referenced identifier,
// and the OpenCTI type its extension records.
func endTypeNames(v *view, to bool, yield func(string) bool) {
	o := v.o
	var refPath, extPath string
	switch {
	case o.Type() == "relationship" && !to:
		refPath, extPath = "source_ref", "source_type"
	case o.Type() == "relationship":
		refPath, extPath = "target_ref", "target_type"
	case !to:
		refPath, extPath = "sighting_of_ref", "sighting_of_type"
	default:
		refPath, extPath = "where_sighted_refs", "where_sighted_types"
	}
	ok := true
	v.member(refPath).ForEach(func(_, v gjson.Result) bool {
		if v.Type == gjson.String {
			ok = idTypeNames(v.Str, yield)
		}
		return ok
	})
	if !ok {
		return
	}
	v.extMember(octiExt, extPath).ForEach(func(_, v gjson.Result) bool {
		if v.Type == gjson.String {
			ok = nameTypeNames(v.Str, yield)
		}
		return ok
	})
}
