package filter_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/filter"
)

func TestParseDefaults(t *testing.T) {
	cases := []struct {
		in   string
		want filter.Group
		rule string
	}{
		{`{"filters":[{"key":"entity_type","values":["Indicator"]}]}`,
			filter.Group{Mode: filter.And, Filters: []filter.Filter{{Key: []string{"entity_type"}, Values: []string{"Indicator"},
				Operator: filter.Eq, Mode: filter.Or}}, FilterGroups: []filter.Group{}},
			"absent group mode is and, operator eq, filter mode or; a bare string key is a one-key list"},
		{`{"mode":"","filters":[{"key":["revoked"],"values":[true, 1, 2.50, -1e3],"operator":null,"mode":null}],"filterGroups":null}`,
			filter.Group{Mode: filter.And, Filters: []filter.Filter{{Key: []string{"revoked"}, Values: []string{"true", "1", "2.50", "-1e3"},
				Operator: filter.Eq, Mode: filter.Or}}, FilterGroups: []filter.Group{}},
			"empty and null members take the defaults; numbers and booleans keep their literal text"},
		{`{"mode":"or","filters":[{"key":["objectLabel"],"operator":"nil"}],"filterGroups":[{}]}`,
			filter.Group{Mode: filter.Or, Filters: []filter.Filter{{Key: []string{"objectLabel"}, Values: []string{},
				Operator: filter.Nil, Mode: filter.Or}}, FilterGroups: []filter.Group{{Mode: filter.And, Filters: []filter.Filter{}, FilterGroups: []filter.Group{}}}},
			"absent values are an empty list; an empty object is an empty group"},
		{`null`, filter.Group{}, "null is the empty group"},
		{`{"id":"f1","mode":"and","filters":[{"id":"x","key":["ids"],"values":["a"],"extra":{"n":[1, 2]}}],"filterGroups":[]}`,
			filter.Group{Mode: filter.And, Filters: []filter.Filter{{Key: []string{"ids"}, Values: []string{"a"}, Operator: filter.Eq, Mode: filter.Or,
				Extra: map[string]json.RawMessage{"id": json.RawMessage(`"x"`), "extra": json.RawMessage(`{"n":[1, 2]}`)}}},
				FilterGroups: []filter.Group{}, Extra: map[string]json.RawMessage{"id": json.RawMessage(`"f1"`)}},
			"unknown members are kept in Extra"},
		{`{"mode":"or","mode":"and"}`, filter.Group{Mode: filter.And, Filters: []filter.Filter{}, FilterGroups: []filter.Group{}},
			"a repeated member: the last wins, as with encoding/json"},
	}
	for _, c := range cases {
		got, err := filter.Parse([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.rule, err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.rule, diff)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ in, want, rule string }{
		{``, `filter: not well-formed JSON`, "empty input"},
		{`{"mode":"and"`, `filter: not well-formed JSON`, "truncated"},
		{`{"mode":"and"} x`, `filter: not well-formed JSON`, "trailing data"},
		{`[]`, `filter: document: a filter group must be an object, got an array`, "the document must be an object"},
		{`{"mode":1}`, `filter: mode: must be a string, got a number`, "mode must be a string"},
		{`{"filters":{}}`, `filter: filters: must be an array, got an object`, "filters must be an array"},
		{`{"filters":[1]}`, `filter: filters[0]: a filter must be an object, got a number`, "a filter must be an object"},
		{`{"filters":[{"key":7}]}`, `filter: filters[0].key: must be an array, got a number`, "key must be a string or a list"},
		{`{"filters":[{"key":["a",false]}]}`, `filter: filters[0].key[1]: a key must be a string, got a boolean`, "key elements are strings"},
		{`{"filters":[{"key":["a"],"values":"x"}]}`, `filter: filters[0].values: must be an array, got a string`, "values must be a list"},
		{`{"filters":[{"key":["a"],"values":["x",null]}]}`, `filter: filters[0].values[1]: null is not a filter value`, "null values are refused"},
		{`{"filters":[{"key":["a"],"values":[{"id":"x","value":"y"}]}]}`,
			`filter: filters[0].values[0]: an object value must be {key, values}, as regardingOf's are (the pre-5.12 filter format is not supported)`,
			"object values of the old format are refused"},
		{`{"filters":[{"key":["regardingOf"],"values":["x",{"key":"id","values":[]}]}]}`,
			`filter: filters[0].values[1]: values mix plain values and {key, values} objects`, "plain values then objects"},
		{`{"filters":[{"key":["regardingOf"],"values":[{"key":"id","values":[]},"x"]}]}`,
			`filter: filters[0].values[1]: values mix plain values and {key, values} objects`, "objects then plain values"},
		{`{"filters":[{"key":["regardingOf"],"values":[{"key":"id","values":[{"key":"id","values":[]}]}]}]}`,
			`filter: filters[0].values[0].values[0]: {key, values} objects nested in values of values`, "one level of {key, values} only"},
		{`{"filters":[{"key":["a"],"values":[["x"]]}]}`, `filter: filters[0].values[0]: an array is not a filter value`, "nested lists are refused"},
		{`{"filters":[{"key":["a"],"operator":5}]}`, `filter: filters[0].operator: must be a string, got a number`, "operator must be a string"},
		{`{"filterGroups":[{"filterGroups":[{"mode":[]}]}]}`, `filter: filterGroups[0].filterGroups[0].mode: must be a string, got an array`, "the path of a nested member"},
		{`{"filterGroups":["x"]}`, `filter: filterGroups[0]: a filter group must be an object, got a string`, "a subgroup must be an object"},
		{nested(40), `filter: JSON nested deeper than 72 levels`, "hostile nesting is refused before parsing"},
		{nested(33), `filter: filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0].filterGroups[0]: groups nested deeper than 32 levels`,
			"groups nest at most 32 levels"},
	}
	for _, c := range cases {
		_, err := filter.Parse([]byte(c.in))
		if err == nil {
			t.Errorf("%s: no error", c.rule)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.rule, err, c.want)
		}
		var se *filter.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: %T is not a *SyntaxError", c.rule, err)
		}
	}
}

