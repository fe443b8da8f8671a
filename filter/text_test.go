package filter_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/filter"
)

func f(key string, op filter.Operator, mode filter.Mode, values ...string) filter.Filter {
	if values == nil {
		values = []string{}
	}
	return filter.Filter{Key: []string{key}, Values: values, Operator: op, Mode: mode}
}

func grp(mode filter.Mode, filters []filter.Filter, groups ...filter.Group) filter.Group {
	if filters == nil {
		filters = []filter.Filter{}
	}
	if groups == nil {
		groups = []filter.Group{}
	}
	return filter.Group{Mode: mode, Filters: filters, FilterGroups: groups}
}

func TestParseText(t *testing.T) {
	cases := []struct {
		in   string
		want filter.Group
		rule string
	}{
		{``, grp(filter.And, nil), "blank text is the empty group"},
		{"  \t\n", grp(filter.And, nil), "white space only is the empty group"},
		{`entity_type = Indicator`, grp(filter.And, []filter.Filter{f("entity_type", filter.Eq, filter.Or, "Indicator")}), "one filter"},
		{`a = 1 and b != 2`, grp(filter.And, []filter.Filter{f("a", filter.Eq, filter.Or, "1"), f("b", filter.NotEq, filter.Or, "2")}), "and"},
		{`a < 1 OR b <= 2 Or c > 3 or d >= 4`, grp(filter.Or, []filter.Filter{f("a", filter.Lt, filter.Or, "1"), f("b", filter.Lte, filter.Or, "2"),
			f("c", filter.Gt, filter.Or, "3"), f("d", filter.Gte, filter.Or, "4")}), "connectives in any case; the symbolic operators"},
		{`a=1 and b>=2`, grp(filter.And, []filter.Filter{f("a", filter.Eq, filter.Or, "1"), f("b", filter.Gte, filter.Or, "2")}), "no spaces around symbols"},
		{`a CONTAINS x and b not_starts_with y and c search "w z" and d gte 5`, grp(filter.And, []filter.Filter{f("a", filter.Contains, filter.Or, "x"),
			f("b", filter.NotStartsWith, filter.Or, "y"), f("c", filter.Search, filter.Or, "w z"), f("d", filter.Gte, filter.Or, "5")}), "OpenCTI's operator names, any case"},
		{`a = (x or y)`, grp(filter.And, []filter.Filter{f("a", filter.Eq, filter.Or, "x", "y")}), "a value list with or"},
		{`a = (x and "y z" and w)`, grp(filter.And, []filter.Filter{f("a", filter.Eq, filter.And, "x", "y z", "w")}), "a value list with and"},
		{`a = (x)`, grp(filter.And, []filter.Filter{f("a", filter.Eq, filter.Or, "x")}), "a list of one"},
		{`a = ()`, grp(filter.And, []filter.Filter{f("a", filter.Eq, filter.Or)}), "an empty value list"},
		{`a nil and b not_nil`, grp(filter.And, []filter.Filter{f("a", filter.Nil, filter.Or), f("b", filter.NotNil, filter.Or)}), "operators without values"},
		{`(a = 1 or b = 2) and c = 3`, grp(filter.And, []filter.Filter{f("c", filter.Eq, filter.Or, "3")},
			grp(filter.Or, []filter.Filter{f("a", filter.Eq, filter.Or, "1"), f("b", filter.Eq, filter.Or, "2")})), "a nested group"},
		{`()`, grp(filter.And, nil, grp(filter.And, nil)), "an empty nested group"},
		{`((a = 1))`, grp(filter.And, nil, grp(filter.And, nil, grp(filter.And, []filter.Filter{f("a", filter.Eq, filter.Or, "1")}))), "parentheses are groups"},
		{`"odd key" = "a \"quoted\" value\n" and pattern = [ipv4-addr:value='1.2.3.4']`,
			grp(filter.And, []filter.Filter{f("odd key", filter.Eq, filter.Or, "a \"quoted\" value\n"), f("pattern", filter.Eq, filter.Or, "[ipv4-addr:value='1.2.3.4']")}),
			"quoted keys and values; bare values hold anything but spaces, quotes and parentheses"},
		{`a = "and" and b = or`, grp(filter.And, []filter.Filter{f("a", filter.Eq, filter.Or, "and"), f("b", filter.Eq, filter.Or, "or")}), "a connective word as a value"},
		{`label = école`, grp(filter.And, []filter.Filter{f("label", filter.Eq, filter.Or, "école")}), "non-ASCII bare values"},
	}
	for _, c := range cases {
		got, err := filter.ParseText(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.rule, err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.rule, diff)
		}
	}
}

