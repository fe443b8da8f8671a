package filter

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// CompileOptions configures [Compile] and [Group.Validate]. The zero value (or nil) gives the
// built-in keys only, no relationship keys, and the system clock.
type CompileOptions struct {
	// Keys adds keys by name; a name that is also built in replaces the built-in key.
	Keys map[string]Key
	// Relations says that the feed evaluates the matcher through [Matcher.Bind] with a
	// [Resolver] of its store, which the relationship keys (regardingOf, connectedToId,
	// containers, sightedBy) need. Without it such a key is a validation error wrapping
	// [ErrNoResolver] that names the key, rather than a filter that silently matches nothing.
	Relations bool
	// Clock gives "now" for relative dates when [Matcher.Match] evaluates them, and for a
	// [Matcher.Bind] without BindOptions.Now; nil means time.Now. It must be safe for
	// concurrent use.
	Clock func() time.Time
}

// Matcher is a compiled [Group]. It is immutable and safe for concurrent use. A nil *Matcher
// matches every object.
type Matcher struct {
	root   cgroup
	group  Group
	keys   []string
	host   map[string]Key
	now    func() time.Time
	dspecs [][]dateRange // the date filters with relative values, by slot
	rels   []relSpec     // the relationship filters, by slot
	types  *typeCache    // relationship types read by earlier bindings
}

func (m *Matcher) clock() time.Time {
	if m.now != nil {
		return m.now()
	}
	return time.Now()
}

type cgroup struct {
	or      bool
	filters []cfilter
	groups  []cgroup
}

// Compile validates g (see [Group.Validate]) and compiles it for [Matcher.Match]. opts may be
// nil. The returned Matcher does not share memory with g.
func Compile(g Group, opts *CompileOptions) (*Matcher, error) {
	if err := g.Validate(opts); err != nil {
		return nil, err
	}
	m := &Matcher{group: g.Clone(), types: &typeCache{}}
	if opts != nil {
		m.host = maps.Clone(opts.Keys)
		m.now = opts.Clock
	}
	keys := map[string]bool{}
	m.root = m.compileGroup(g, opts, keys)
	m.keys = slices.Sorted(maps.Keys(keys))
	return m, nil
}

func (m *Matcher) compileGroup(g Group, opts *CompileOptions, keys map[string]bool) cgroup {
	c := cgroup{or: g.Mode == Or}
	for _, f := range g.Filters {
		c.filters = append(c.filters, m.compileFilter(f, opts))
		keys[f.Key[0]] = true
	}
	// Filters are pure, so their order does not change the result: cheap keys go first
	// for the and/or short circuit to skip the costly ones.
	sort.SliceStable(c.filters, func(i, j int) bool { return c.filters[i].def.cost < c.filters[j].def.cost })
	for _, sg := range g.FilterGroups {
		c.groups = append(c.groups, m.compileGroup(sg, opts, keys))
	}
	return c
}

func (m *Matcher) compileFilter(f Filter, opts *CompileOptions) cfilter {
	def, _ := lookupKey(f.Key[0], opts) // Validate has checked it exists
	nvalues := len(f.Values) + len(f.Subfilters)
	p, neg := predOf(f.Operator, nvalues)
	c := cfilter{def: def, pred: p, neg: neg, all: f.Mode == And, slot: -1}
	if p == pPresent {
		return c
	}
	switch def.kind {
	case KindRelation:
		c.n, c.slot = m.compileRelation(f, def), len(m.rels)-1
		return c
	case KindDate:
		m.compileDates(&c, f)
		return c
	}
	c.n = len(f.Values)
	for _, v := range f.Values {
		t := strings.TrimSpace(v)
		switch def.kind {
		case KindNumber:
			n, _ := parseNumber(t)
			c.nums = append(c.nums, n)
		case KindBool:
			b, _ := parseBool(t)
			c.bools = append(c.bools, b)
		default:
			low := strings.ToLower(t)
			c.strs = append(c.strs, low)
			if p == pSearch {
				c.words = append(c.words, strings.Fields(low))
			}
		}
	}
	if def.src == srcType && c.n <= 64 {
		c.typeBits = map[string]uint64{}
		for _, t := range knownTypes() {
			var hit uint64
			staticTypeNames(t, categoryOf(t), func(s string) bool {
				hit |= c.test(cand{s: s}, 0, c.n, hit)
				return true
			})
			c.typeBits[t] = hit
		}
		c.dynamic = dynAll
		if p == pEq {
			c.dynamic = 0
			for _, v := range f.Values {
				rel, sub := dynamicTypesFor(v)
				if rel {
					c.dynamic |= dynRelationship
				}
				c.dynamic |= dynamicOf(sub)
			}
		}
	}
	return c
}

