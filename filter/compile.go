package filter

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/ctifeed/ctifeed/stix"
)

// CompileOptions configures [Compile] and [Group.Validate]. The zero value (or nil) gives the
// built-in keys only.
type CompileOptions struct {
	// Keys adds keys by name; a name that is also built in replaces the built-in key.
	Keys map[string]Key
}

// Matcher is a compiled [Group]. It is immutable and safe for concurrent use. A nil *Matcher
// matches every object.
type Matcher struct {
	root  cgroup
	group Group
	keys  []string
	host  map[string]Key
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
	m := &Matcher{group: g.Clone()}
	if opts != nil {
		m.host = maps.Clone(opts.Keys)
	}
	keys := map[string]bool{}
	m.root = compileGroup(g, opts, keys)
	m.keys = slices.Sorted(maps.Keys(keys))
	return m, nil
}

func compileGroup(g Group, opts *CompileOptions, keys map[string]bool) cgroup {
	c := cgroup{or: g.Mode == Or}
	for _, f := range g.Filters {
		c.filters = append(c.filters, compileFilter(f, opts))
		keys[f.Key[0]] = true
	}
	// Filters are pure, so their order does not change the result: cheap keys go first
	// for the and/or short circuit to skip the costly ones.
	sort.SliceStable(c.filters, func(i, j int) bool { return c.filters[i].def.cost < c.filters[j].def.cost })
	for _, sg := range g.FilterGroups {
		c.groups = append(c.groups, compileGroup(sg, opts, keys))
	}
	return c
}

func compileFilter(f Filter, opts *CompileOptions) cfilter {
	def, _ := lookupKey(f.Key[0], opts) // Validate has checked it exists
	p, neg := predOf(f.Operator, len(f.Values))
	c := cfilter{def: def, pred: p, neg: neg, all: f.Mode == And}
	if p == pPresent {
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
func (m *Matcher) Match(o *stix.Object) bool {
	if m == nil {
		return true
	}
	if o == nil {
		return false
	}
	v := view{o: o, typ: o.Type()}
	return m.root.match(&v)
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
