package filter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/filter"
)

// operatorKindCases are the operator families that do not apply to number and boolean keys:
// validation rejects them instead of letting them silently never (or always) match.
var operatorKindCases = func() []struct {
	key string
	op  filter.Operator
} {
	var out []struct {
		key string
		op  filter.Operator
	}
	numbers := []string{"confidence", "x_opencti_score", "x_opencti_epss_score", "x_opencti_epss_percentile", "x_opencti_cvss_base_score"}
	booleans := []string{"revoked", "x_opencti_detection", "x_opencti_cisa_kev"}
	for _, k := range numbers {
		for _, op := range []filter.Operator{filter.Contains, filter.NotContains, filter.StartsWith, filter.NotStartsWith, filter.EndsWith, filter.NotEndsWith, filter.Search} {
			out = append(out, struct {
				key string
				op  filter.Operator
			}{k, op})
		}
	}
	dates := []string{"created", "modified", "valid_from", "valid_until", "published", "first_seen",
		"last_seen", "start_time", "stop_time", "first_observed", "last_observed", "created_at", "updated_at"}
	for _, k := range dates {
		for _, op := range []filter.Operator{filter.Contains, filter.NotContains, filter.StartsWith, filter.NotStartsWith, filter.EndsWith, filter.NotEndsWith, filter.Search} {
			out = append(out, struct {
				key string
				op  filter.Operator
			}{k, op})
		}
	}
	for _, k := range []string{"regardingOf", "connectedToId", "containers", "sightedBy"} {
		for _, op := range []filter.Operator{filter.Contains, filter.NotContains, filter.StartsWith, filter.NotStartsWith, filter.EndsWith, filter.NotEndsWith, filter.Search, filter.Lt, filter.Lte, filter.Gt, filter.Gte, filter.Within, filter.Nil, filter.NotNil} {
			out = append(out, struct {
				key string
				op  filter.Operator
			}{k, op})
		}
	}
	for _, k := range booleans {
		for _, op := range []filter.Operator{filter.Contains, filter.NotContains, filter.StartsWith, filter.NotStartsWith, filter.EndsWith, filter.NotEndsWith, filter.Search, filter.Lt, filter.Lte, filter.Gt, filter.Gte} {
			out = append(out, struct {
				key string
				op  filter.Operator
			}{k, op})
		}
	}
	return out
}()