// Match reports whether o passes the filters. A nil Matcher matches every object; a nil
// object is matched by nothing else. Match does not allocate, except in a host's KeyFunc and
// when a candidate string read from the JSON holds escape sequences; it is safe for
// concurrent use.
//
// Match knows no record times (created_at and updated_at read OpenCTI's extension only) and
// reads the clock for each relative date; relationship keys, which need a [Resolver], pass
// no related object there (connectedToId still passes the object itself and the objects
// referencing it). Feeds use [Matcher.Bind] and [Bound.Match] instead.
func (m *Matcher) Match(o *stix.Object) bool {
	if m == nil {
		return true
	}
	if o == nil {
		return false
	}
	v := view{o: o, typ: o.Type(), m: m}
	return m.root.match(&v)
}

// compileDates compiles the values of a date filter; within's two values make one range.
func (m *Matcher) compileDates(c *cfilter, f Filter) {
	parse := func(s string) dateVal {
		d, _ := parseDateValue(strings.TrimSpace(s)) // Validate has checked it parses
		return d
	}
	if f.Operator == Within {
		c.pred = pWithin
		c.dates = []dateRange{{a: parse(f.Values[0]), b: parse(f.Values[1]), within: true}}
	} else {
		for _, v := range f.Values {
			c.dates = append(c.dates, dateRange{a: parse(v)})
		}
	}
	c.n = len(c.dates)
	for i := range c.dates {
		if c.dates[i].relative() {
			c.slot = len(m.dspecs)
			m.dspecs = append(m.dspecs, c.dates)
			return
		}
	}
}

// compileRelation registers what a relationship filter asks the resolver and returns its
// number of values.
func (m *Matcher) compileRelation(f Filter, def keyDef) int {
	lowerIDs := func(vs []string) []stix.ID {
		out := make([]stix.ID, 0, len(vs))
		for _, v := range vs {
			out = append(out, stix.ID(strings.ToLower(strings.TrimSpace(v))))
		}
		return out
	}
	spec := relSpec{kind: def.rel}
	if def.rel == relRegardingOf {
		var ids []stix.ID
		for _, sf := range f.Subfilters {
			switch sf.Key[0] {
			case "id":
				ids = append(ids, lowerIDs(sf.Values)...)
			case "relationship_type":
				for _, t := range sf.Values {
					spec.types = append(spec.types, strings.ToLower(strings.TrimSpace(t)))
				}
			}
		}
		spec.ids = [][]stix.ID{ids}
	} else {
		for _, v := range f.Values {
			spec.ids = append(spec.ids, lowerIDs([]string{v}))
		}
	}
	m.rels = append(m.rels, spec)
	return len(spec.ids)
}

func (g *cgroup) match(v *view) bool {
	if len(g.filters) == 0 && len(g.groups) == 0 {
		return true
	}
	for i := range g.filters {
		if g.filters[i].match(v) == g.or {
			return g.or
		}
	}
	for i := range g.groups {
		if g.groups[i].match(v) == g.or {
			return g.or
		}
	}
	return !g.or
}

// Keys returns the distinct keys the filter uses, sorted.
func (m *Matcher) Keys() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.keys)
}

// Group returns a copy of the group m was compiled from.
func (m *Matcher) Group() Group {
	if m == nil {
		return Group{}
	}
	return m.group.Clone()
}

// EntityTypes is [Group.EntityTypes] with the matcher's own keys: a key the host redefined
// restricts nothing.
func (m *Matcher) EntityTypes() (types []string, restricted bool) {
	if m == nil {
		return nil, false
	}
	return m.group.entityTypes(&CompileOptions{Keys: m.host})
}
