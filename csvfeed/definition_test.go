package csvfeed_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
)

// openCTIFeed is a feed as OpenCTI exports one: filters as a JSON string, members this
// package does not know (entity_type, created_at), a neighbour mapping.
const openCTIFeed = `{
  "id": "7a1c0c8e-1d2b-4e55-9b36-2d0c0f4a7f10", "entity_type": "Feed", "created_at": "2024-05-01T10:00:00.000Z",
  "name": "Detection IoCs", "description": "for the SIEM",
  "filters": "{\"mode\":\"and\",\"filters\":[{\"key\":[\"objectLabel\"],\"values\":[\"detection\"],\"operator\":\"eq\",\"mode\":\"or\"}],\"filterGroups\":[]}",
  "feed_types": ["Indicator", "StixFile"], "separator": ";", "include_header": true, "rolling_time": 60,
  "feed_date_attribute": "created_at", "feed_public": false,
  "authorized_members": [{"kind": "group", "id": "soc"}],
  "feed_attributes": [
    {"attribute": "value", "mappings": [{"type": "Indicator", "attribute": "pattern"}, {"type": "StixFile", "attribute": "hashes.SHA-256"}]},
    {"attribute": "malware", "multi_match_strategy": "first", "multi_match_separator": "|",
     "mappings": [{"type": "Indicator", "attribute": "name", "relationship_type": "indicates", "target_entity_type": "Malware"}]}
  ],
  "interval": "15m", "max_rows": 1000, "window": "rolling", "allow_formulas": true
}`