func TestValidateOperatorKind(t *testing.T) {
	for _, c := range operatorKindCases {
		g := filter.Group{Filters: []filter.Filter{{Key: []string{c.key}, Values: []string{"1"}, Operator: c.op}}}
		err := g.Validate(nil)
		if !errors.Is(err, filter.ErrOperatorKind) {
			t.Errorf("%s %s: got %v, want ErrOperatorKind", c.key, c.op, err)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		json string
		want []string // the errors, in order
		is   error
		rule string
	}{
		{`{"mode":"and","filters":[{"key":["foo"],"values":["x"]}]}`,
			[]string{`filter: filters[0].key: unknown key "foo"`}, filter.ErrUnknownKey, "unknown key"},
		{`{"mode":"and","filterGroups":[{},{"filters":[{"key":["foo"],"values":["x"]}]}]}`,
			[]string{`filter: filterGroups[1].filters[0].key: unknown key "foo"`}, filter.ErrUnknownKey, "the path names the nested place"},
		{`{"mode":"xor"}`, []string{`filter: mode: unknown mode "xor" (want "and" or "or")`}, filter.ErrUnknownMode, "group mode"},
		{`{"mode":"AND"}`, []string{`filter: mode: unknown mode "AND" (want "and" or "or")`}, filter.ErrUnknownMode, "modes are lower case, as OpenCTI's enum"},
		{`{"filters":[{"key":["entity_type"],"values":["x"],"mode":"any"}]}`,
			[]string{`filter: filters[0].mode: unknown mode "any" (want "and" or "or")`}, filter.ErrUnknownMode, "filter mode"},
		{`{"filters":[{"key":["entity_type"],"values":["x"],"operator":"like"}]}`,
			[]string{`filter: filters[0].operator: unknown operator "like"`}, filter.ErrUnknownOperator, "unknown operator"},
		{`{"filters":[{"key":["entity_type"],"values":["x"],"operator":"only_eq_to"}]}`,
			[]string{`filter: filters[0].operator: unknown operator "only_eq_to"`}, filter.ErrUnknownOperator, "OpenCTI operators outside the feed set are refused"},
		{`{"filters":[{"key":[],"values":["x"]}]}`,
			[]string{`filter: filters[0].key: a filter takes exactly one key, got 0`}, filter.ErrKeyCount, "no key"},
		{`{"filters":[{"key":["entity_type","objectLabel"],"values":["x"]}]}`,
			[]string{`filter: filters[0].key: a filter takes exactly one key, got 2`}, filter.ErrKeyCount, "two keys"},
		{`{"filters":[{"key":["confidence"],"values":["high"],"operator":"gte"}]}`,
			[]string{`filter: filters[0].values[0]: "high" is not a number`}, filter.ErrValue, "a number key takes numbers"},
		{`{"filters":[{"key":["confidence"],"values":["0x10"],"operator":"gte"}]}`,
			[]string{`filter: filters[0].values[0]: "0x10" is not a number`}, filter.ErrValue, "decimal numbers only"},
		{`{"filters":[{"key":["revoked"],"values":["maybe"]}]}`,
			[]string{`filter: filters[0].values[0]: "maybe" is not a boolean (true, false, yes, no, 1, 0)`}, filter.ErrValue, "a boolean key takes boolean spellings"},
		{`{"filters":[{"key":["objectMarking"],"values":["TLP:GREEN"]}]}`,
			[]string{`filter: filters[0].values[0]: "TLP:GREEN" is not a STIX identifier`}, filter.ErrValue, "reference keys take STIX ids with eq"},
		{`{"filters":[{"key":["createdBy"],"values":["9a6f0f3a-1b2c-4d3e-8f4a-5b6c7d8e9f0a"],"operator":"not_eq"}]}`,
			[]string{`filter: filters[0].values[0]: "9a6f0f3a-1b2c-4d3e-8f4a-5b6c7d8e9f0a" is not a STIX identifier`}, filter.ErrValue, "an OpenCTI internal id is no STIX id"},
		{`{"filters":[{"key":["ids"],"values":["abc"]}]}`,
			[]string{`filter: filters[0].values[0]: "abc" is neither a STIX identifier nor an OpenCTI internal id`}, filter.ErrValue, "ids takes either kind of id"},
		{`{"filters":[{"key":["objectLabel"],"values":["x"],"operator":"nil"}]}`,
			[]string{`filter: filters[0].values: nil takes no values, got 1`}, filter.ErrValue, "nil takes no values"},
		{`{"filters":[{"key":["objectLabel"],"values":[],"operator":"contains"}]}`,
			[]string{`filter: filters[0].values: contains needs at least one value`}, filter.ErrValue, "contains needs a value"},
		{`{"filters":[{"key":["objectLabel"],"values":["  "],"operator":"search"}]}`,
			[]string{`filter: filters[0].values[0]: search with an empty value would match every candidate`}, filter.ErrValue, "an empty search matches everything"},
		{`{"filters":[{"key":["confidence"],"values":["1"],"operator":"contains"}]}`,
			[]string{`filter: filters[0].operator: contains does not apply to number key "confidence"`}, filter.ErrOperatorKind, "text operator on a number key"},
		{`{"filters":[{"key":["revoked"],"values":["true"],"operator":"gt"}]}`,
			[]string{`filter: filters[0].operator: gt does not apply to boolean key "revoked"`}, filter.ErrOperatorKind, "range operator on a boolean key"},
		{`{"filters":[{"key":["created"],"values":["yesterday"],"operator":"gt"}]}`,
			[]string{`filter: filters[0].values[0]: "yesterday" is not a date (RFC 3339 date-time, YYYY-MM-DD, or now, now-7d, now-1M/M)`}, filter.ErrValue, "a date key takes dates"},
		{`{"filters":[{"key":["created"],"values":["now/d"],"operator":"gt"}]}`,
			[]string{`filter: filters[0].values[0]: "now/d" is not a date (RFC 3339 date-time, YYYY-MM-DD, or now, now-7d, now-1M/M)`}, filter.ErrValue, "OpenCTI's grammar rounds only after an offset"},
		{`{"filters":[{"key":["created"],"values":["2024-02-30"],"operator":"gt"}]}`,
			[]string{`filter: filters[0].values[0]: "2024-02-30" is not a date (RFC 3339 date-time, YYYY-MM-DD, or now, now-7d, now-1M/M)`}, filter.ErrValue, "calendar dates only"},
		{`{"filters":[{"key":["modified"],"values":["now-1d"],"operator":"within"}]}`,
			[]string{`filter: filters[0].values: within takes exactly two values (from, to), got 1`}, filter.ErrValue, "within takes two values"},
		{`{"filters":[{"key":["confidence"],"values":["1","2"],"operator":"within"}]}`,
			[]string{`filter: filters[0].operator: within does not apply to number key "confidence"`}, filter.ErrOperatorKind, "within is for dates"},
		{`{"filters":[{"key":["created"],"values":["now"],"operator":"contains"}]}`,
			[]string{`filter: filters[0].operator: contains does not apply to date key "created"`}, filter.ErrOperatorKind, "text operator on a date key"},
		{`{"filters":[{"key":["containers"],"values":["` + idMalware + `"]}]}`,
			[]string{`filter: filters[0].key: key "containers" needs the store's relationships, and this feed gives the filter no resolver`}, filter.ErrNoResolver, "a relationship key without a resolver names the key"},
		{`{"filters":[{"key":["regardingOf"],"values":[{"key":"relationship_type","values":["uses"]},{"key":"name","values":["x"]}]}]}`,
			[]string{`filter: filters[0].key: key "regardingOf" needs the store's relationships, and this feed gives the filter no resolver`,
				`filter: filters[0].values[1].key: regardingOf takes the keys "id" and "relationship_type", got "name"`,
				`filter: filters[0].values: regardingOf needs an id: "any object with a relationship of this type" would cost a store look-up per object`},
			filter.ErrNoResolver, "regardingOf's values are id and relationship_type, id required"},
		{`{"filters":[{"key":["objectLabel"],"values":[{"key":"id","values":["x"]}]}]}`,
			[]string{`filter: filters[0].values: key "objectLabel" takes plain values; only regardingOf takes {key, values} objects`}, filter.ErrValue, "only regardingOf takes objects"},
		{`{"mode":"nand","filters":[{"key":["foo"],"values":["x"]},{"key":["confidence"],"values":["a","b"],"operator":"lt"}],
		   "filterGroups":[{"mode":"either"}]}`,
			[]string{`filter: mode: unknown mode "nand" (want "and" or "or")`,
				`filter: filters[0].key: unknown key "foo"`,
				`filter: filters[1].values[0]: "a" is not a number`,
				`filter: filters[1].values[1]: "b" is not a number`,
				`filter: filterGroups[0].mode: unknown mode "either" (want "and" or "or")`},
			filter.ErrUnknownMode, "every problem is reported, in document order"},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			g, err := filter.Parse([]byte(c.json))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = g.Validate(nil)
			if err == nil {
				t.Fatal("Validate: no error")
			}
			if diff := cmp.Diff(c.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if !errors.Is(err, c.is) {
				t.Errorf("errors.Is(err, %v) = false", c.is)
			}
			var ve *filter.ValidationError
			if !errors.As(err, &ve) || !strings.HasPrefix(c.want[0], "filter: "+ve.Path+": ") {
				t.Errorf("errors.As: %v, path %q", ve, ve.Path)
			}
			if _, err := filter.Compile(g, nil); err == nil || err.Error() != strings.Join(c.want, "\n") {
				t.Errorf("Compile must report what Validate does, got %v", err)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	valid := []struct{ text, rule string }{
		{`objectMarking = MARKING-DEFINITION--BAB4A63C-AED9-4CF5-A766-DFCA5ABAC2BB`, "identifiers compare case-insensitively, so upper case is a valid id"},
		{`objectMarking contains bab4`, "a partial id with a text operator"},
		{`ids = ` + internalID, "ids takes an OpenCTI internal id"},
		{`confidence >= " 50 "`, "numbers are trimmed"},
		{`revoked = (Yes or 0)`, "boolean spellings in any case"},
		{`entity_type = ()`, "eq with no values (nil)"},
		{`objectLabel != ()`, "not_eq with no values (not_nil)"},
		{`entity_type = X-Anything-Custom`, "entity types are an open set"},
	}
	for _, c := range valid {
		g, err := filter.ParseText(c.text)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Validate(nil); err != nil {
			t.Errorf("%s: %v", c.rule, err)
		}
	}
}

func TestValidateTooDeep(t *testing.T) {
	g := filter.Group{}
	for range 40 {
		g = filter.Group{FilterGroups: []filter.Group{g}}
	}
	err := g.Validate(nil)
	if !errors.Is(err, filter.ErrTooDeep) {
		t.Errorf("got %v, want ErrTooDeep", err)
	}
}

func TestValidateHostKeys(t *testing.T) {
	g, _ := filter.ParseText(`x_a = 1 and x_b = 2`)
	err := g.Validate(&filter.CompileOptions{Keys: map[string]filter.Key{
		"x_a": {},
		"x_b": {Kind: filter.Kind(9), Paths: []string{"x_b"}},
	}})
	if !errors.Is(err, filter.ErrKeyDefinition) {
		t.Fatalf("got %v, want ErrKeyDefinition", err)
	}
	for _, want := range []string{`filter: CompileOptions.Keys["x_a"]: a key needs Paths or Func`, `filter: CompileOptions.Keys["x_b"].Kind: unknown kind 9`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	if err := g.Validate(nil); !errors.Is(err, filter.ErrUnknownKey) {
		t.Errorf("without the host's keys: got %v, want ErrUnknownKey", err)
	}
}
