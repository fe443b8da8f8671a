package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/ctifeed/ctifeed/internal/jsonstr"
	"github.com/tidwall/gjson"
)

// maxDepth bounds how deeply groups nest. OpenCTI's editor nests a handful of levels; the bound
// keeps hostile input from costing unbounded recursion.
const maxDepth = 32

// SyntaxError reports input that is not a FilterGroup at all: malformed JSON, a member of the
// wrong JSON type, or text the text form cannot read. Path names the JSON member (empty for
// the document itself); Offset is the byte offset in the text form (-1 for JSON).
type SyntaxError struct {
	Path   string
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	switch {
	case e.Offset >= 0:
		return fmt.Sprintf("filter: text offset %d: %s", e.Offset, e.Msg)
	case e.Path != "":
		return "filter: " + e.Path + ": " + e.Msg
	}
	return "filter: " + e.Msg
}

func jsonErr(path, msg string) error { return &SyntaxError{Path: path, Offset: -1, Msg: msg} }

// Parse decodes a FilterGroup from OpenCTI's JSON, filling in the defaults (group mode "and",
// filter operator "eq", filter mode "or"). JSON null decodes to the empty group. Parse checks
// structure only; [Group.Validate] checks keys, operators, modes and values.
func Parse(data []byte) (Group, error) {
	var g Group
	if err := g.UnmarshalJSON(data); err != nil {
		return Group{}, err
	}
	return g, nil
}

// parseRoot checks nesting depth and well-formedness once for both decoders.
func parseRoot(data []byte) (gjson.Result, error) {
	if err := checkNesting(data); err != nil {
		return gjson.Result{}, err
	}
	if !gjson.ValidBytes(data) {
		return gjson.Result{}, jsonErr("", "not well-formed JSON")
	}
	return gjson.ParseBytes(data), nil
}

// UnmarshalJSON decodes OpenCTI's FilterGroup JSON into g; see [Parse]. As with encoding/json,
// null leaves g unchanged.
func (g *Group) UnmarshalJSON(data []byte) error {
	root, err := parseRoot(data)
	if err != nil || root.Type == gjson.Null {
		return err
	}
	out, err := decodeGroup(root, "", 0)
	if err != nil {
		return err
	}
	*g = out
	return nil
}

// UnmarshalJSON decodes one filter of OpenCTI's JSON into f, with the defaults filled in.
func (f *Filter) UnmarshalJSON(data []byte) error {
	root, err := parseRoot(data)
	if err != nil || root.Type == gjson.Null {
		return err
	}
	out, err := decodeFilter(root, "")
	if err != nil {
		return err
	}
	*f = out
	return nil
}