// nested returns a group nested n levels deep.
func nested(n int) string {
	s := `{}`
	for range n {
		s = `{"filterGroups":[` + s + `]}`
	}
	return s
}

// canonicalJSON are documents in the form MarshalJSON writes: JSON → Group → JSON gives them
// back byte for byte.
var canonicalJSON = []string{
	`{"mode":"and","filters":[],"filterGroups":[]}`,
	`{"mode":"and","filters":[{"key":["entity_type"],"values":["Indicator"],"operator":"eq","mode":"or"},{"key":["objectLabel"],"values":["detection"],"operator":"eq","mode":"or"}],"filterGroups":[]}`,
	`{"mode":"or","filters":[{"key":["x_opencti_score"],"values":["50"],"operator":"gte","mode":"or"}],"filterGroups":[{"mode":"and","filters":[{"key":["objectLabel"],"values":[],"operator":"nil","mode":"or"}],"filterGroups":[]}]}`,
	`{"mode":"and","filters":[{"key":["pattern"],"values":["[file:name = 'a\"b\\\\c<d>&']","tab\there","nl\nx","\u0001","é ü 日本"],"operator":"contains","mode":"and"}],"filterGroups":[]}`,
	`{"mode":"and","filters":[{"key":["ids"],"values":["a"],"operator":"eq","mode":"or","id":"8e1c","z":{"n":[1,2]}}],"filterGroups":[],"id":"root"}`,
	`{"mode":"xor","filters":[{"key":["a","b"],"values":["1"],"operator":"like","mode":"any"}],"filterGroups":[]}`,
	`{"mode":"and","filters":[{"key":["regardingOf"],"values":[{"key":"id","values":["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]},{"key":"relationship_type","values":["uses","targets"]}],"operator":"eq","mode":"or"},{"key":["modified"],"values":["now-1M/M","now"],"operator":"within","mode":"or"}],"filterGroups":[]}`,
}

func TestJSONRoundTrip(t *testing.T) {
	for _, doc := range canonicalJSON {
		g, err := filter.Parse([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		out, err := g.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(doc, string(out)); diff != "" {
			t.Errorf("JSON → Group → JSON (-want +got):\n%s", diff)
		}
		// Through encoding/json, as a host embedding a Group does (it escapes <, > and &).
		if out, err = json.Marshal(g); err != nil {
			t.Fatal(err)
		}
		var back filter.Group
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(g, back); diff != "" {
			t.Errorf("Group → JSON → Group (-want +got):\n%s", diff)
		}
	}
}

func TestJSONNormalises(t *testing.T) {
	cases := []struct{ in, want, rule string }{
		{`{ "filters" : [ { "key" : "entity_type" , "values" : [ "Indicator" ] } ] }`,
			`{"mode":"and","filters":[{"key":["entity_type"],"values":["Indicator"],"operator":"eq","mode":"or"}],"filterGroups":[]}`,
			"defaults written, white space dropped, key listed"},
		{`{"filters":[{"key":["confidence"],"values":[50, true],"operator":"gte"}]}`,
			`{"mode":"and","filters":[{"key":["confidence"],"values":["50","true"],"operator":"gte","mode":"or"}],"filterGroups":[]}`,
			"numbers and booleans become strings"},
		{`{"filters":[{"key":["a"],"values":["\u003c\/x\u00e9"]}]}`,
			`{"mode":"and","filters":[{"key":["a"],"values":["</xé"],"operator":"eq","mode":"or"}],"filterGroups":[]}`,
			"escapes are decoded and only what JSON needs is escaped again"},
	}
	for _, c := range cases {
		g, err := filter.Parse([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		out, _ := g.MarshalJSON()
		if diff := cmp.Diff(c.want, string(out)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.rule, diff)
		}
	}
}

// TestMarshalGoGroup checks Groups built in Go: empty modes and operators are written as
// OpenCTI's defaults and nil lists as [].
func TestMarshalGoGroup(t *testing.T) {
	g := filter.Group{
		Filters:      []filter.Filter{{Key: []string{"objectLabel"}, Values: []string{"x"}}},
		FilterGroups: []filter.Group{{}},
	}
	out, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mode":"and","filters":[{"key":["objectLabel"],"values":["x"],"operator":"eq","mode":"or"}],"filterGroups":[{"mode":"and","filters":[],"filterGroups":[]}]}`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	f, err := json.Marshal(g.Filters[0])
	if err != nil {
		t.Fatal(err)
	}
	var back filter.Filter
	if err := json.Unmarshal(f, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(filter.Filter{Key: []string{"objectLabel"}, Values: []string{"x"}, Operator: filter.Eq, Mode: filter.Or}, back); diff != "" {
		t.Errorf("Filter round trip (-want +got):\n%s", diff)
	}
	bad := filter.Group{Extra: map[string]json.RawMessage{"x": json.RawMessage(`{`)}}
	if _, err := bad.MarshalJSON(); err == nil {
		t.Error("an Extra member that is not JSON must fail to marshal")
	}
}
