package filter

import (
	"strings"
	"unicode/utf8"
)

// Evaluation of a compiled filter over the candidates its key yields (see sources.go).

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
	pWithin  // a date candidate lies in a range (within's two values)
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
	case Within:
		return pWithin, false
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
	// dynamic says which types' dynamic names (see dynamicTypeNames) can change the outcome,
	// so that an eq filter on object types never reads a relationship's relationship_type.
	dynamic dynamicTypes
	// dates holds a date filter's values (within's pair as one).
	dates []dateRange
	// slot indexes a Bound's resolved values: the relationship filter's sets, or a date
	// filter's relative values resolved at the bound "now"; -1 when there is none.
	slot int
}

// dynamicTypes is a set of the types with dynamic entity type names.
type dynamicTypes uint8

const (
	dynRelationship dynamicTypes = 1 << iota
	dynIdentity
	dynLocation
	dynThreatActor
	dynAll = dynRelationship | dynIdentity | dynLocation | dynThreatActor
)

func dynamicOf(typ string) dynamicTypes {
	switch typ {
	case "relationship":
		return dynRelationship
	case "identity":
		return dynIdentity
	case "location":
		return dynLocation
	case "threat-actor":
		return dynThreatActor
	}
	return 0
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
	if f.def.kind == KindRelation {
		return f.matchRelation(v)
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
	if f.dynamic&dynamicOf(v.typ) != 0 && !f.decided(hit, full) {
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
		if f.def.kind == KindDate {
			hit |= f.testDate(v, c, lo, hi, hit)
		} else {
			hit |= f.test(c, lo, hi, hit)
		}
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
	case KindDate:
		_, ok := candDate(c)
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
