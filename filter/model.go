package filter

import (
	"encoding/json"
	"maps"
	"slices"
)

// Mode combines the filters and subgroups of a [Group], or the values of a [Filter].
type Mode string

// The two modes.
const (
	And Mode = "and"
	Or  Mode = "or"
)

// Operator says how a [Filter] compares its values with what its key yields on an object.
type Operator string

// The operators of OpenCTI's FilterGroup that apply to STIX objects.
const (
	Eq            Operator = "eq"              // a value is among the candidates
	NotEq         Operator = "not_eq"          // a value is not among the candidates
	Contains      Operator = "contains"        // a candidate contains the value
	NotContains   Operator = "not_contains"    // no candidate contains the value
	StartsWith    Operator = "starts_with"     // a candidate starts with the value
	NotStartsWith Operator = "not_starts_with" // no candidate starts with the value
	EndsWith      Operator = "ends_with"       // a candidate ends with the value
	NotEndsWith   Operator = "not_ends_with"   // no candidate ends with the value
	Search        Operator = "search"          // a candidate contains any word of the value
	Lt            Operator = "lt"              // a candidate is less than the value
	Lte           Operator = "lte"             // a candidate is less than or equal to the value
	Gt            Operator = "gt"              // a candidate is greater than the value
	Gte           Operator = "gte"             // a candidate is greater than or equal to the value
	Within        Operator = "within"          // a date candidate lies in the range of two values
	Nil           Operator = "nil"             // the key yields no candidate (takes no values)
	NotNil        Operator = "not_nil"         // the key yields some candidate (takes no values)
)

// Operators returns every operator this package knows, in the order of the constants.
func Operators() []Operator {
	return []Operator{Eq, NotEq, Contains, NotContains, StartsWith, NotStartsWith,
		EndsWith, NotEndsWith, Search, Lt, Lte, Gt, Gte, Within, Nil, NotNil}
}

// known reports whether op is one of the operators this package implements.
func (op Operator) known() bool { return slices.Contains(Operators(), op) }

// Group is OpenCTI's FilterGroup: filters and nested groups combined by Mode. A group with no
// filters and no subgroups matches every object. An empty Mode means "and", as in OpenCTI's
// JSON when the member is absent; [Parse] and [ParseText] fill it in.
type Group struct {
	Mode         Mode     `json:"mode"`
	Filters      []Filter `json:"filters"`
	FilterGroups []Group  `json:"filterGroups"`

	// Extra holds the JSON members this package does not know (some OpenCTI front ends add an
	// "id"), so that marshalling gives them back. The text form does not carry them.
	Extra map[string]json.RawMessage `json:"-"`
}

// Filter is one condition of a [Group]: its key's candidates on an object compared with Values
// by Operator, the values combined by Mode. An empty Operator means "eq" and an empty Mode
// "or", OpenCTI's defaults; [Parse] and [ParseText] fill them in.
type Filter struct {
	// Key holds exactly one key for a feed. JSON accepts a single string too.
	Key []string `json:"key"`
	// Values are strings; JSON numbers and booleans are accepted and kept as their literal
	// text, so they marshal back as strings.
	Values   []string `json:"values"`
	Operator Operator `json:"operator"`
	Mode     Mode     `json:"mode"`
	// Subfilters are the values of a key whose values are themselves filters: regardingOf's
	// {"key":"id","values":[…]} and {"key":"relationship_type","values":[…]}. A filter has
	// Values or Subfilters, not both; JSON gives a subfilter's key as one string.
	Subfilters []Filter `json:"-"`

	// Extra holds the JSON members this package does not know; see [Group.Extra].
	Extra map[string]json.RawMessage `json:"-"`
}

// IsEmpty reports whether g has no filters and no subgroups, so that it matches everything.
// Empty subgroups count as filters here: they too match everything.
func (g Group) IsEmpty() bool { return len(g.Filters) == 0 && len(g.FilterGroups) == 0 }

// Clone returns a deep copy of g.
func (g Group) Clone() Group {
	c := Group{Mode: g.Mode, Extra: cloneExtra(g.Extra)}
	if g.Filters != nil {
		c.Filters = make([]Filter, len(g.Filters))
		for i, f := range g.Filters {
			c.Filters[i] = f.Clone()
		}
	}
	if g.FilterGroups != nil {
		c.FilterGroups = make([]Group, len(g.FilterGroups))
		for i, sg := range g.FilterGroups {
			c.FilterGroups[i] = sg.Clone()
		}
	}
	return c
}

// Clone returns a deep copy of f.
func (f Filter) Clone() Filter {
	c := Filter{Key: slices.Clone(f.Key), Values: slices.Clone(f.Values),
		Operator: f.Operator, Mode: f.Mode, Extra: cloneExtra(f.Extra)}
	if f.Subfilters != nil {
		c.Subfilters = make([]Filter, len(f.Subfilters))
		for i, sf := range f.Subfilters {
			c.Subfilters[i] = sf.Clone()
		}
	}
	return c
}

func cloneExtra(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	c := make(map[string]json.RawMessage, len(m))
	for k, v := range maps.All(m) {
		c[k] = slices.Clone(v)
	}
	return c
}

// singleKey returns the filter's key when it has exactly one.
func (f Filter) singleKey() (string, bool) {
	if len(f.Key) != 1 {
		return "", false
	}
	return f.Key[0], true
}