// TestDefinitionJSON: OpenCTI's JSON decodes, validates, and round-trips: encoding the
// decoded definition and decoding it again gives the same definition.
func TestDefinitionJSON(t *testing.T) {
	var d csvfeed.Definition
	if err := json.Unmarshal([]byte(openCTIFeed), &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Interval != 15*time.Minute || d.Window != csvfeed.Rolling || len(d.Filters.Filters) != 1 ||
		d.AuthorizedMembers[0] != (access.Member{Kind: access.MemberGroup, ID: "soc"}) ||
		d.Attributes[1].Mappings[0].TargetEntityType != "Malware" {
		t.Errorf("decoded %+v", d)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var again csvfeed.Definition
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	if diff := cmp.Diff(d, again); diff != "" {
		t.Errorf("round trip (-first +second):\n%s", diff)
	}
	if !strings.Contains(string(b), `"filters":{"mode":"and"`) {
		t.Errorf("filters not written as an object: %s", b)
	}
	// OpenCTI would read an empty separator or date attribute literally: the defaults are
	// written out.
	b, err = json.Marshal(csvfeed.Definition{ID: "x"})
	if err != nil || !strings.Contains(string(b), `"separator":","`) || !strings.Contains(string(b), `"feed_date_attribute":"updated_at"`) {
		t.Errorf("zero definition: %s %v", b, err)
	}
}

// TestValidate: each rule is reported with the member it concerns.
func TestValidate(t *testing.T) {
	base := func() csvfeed.Definition {
		var d csvfeed.Definition
		if err := json.Unmarshal([]byte(openCTIFeed), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		rule string
		edit func(*csvfeed.Definition)
		want string
	}{
		{"an id is needed", func(d *csvfeed.Definition) { d.ID = "" }, "id: missing"},
		{"the id is a URL path segment", func(d *csvfeed.Definition) { d.ID = "a/b" }, `id: "a/b" cannot be a URL path segment`},
		{"the id is not a dot segment", func(d *csvfeed.Definition) { d.ID = ".." }, `id: ".." cannot be a URL path segment`},
		{"a name is needed", func(d *csvfeed.Definition) { d.Name = " " }, "name: missing"},
		{"feed types are needed", func(d *csvfeed.Definition) { d.FeedTypes = nil }, "feed_types: at least one entity type is needed"},
		{"a separator is one character", func(d *csvfeed.Definition) { d.Separator = ";;" }, `separator: ";;" is not one character`},
		{"a quote cannot separate", func(d *csvfeed.Definition) { d.Separator = `"` }, `separator: "\"" cannot separate cells`},
		{"a newline cannot separate", func(d *csvfeed.Definition) { d.Separator = "\n" }, `separator: "\n" cannot separate cells`},
		{"the date attribute is known", func(d *csvfeed.Definition) { d.DateAttribute = "modified" }, `feed_date_attribute: "modified" is not created_at or updated_at`},
		{"the window mode is known", func(d *csvfeed.Definition) { d.Window = "daily" }, `window: "daily" is not since_previous or rolling`},
		{"a rolling window needs a length", func(d *csvfeed.Definition) { d.RollingTime = 0 }, "rolling_time: a rolling window needs rolling_time > 0 minutes"},
		{"max rows is not negative", func(d *csvfeed.Definition) { d.MaxRows = -1 }, "max_rows: -1 is negative"},
		{"the interval is not negative", func(d *csvfeed.Definition) { d.Interval = -time.Second }, "interval: -1s is negative"},
		{"the interval is not too short", func(d *csvfeed.Definition) { d.Interval = time.Millisecond }, "interval: 1ms is shorter than 1s"},
		{"columns are needed", func(d *csvfeed.Definition) { d.Attributes = nil }, "feed_attributes: at least one column is needed"},
		{"a column has a name", func(d *csvfeed.Definition) { d.Attributes[0].Attribute = "" }, "feed_attributes[0].attribute: missing column name"},
		{"a mapping's type is a feed type", func(d *csvfeed.Definition) { d.Attributes[1].Mappings[0].Type = "Foo" }, `feed_attributes[1].mappings[0].type: "Foo" is not in feed_types`},
		{"feed types compare ignoring case", func(d *csvfeed.Definition) { d.Attributes[1].Mappings[0].Type = "indicator" }, ""},
		{"a type is mapped once per column", func(d *csvfeed.Definition) { d.Attributes[0].Mappings[1].Type = "Indicator" }, `feed_attributes[0].mappings[1].type: "Indicator" is mapped twice`},
		{"a path has no empty names", func(d *csvfeed.Definition) { d.Attributes[0].Mappings[1].Attribute = "hashes..x" }, `feed_attributes[0].mappings[1].attribute: empty property name in path "hashes..x"`},
		{"neighbour fields go together", func(d *csvfeed.Definition) { d.Attributes[1].Mappings[0].TargetEntityType = "" }, "feed_attributes[1].mappings[0]: relationship_type and target_entity_type go together"},
		{"the strategy is known", func(d *csvfeed.Definition) { d.Attributes[1].MultiMatchStrategy = "all" }, `feed_attributes[1].multi_match_strategy: "all" is not list or first`},
		{"members have a kind and an id", func(d *csvfeed.Definition) { d.AuthorizedMembers = []access.Member{{ID: "x"}} }, "authorized_members[0]: needs a kind (user, group or organization) and an id"},
		{"filters are validated where they sit", func(d *csvfeed.Definition) { d.Filters.Filters[0].Key = []string{"nope"} }, `filters.filters[0].key: `},
	}
	for _, tt := range tests {
		d := base()
		tt.edit(&d)
		err := d.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: unexpected %v", tt.rule, err)
		case tt.want == "":
		case err == nil:
			t.Errorf("%s: no error, want %q", tt.rule, tt.want)
		case !strings.Contains(err.Error(), "csvfeed: "+tt.want):
			t.Errorf("%s: %v\nwant %q", tt.rule, err, tt.want)
		case !errors.Is(err, csvfeed.ErrInvalid):
			t.Errorf("%s: %v does not wrap ErrInvalid", tt.rule, err)
		}
		if tt.want != "" {
			if _, cerr := csvfeed.Compile(d, nil); cerr == nil {
				t.Errorf("%s: Compile accepted it", tt.rule)
			}
		}
	}
	// Every problem is reported, each a *FieldError.
	d := base()
	d.ID, d.Separator = "", "ab"
	err := d.Validate()
	var fe *csvfeed.FieldError
	if !errors.As(err, &fe) || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("want two FieldErrors, got %v", err)
	}
}

// TestDefinitionJSONErrors: malformed members are named.
func TestDefinitionJSONErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"feed_types":"Indicator"}`, "feed_types: JSON string where an array is expected"},
		{`{"include_header":"yes"}`, "include_header: JSON string where a boolean is expected"},
		{`{"filters":[1]}`, "filters: "},
		{`{"filters":"{not json"}`, "filters: "},
		{`{"interval":"soon"}`, `interval: "soon" is not a duration`},
		{`{"authorized_members":[{"kind":"robot","id":"x"}]}`, "robot"},
		{`[]`, "csvfeed: invalid"},
	}
	for _, tt := range tests {
		var d csvfeed.Definition
		err := json.Unmarshal([]byte(tt.in), &d)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.want)
		}
	}
	// An empty filters string is the empty group, as OpenCTI writes it.
	var d csvfeed.Definition
	if err := json.Unmarshal([]byte(`{"filters":""}`), &d); err != nil || !d.Filters.IsEmpty() {
		t.Errorf(`filters "": %v %+v`, err, d.Filters)
	}
}
