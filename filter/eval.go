package filter

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// A candidate is one value a key yields on an object, before conversion to the key's kind.
type cand struct {
	s string  // text: a string, or the literal of a number or boolean
	n float64 // the number, when t == cNum
	t candType
}

type candType uint8

const (
	cStr candType = iota
	cNum
	cTrue
	cFalse
)

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

func (l loc) lookup(o *stix.Object) gjson.Result {
	if l.ext == "" {
		return o.Get(l.path)
	}
	return o.Extension(l.ext).Get(l.path)
}

// each yields the key's candidates on o until yield returns false. It reads the object's
// cached properties where it can and otherwise looks paths up on its bytes.
func (d *keyDef) each(o *stix.Object, yield func(cand) bool) {
	typ := o.Type()
	if !gateAllows(d.gate, typ) {
		return
	}
	str := func(s string) bool { return yield(cand{s: s}) }
	switch d.src {
	case srcType:
		objectTypeNames(o, str)
	case srcFromTypes, srcToTypes:
		endTypeNames(o, d.src == srcToTypes, str)
	case srcLabels:
		if eachString(o.Labels(), yield) && categoryOf(typ) == stix.CategorySCO {
			eachResult(o.Extension(extOpenCTISCO).Get("labels"), yield)
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
			eachResult(o.Extension(extOpenCTISCO).Get("created_by_ref"), yield)
		}
	case srcConfidence:
		if v, ok := o.Confidence(); ok {
			yield(cand{n: float64(v), t: cNum})
		}
	case srcRevoked:
		yield(boolCand(o.Revoked()))
	case srcIDs:
		if !yield(cand{s: string(o.ID())}) {
			return
		}
		ext := o.Extension(extOpenCTI)
		if eachResult(ext.Get("id"), yield) {
			eachResult(ext.Get("stix_ids"), yield)
		}
	case srcFunc:
		for _, s := range d.fn(o) {
			if !yield(cand{s: s}) {
				return
			}
		}
	default:
		d.eachLoc(o, typ, yield)
	}
}