// checkNesting rejects JSON nested deeper than groups may be before any recursive code sees it.
func checkNesting(data []byte) error {
	limit := 2*maxDepth + 8 // a group level is an object inside an array
	depth, inString := 0, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > limit {
				return jsonErr("", fmt.Sprintf("JSON nested deeper than %d levels", limit))
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// members calls fn for each member of a JSON object; a repeated member counts once, its last
// value winning, as with encoding/json.
func members(v gjson.Result, fn func(key string, val gjson.Result) error) error {
	var keys []string
	vals := map[string]gjson.Result{}
	v.ForEach(func(k, val gjson.Result) bool {
		if _, dup := vals[k.Str]; !dup {
			keys = append(keys, k.Str)
		}
		vals[k.Str] = val
		return true
	})
	for _, k := range keys {
		if err := fn(k, vals[k]); err != nil {
			return err
		}
	}
	return nil
}

// optString reads a member that must be a string when present; null counts as absent.
func optString(v gjson.Result, path string) (string, error) {
	switch v.Type {
	case gjson.Null:
		return "", nil
	case gjson.String:
		return v.Str, nil
	}
	return "", jsonErr(path, "must be a string, got "+jsonKind(v))
}

func jsonKind(v gjson.Result) string {
	switch {
	case v.IsObject():
		return "an object"
	case v.IsArray():
		return "an array"
	case v.Type == gjson.Number:
		return "a number"
	case v.Type == gjson.True, v.Type == gjson.False:
		return "a boolean"
	case v.Type == gjson.Null:
		return "null"
	}
	return "a string"
}

// array iterates a member that must be an array when present; null counts as absent.
func array(v gjson.Result, path string, fn func(i int, el gjson.Result) error) error {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsArray() {
		return jsonErr(path, "must be an array, got "+jsonKind(v))
	}
	var err error
	i := 0
	v.ForEach(func(_, el gjson.Result) bool {
		err = fn(i, el)
		i++
		return err == nil
	})
	return err
}

func decodeGroup(v gjson.Result, path string, depth int) (Group, error) {
	if !v.IsObject() {
		return Group{}, jsonErr(pathOrDoc(path), "a filter group must be an object, got "+jsonKind(v))
	}
	if depth >= maxDepth {
		return Group{}, jsonErr(pathOrDoc(path), fmt.Sprintf("groups nested deeper than %d levels", maxDepth))
	}
	g := Group{Mode: And, Filters: []Filter{}, FilterGroups: []Group{}}
	err := members(v, func(k string, val gjson.Result) error {
		p := join(path, k)
		switch k {
		case "mode":
			s, err := optString(val, p)
			if s != "" {
				g.Mode = Mode(s)
			}
			return err
		case "filters":
			return array(val, p, func(i int, el gjson.Result) error {
				f, err := decodeFilter(el, index(p, i))
				g.Filters = append(g.Filters, f)
				return err
			})
		case "filterGroups":
			return array(val, p, func(i int, el gjson.Result) error {
				sg, err := decodeGroup(el, index(p, i), depth+1)
				g.FilterGroups = append(g.FilterGroups, sg)
				return err
			})
		}
		addExtra(&g.Extra, k, val)
		return nil
	})
	return g, err
}

func pathOrDoc(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

func addExtra(m *map[string]json.RawMessage, k string, v gjson.Result) {
	if *m == nil {
		*m = map[string]json.RawMessage{}
	}
	(*m)[k] = json.RawMessage(v.Raw)
}

// maxSubDepth bounds {key, values} objects inside values: regardingOf's are one level deep.
const maxSubDepth = 1

func decodeFilter(v gjson.Result, path string) (Filter, error) { return decodeFilterAt(v, path, 0) }

func decodeFilterAt(v gjson.Result, path string, depth int) (Filter, error) {
	if !v.IsObject() {
		return Filter{}, jsonErr(pathOrDoc(path), "a filter must be an object, got "+jsonKind(v))
	}
	f := Filter{Key: []string{}, Values: []string{}, Operator: Eq, Mode: Or}
	err := members(v, func(k string, val gjson.Result) error {
		p := join(path, k)
		switch k {
		case "key":
			if val.Type == gjson.String { // OpenCTI clients sometimes send a bare string
				f.Key = []string{val.Str}
				return nil
			}
			f.Key = []string{}
			return array(val, p, func(i int, el gjson.Result) error {
				if el.Type != gjson.String {
					return jsonErr(index(p, i), "a key must be a string, got "+jsonKind(el))
				}
				f.Key = append(f.Key, el.Str)
				return nil
			})
		case "values":
			f.Values, f.Subfilters = []string{}, nil
			return array(val, p, func(i int, el gjson.Result) error {
				if el.IsObject() { // regardingOf's {key, values}
					if !el.Get("key").Exists() {
						return jsonErr(index(p, i), "an object value must be {key, values}, as regardingOf's are (the pre-5.12 filter format is not supported)")
					}
					if len(f.Values) > 0 {
						return jsonErr(index(p, i), "values mix plain values and {key, values} objects")
					}
					if depth >= maxSubDepth {
						return jsonErr(index(p, i), "{key, values} objects nested in values of values")
					}
					sf, err := decodeFilterAt(el, index(p, i), depth+1)
					f.Subfilters = append(f.Subfilters, sf)
					return err
				}
				if len(f.Subfilters) > 0 {
					return jsonErr(index(p, i), "values mix plain values and {key, values} objects")
				}
				s, err := valueText(el, index(p, i))
				f.Values = append(f.Values, s)
				return err
			})
		case "operator":
			s, err := optString(val, p)
			if s != "" {
				f.Operator = Operator(s)
			}
			return err
		case "mode":
			s, err := optString(val, p)
			if s != "" {
				f.Mode = Mode(s)
			}
			return err
		}
		addExtra(&f.Extra, k, val)
		return nil
	})
	return f, err
}

// valueText turns one element of "values" into the string this package compares. Numbers and
// booleans keep their literal text; null and nested JSON are refused rather than guessed at.
func valueText(v gjson.Result, path string) (string, error) {
	switch v.Type {
	case gjson.String:
		return v.Str, nil
	case gjson.Number, gjson.True, gjson.False:
		return v.Raw, nil
	case gjson.Null:
		return "", jsonErr(path, "null is not a filter value")
	}
	return "", jsonErr(path, "an array is not a filter value")
}

// MarshalJSON writes g as compact OpenCTI FilterGroup JSON: mode, filters, filterGroups (lists
// never null), then any Extra members sorted by name. An empty mode is written as "and".
func (g Group) MarshalJSON() ([]byte, error) {
	return g.appendJSON(nil, 0)
}

func (g Group) appendJSON(b []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("filter: groups nested deeper than %d levels", maxDepth)
	}
	mode := g.Mode
	if mode == "" {
		mode = And
	}
	b = append(b, `{"mode":`...)
	b = jsonstr.AppendStable(b, string(mode))
	b = append(b, `,"filters":[`...)
	for i, f := range g.Filters {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = f.appendJSON(b); err != nil {
			return nil, err
		}
	}
	b = append(b, `],"filterGroups":[`...)
	for i, sg := range g.FilterGroups {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = sg.appendJSON(b, depth+1); err != nil {
			return nil, err
		}
	}
	b = append(b, ']')
	b, err := appendExtra(b, g.Extra)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// MarshalJSON writes f as compact OpenCTI JSON: key, values, operator, mode, then any Extra
// members sorted by name. An empty operator is written as "eq", an empty mode as "or".
func (f Filter) MarshalJSON() ([]byte, error) { return f.appendJSON(nil) }

func (f Filter) appendJSON(b []byte) ([]byte, error) {
	op, mode := f.Operator, f.Mode
	if op == "" {
		op = Eq
	}
	if mode == "" {
		mode = Or
	}
	b = append(b, `{"key":`...)
	b = appendStrings(b, f.Key)
	b = append(b, `,"values":`...)
	if len(f.Subfilters) > 0 {
		var err error
		if b, err = appendSubfilters(b, f.Subfilters); err != nil {
			return nil, err
		}
	} else {
		b = appendStrings(b, f.Values)
	}
	b = append(b, `,"operator":`...)
	b = jsonstr.AppendStable(b, string(op))
	b = append(b, `,"mode":`...)
	b = jsonstr.AppendStable(b, string(mode))
	b, err := appendExtra(b, f.Extra)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func appendExtra(b []byte, extra map[string]json.RawMessage) ([]byte, error) {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		raw := bytes.TrimSpace(extra[k])
		if !json.Valid(raw) {
			return nil, fmt.Errorf("filter: Extra member %q is not valid JSON", k)
		}
		b = append(b, ',')
		b = jsonstr.AppendStable(b, k)
		b = append(b, ':')
		b = append(b, raw...)
	}
	return b, nil
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.AppendStable(b, s)
	}
	return append(b, ']')
}

// appendSubfilters writes regardingOf's values as OpenCTI does: {"key":"id","values":[…]},
// the key a string, operator and mode only when they are not the defaults eq and or.
func appendSubfilters(b []byte, subs []Filter) ([]byte, error) {
	b = append(b, '[')
	for i, sf := range subs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		if len(sf.Key) == 1 {
			b = jsonstr.AppendStable(b, sf.Key[0])
		} else {
			b = appendStrings(b, sf.Key)
		}
		b = append(b, `,"values":`...)
		if len(sf.Subfilters) > 0 {
			return nil, fmt.Errorf("filter: {key, values} objects nested in values of values")
		}
		b = appendStrings(b, sf.Values)
		if sf.Operator != "" && sf.Operator != Eq {
			b = append(b, `,"operator":`...)
			b = jsonstr.AppendStable(b, string(sf.Operator))
		}
		if sf.Mode != "" && sf.Mode != Or {
			b = append(b, `,"mode":`...)
			b = jsonstr.AppendStable(b, string(sf.Mode))
		}
		var err error
		if b, err = appendExtra(b, sf.Extra); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}
