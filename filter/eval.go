package filter

import (
	"strings"
	"unicode/utf8"

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
			eachResult(v.extension(octiSCOExt).Get("labels"), yield)
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
			eachResult(v.extension(octiSCOExt).Get("created_by_ref"), yield)
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
		ext := v.extension(octiExt)
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
	v.extension(octiExt).Get(extPath).ForEach(func(_, v gjson.Result) bool {
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
	// typeBits holds, for an entity_type filter, the values that each known STIX type's
	// static names satisfy, so matching needs a map lookup instead of comparing every name.
	typeBits map[string]uint64
}

// match evaluates the filter: with mode "or" some value passes, with "and" every value does.
// A positive operator passes a value when some candidate compares true with it; a negated one
// when none does.
func (f *cfilter) match(v *view) bool {
	if f.pred == pPresent {
		found := false
		f.def.each(v, func(c cand) bool {
			found = f.usable(c)
			return !found
		})
		return found != f.neg
	}
	if f.typeBits != nil {
		if bits, ok := f.typeBits[v.typ]; ok {
			return f.matchType(v, bits)
		}
	}
	// Values are tracked 64 at a time in a bit set; real filters have a handful.
	for lo := 0; lo < f.n; lo += 64 {
		ok := f.chunk(v, lo, min(lo+64, f.n))
		if ok != f.all {
			return ok
		}
	}
	return f.all
}

// matchType evaluates an entity type filter on an object of a known type, starting from the
// values its type's static names satisfy.
func (f *cfilter) matchType(v *view, hit uint64) bool {
	full := uint64(1)<<f.n - 1
	if hasDynamicTypeNames(v.typ) && !f.decided(hit, full) {
		dynamicTypeNames(v, func(s string) bool {
			hit |= f.test(cand{s: s}, 0, f.n, hit)
			return !f.decided(hit, full)
		})
	}
	return f.result(hit, full)
}

func (f *cfilter) chunk(v *view, lo, hi int) bool {
	full := uint64(1)<<(hi-lo) - 1 // a shift by 64 gives 0, so full is then all ones
	var hit uint64
	f.def.each(v, func(c cand) bool {
		hit |= f.test(c, lo, hi, hit)
		return !f.decided(hit, full)
	})
	return f.result(hit, full)
}

// decided reports whether more candidates cannot change the outcome, given the values hit so
// far (bits) out of full.
func (f *cfilter) decided(hit, full uint64) bool {
	if f.neg == f.all { // the first hit decides: "or" of positives, "and" of negations
		return hit != 0
	}
	return hit == full
}

// result is the outcome once the candidates are exhausted (or the outcome decided).
func (f *cfilter) result(hit, full uint64) bool {
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
		s := trim(c.s)
		for i := lo; i < hi; i++ {
			if done&(1<<(i-lo)) == 0 && f.compareText(s, i) {
				bits |= 1 << (i - lo)
			}
		}
	}
	return bits
}

// trim is strings.TrimSpace with a shortcut for the usual text that has nothing to trim.
func trim(s string) string {
	if n := len(s); n > 0 && isPlain(s[0]) && isPlain(s[n-1]) {
		return s
	}
	return strings.TrimSpace(s)
}

func isPlain(c byte) bool { return c > ' ' && c < utf8.RuneSelf }

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