func TestParseTextErrors(t *testing.T) {
	cases := []struct{ in, want, rule string }{
		{`a = 1 and b = 2 or c = 3`, `filter: text offset 16: "or" after "and" in the same group: add parentheses`, "mixed connectives need parentheses"},
		{`a = (x or y and z)`, `filter: text offset 12: "and" after "or" in one value list`, "mixed connectives in a value list"},
		{`a`, `filter: text offset 1: expected an operator, found the end`, "a key alone"},
		{`a ~ 1`, `filter: text offset 2: expected an operator, found "~"`, "unknown symbol"},
		{`a == 1`, `filter: text offset 2: unknown operator "=="`, "== is no operator"},
		{`a like 1`, `filter: text offset 2: unknown operator "like"`, "unknown operator word"},
		{`a only_eq_to 1`, `filter: text offset 2: unknown operator "only_eq_to"`, "operators outside the feed set"},
		{`a =`, `filter: text offset 3: expected a value, found the end`, "a missing value"},
		{`r = {id x}`, `filter: text offset 8: expected "=" after "id" in {…}, found "x}"`, "a subfilter needs ="},
		{`r = {id = x`, `filter: text offset 11: expected "}" to close the {…} values, found the end`, "an unclosed {…}"},
		{`r = {id = x y}`, `filter: text offset 12: expected "," or "}" in {…}, found "y}"`, "subfilters are separated by commas"},
		{`a = 1 and`, `filter: text offset 9: expected a filter or "(", found the end`, "a dangling connective"},
		{`a = 1 b = 2`, `filter: text offset 6: expected "and", "or", ")" or the end, found "b"`, "a missing connective"},
		{`(a = 1`, `filter: text offset 6: expected ")", found the end`, "an unclosed group"},
		{`a = 1)`, `filter: text offset 5: unbalanced ")"`, "an unbalanced parenthesis"},
		{`a = (x y)`, `filter: text offset 7: expected "and", "or" or ")" in the value list, found "y)"`, "a missing connective in a list"},
		{`a = (x or`, `filter: text offset 9: expected a value, found the end`, "an unclosed list"},
		{`a nil x`, `filter: text offset 6: nil takes no value, found "x"`, "nil takes no value"},
		{`a = "x`, `filter: text offset 4: unterminated quoted string`, "unterminated string"},
		{`a = "\q"`, `filter: text offset 4: malformed quoted string "\q"`, "bad escape"},
		{`= 1`, `filter: text offset 0: expected a key, found "="`, "a missing key"},
		{`a = )`, `filter: text offset 4: expected a value, found ")"`, "a parenthesis as a value"},
		{nestedText(33), `filter: text offset 32: groups nested deeper than 32 levels`, "nesting is bounded"},
	}
	for _, c := range cases {
		_, err := filter.ParseText(c.in)
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

func nestedText(n int) string {
	s := `a = 1`
	for range n {
		s = `(` + s + `)`
	}
	return s
}

// canonicalText is text in the form String writes: text → Group → text gives it back.
var canonicalText = []string{
	``,
	`entity_type = Indicator`,
	`entity_type = Indicator and objectLabel = detection`,
	`entity_type = (Indicator or Malware) and (objectLabel = detection or x_opencti_score >= 50)`,
	`(a = x or b != y) and (c < 1 or d <= 2) and (e > 3 and f >= 4)`,
	`objectLabel = (a and b and c) or objectLabel != ()`,
	`a = () and b nil and c not_nil`,
	`a contains x and b not_contains x and c starts_with x and d not_starts_with x and e ends_with x and f not_ends_with x and g search "x y"`,
	`pattern = "[ipv4-addr:value = '198.51.100.3']" and description = "a \"b\" c\n"`,
	`"odd key" = "and" and x = "or" and y = "" and z = "\x00"`,
	`label = école and label = "tab\there"`,
	`()`,
	`(()) or ((a = 1))`,
	`regardingOf = {id = (malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b or intrusion-set--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e), relationship_type = uses} and modified within (now-1M/M or now)`,
	`regardingOf != {id = malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b} and x = "{a}" and y = {z = "a,b", w = "}"}`,
}

func TestTextRoundTrip(t *testing.T) {
	for _, text := range canonicalText {
		g, err := filter.ParseText(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if diff := cmp.Diff(text, g.String()); diff != "" {
			t.Errorf("text → Group → text (-want +got):\n%s", diff)
		}
		// Through JSON too: the text and JSON forms describe the same groups.
		data, err := g.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := filter.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(g, back); diff != "" {
			t.Errorf("text → Group → JSON → Group (-want +got):\n%s", diff)
		}
	}
}

func TestStringNormalises(t *testing.T) {
	cases := []struct{ in, want, rule string }{
		{`a=1 AND b CONTAINS y`, `a = 1 and b contains y`, "spacing and case"},
		{`a gte 5 and b eq 1 and c not_eq 2`, `a >= 5 and b = 1 and c != 2`, "symbols where there are some"},
		{`(c = 1) and a = 1`, `a = 1 and (c = 1)`, "filters before subgroups"},
		{`a = (x)`, `a = x`, "a list of one"},
		{`a = "plain"`, `a = plain`, "quotes only where needed"},
	}
	for _, c := range cases {
		g, err := filter.ParseText(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		if got := g.String(); got != c.want {
			t.Errorf("%s: got %q, want %q", c.rule, got, c.want)
		}
	}
}

// TestStringOfJSON checks the text of groups that arrive as JSON, including what the text form
// cannot say: a single value's mode, a single-term group's mode, Extra.
func TestStringOfJSON(t *testing.T) {
	cases := []struct{ json, want, rule string }{
		{`{"mode":"or","filters":[{"key":["a"],"values":["x"],"mode":"and"}]}`, `a = x`, "modes with one term or value do not show"},
		{`{"filters":[{"key":["a"],"values":["x","y"],"mode":"and","id":"f"}],"id":"g"}`, `a = (x and y)`, "Extra does not show"},
		{`{"filters":[{"key":["a"],"values":["x"],"operator":"nil"}]}`, `a nil`, "values of nil do not show"},
	}
	for _, c := range cases {
		g, err := filter.Parse([]byte(c.json))
		if err != nil {
			t.Fatal(err)
		}
		if got := g.String(); got != c.want {
			t.Errorf("%s: got %q, want %q", c.rule, got, c.want)
		}
	}
	if got := f("a", filter.Gte, filter.Or, "5").String(); got != `a >= 5` {
		t.Errorf("Filter.String: got %q", got)
	}
}
