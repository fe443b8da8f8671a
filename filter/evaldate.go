package filter

import (
	"strings"

	"github.com/ctifeed/ctifeed/stix"
)

// Evaluation of the date and relationship keys, which read more than the object: "now" and
// the resolved relationship sets of a Bound.

// candDate converts a candidate to an instant: a date read from the object, or a string
// holding an RFC 3339 date-time.
func candDate(c cand) (instant, bool) {
	if c.t == cDate {
		return c.i, true
	}
	if c.t != cStr {
		return instant{}, false
	}
	return parseInstant(strings.TrimSpace(c.s))
}

// dateSpan returns the interval of value i at the view's moment: fixed for absolute values,
// from the Bound for relative ones, else from the clock, read once per match.
func (f *cfilter) dateSpan(v *view, i int) span {
	d := &f.dates[i]
	if !d.relative() {
		lo, hi := d.a.lo, d.a.hi
		if d.within {
			hi = d.b.hi
		}
		return span{lo, hi}
	}
	if v.b != nil {
		return v.b.dates[f.slot][i]
	}
	if !v.nowSet {
		v.now, v.nowSet = v.m.clock(), true
	}
	return d.span(v.now)
}

// testDate returns the bits of the values in [lo, hi) that the date candidate c satisfies.
func (f *cfilter) testDate(v *view, c cand, lo, hi int, done uint64) uint64 {
	x, ok := candDate(c)
	if !ok {
		return 0
	}
	var bits uint64
	for i := lo; i < hi; i++ {
		if done&(1<<(i-lo)) != 0 {
			continue
		}
		s := f.dateSpan(v, i)
		var pass bool
		switch f.pred {
		case pEq, pWithin:
			pass = !x.before(s.lo) && !s.hi.before(x)
		case pLt:
			pass = x.before(s.lo)
		case pLte:
			pass = !s.hi.before(x)
		case pGt:
			pass = s.hi.before(x)
		case pGte:
			pass = !x.before(s.lo)
		}
		if pass {
			bits |= 1 << (i - lo)
		}
	}
	return bits
}

// matchRelation evaluates a relationship filter: value i passes when the object is among the
// ids the Bound resolved for it (connectedToId also passes the named object itself and the
// objects that reference it, which need no resolver). Unbound, no related object passes.
func (f *cfilter) matchRelation(v *view) bool {
	if f.n == 1 { // regardingOf's one value, and most filters: the mode does not matter
		return f.relationPasses(v, 0) != f.neg
	}
	for lo := 0; lo < f.n; lo += 64 {
		hi := min(lo+64, f.n)
		full := uint64(1)<<(hi-lo) - 1
		var hit uint64
		for i := lo; i < hi; i++ {
			if f.relationPasses(v, i) {
				hit |= 1 << (i - lo)
				if f.decided(hit, full) {
					break
				}
			}
		}
		if ok := f.result(hit, full); ok != f.all {
			return ok
		}
	}
	return f.all
}

func (f *cfilter) relationPasses(v *view, i int) bool {
	id := string(v.o.ID())
	if v.b != nil && v.b.rels[f.slot][i].has(id) {
		return true
	}
	if f.def.rel != relConnectedTo {
		return false
	}
	want := v.rels(f.slot)[i]
	if len(want) != 1 {
		return false
	}
	if strings.EqualFold(id, string(want[0])) {
		return true
	}
	for _, r := range v.o.Refs() {
		if strings.EqualFold(string(r.ID), string(want[0])) {
			return true
		}
	}
	return false
}

// rels returns the ids a relationship filter names, by value.
func (v *view) rels(slot int) [][]stix.ID { return v.m.rels[slot].ids }