func (d *keyDef) eachLoc(o *stix.Object, typ string, yield func(cand) bool) {
	for _, l := range d.locs {
		if l.sco && categoryOf(typ) != stix.CategorySCO || !gateAllows(l.onlyFor, typ) {
			continue
		}
		r := l.lookup(o)
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
func endTypeNames(o *stix.Object, to bool, yield func(string) bool) {
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
	o.Get(refPath).ForEach(func(_, v gjson.Result) bool {
		if v.Type == gjson.String {
			ok = idTypeNames(v.Str, yield)
		}
		return ok
	})
	if !ok {
		return
	}
	o.Extension(extOpenCTI).Get(extPath).ForEach(func(_, v gjson.Result) bool {
		if v.Type == gjson.String {
			ok = nameTypeNames(v.Str, yield)
		}
		return ok
	})
}

// pred is an operator without its negation.
type pred uint8

const (
	pEq pred = iota
	pContains
	pStarts
	pEnds
	pSearch
	pLt
	pLte
	pGt
	pGte
	pPresent // some candidate exists
)

// predOf splits an operator into its positive predicate and whether it is negated. eq with no
// values is nil and not_eq with no values is not_nil, as in OpenCTI.
func predOf(op Operator, nvalues int) (pred, bool) {
	switch op {
	case Eq, "":
		if nvalues == 0 {
			return pPresent, true
		}
		return pEq, false
	case NotEq:
		if nvalues == 0 {
			return pPresent, false
		}
		return pEq, true
	case Contains:
		return pContains, false
	case NotContains:
		return pContains, true
	case StartsWith:
		return pStarts, false
	case NotStartsWith:
		return pStarts, true
	case EndsWith:
		return pEnds, false
	case NotEndsWith:
		return pEnds, true
	case Search:
		return pSearch, false
	case Lt:
		return pLt, false
	case Lte:
		return pLte, false
	case Gt:
		return pGt, false
	case Gte:
		return pGte, false
	case Nil:
		return pPresent, true
	}
	return pPresent, false // NotNil
}

// cfilter is a compiled filter.
type cfilter struct {
	def   keyDef
	pred  pred
	neg   bool // the operator is the negation of pred
	all   bool // filter mode "and": every value must pass
	n     int  // number of values
	strs  []string
	words [][]string
	nums  []float64
	bools []bool
}

// match evaluates the filter: with mode "or" some value passes, with "and" every value does.
// A positive operator passes a value when some candidate compares true with it; a negated one
// when none does.
func (f *cfilter) match(o *stix.Object) bool {
	if f.pred == pPresent {
		found := false
		f.def.each(o, func(c cand) bool {
			found = f.usable(c)
			return !found
		})
		return found != f.neg
	}
	// Values are tracked 64 at a time in a bit set; real filters have a handful.
	for lo := 0; lo < f.n; lo += 64 {
		ok := f.chunk(o, lo, min(lo+64, f.n))
		if ok != f.all {
			return ok
		}
	}
	return f.all
}

func (f *cfilter) chunk(o *stix.Object, lo, hi int) bool {
	full := uint64(1)<<(hi-lo) - 1 // a shift by 64 gives 0, so full is then all ones
	var hit uint64
	stopOnFirst := f.neg == f.all // the first hit decides: "or" of positives, "and" of negations
	f.def.each(o, func(c cand) bool {
		hit |= f.test(c, lo, hi, hit)
		if stopOnFirst {
			return hit == 0
		}
		return hit != full
	})
	switch {
	case f.all && f.neg:
		return hit == 0
	case f.all:
		return hit == full
	case f.neg:
		return hit != full
	}
	return hit != 0
}

// usable reports whether a candidate converts to the key's kind.
func (f *cfilter) usable(c cand) bool {
	switch f.def.kind {
	case KindNumber:
		_, ok := candNumber(c)
		return ok
	case KindBool:
		_, ok := candBool(c)
		return ok
	}
	return true
}

func candNumber(c cand) (float64, bool) {
	switch c.t {
	case cNum:
		return c.n, true
	case cStr:
		return parseNumber(strings.TrimSpace(c.s))
	}
	return 0, false
}

func candBool(c cand) (bool, bool) {
	switch c.t {
	case cTrue:
		return true, true
	case cFalse:
		return false, true
	case cNum:
		return c.n == 1, c.n == 0 || c.n == 1
	}
	return parseBool(strings.TrimSpace(c.s))
}

// test returns the bits of the values in [lo, hi) that candidate c satisfies, skipping those
// already in done.
func (f *cfilter) test(c cand, lo, hi int, done uint64) uint64 {
	var bits uint64
	switch f.def.kind {
	case KindNumber:
		x, ok := candNumber(c)
		if !ok {
			return 0
		}
		for i := lo; i < hi; i++ {
			if done&(1<<(i-lo)) == 0 && compareNumber(f.pred, x, f.nums[i]) {
				bits |= 1 << (i - lo)
			}
		}
	case KindBool:
		b, ok := candBool(c)
		if !ok {
			return 0
		}
		for i := lo; i < hi; i++ {
			if b == f.bools[i] {
				bits |= 1 << (i - lo)
			}
		}
	default:
		s := strings.TrimSpace(c.s)
		for i := lo; i < hi; i++ {
			if done&(1<<(i-lo)) == 0 && f.compareText(s, i) {
				bits |= 1 << (i - lo)
			}
		}
	}
	return bits
}

func compareNumber(p pred, x, v float64) bool {
	switch p {
	case pEq:
		return x == v
	case pLt:
		return x < v
	case pLte:
		return x <= v
	case pGt:
		return x > v
	case pGte:
		return x >= v
	}
	return false
}

func (f *cfilter) compareText(s string, i int) bool {
	v := f.strs[i]
	switch f.pred {
	case pEq:
		return lowerEq(s, v)
	case pContains:
		return lowerContains(s, v)
	case pStarts:
		return lowerHasPrefix(s, v)
	case pEnds:
		return lowerHasSuffix(s, v)
	case pSearch:
		for _, w := range f.words[i] {
			if lowerContains(s, w) {
				return true
			}
		}
		return false
	case pLt:
		return lowerCompare(s, v) < 0
	case pLte:
		return lowerCompare(s, v) <= 0
	case pGt:
		return lowerCompare(s, v) > 0
	case pGte:
		return lowerCompare(s, v) >= 0
	}
	return false
}
