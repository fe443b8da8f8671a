package filter_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
)

// A feed's filters arrive as OpenCTI FilterGroup JSON; absent operators and modes take
// OpenCTI's defaults.
func ExampleParse() {
	g, err := filter.Parse([]byte(`{
		"mode": "and",
		"filters": [
			{"key": ["entity_type"], "values": ["Indicator"], "operator": "eq", "mode": "or"},
			{"key": "objectLabel", "values": ["detection"]}
		],
		"filterGroups": []
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g)
	fmt.Println(g.Filters[1].Operator, g.Filters[1].Mode)
	out, _ := g.MarshalJSON()
	fmt.Println(string(out))
	// Output:
	// entity_type = Indicator and objectLabel = detection
	// eq or
	// {"mode":"and","filters":[{"key":["entity_type"],"values":["Indicator"],"operator":"eq","mode":"or"},{"key":["objectLabel"],"values":["detection"],"operator":"eq","mode":"or"}],"filterGroups":[]}
}

// The text form is for people and configuration files: a value list in parentheses takes the
// filter's mode, a parenthesised expression is a nested group.
func ExampleParseText() {
	g, err := filter.ParseText(`entity_type = (Indicator or Malware) and (objectLabel = detection or x_opencti_score >= 50)`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.Mode, len(g.Filters), len(g.FilterGroups), g.FilterGroups[0].Mode)
	fmt.Println(g)

	_, err = filter.ParseText(`entity_type = Indicator and objectLabel = a or objectLabel = b`)
	fmt.Println(err)
	// Output:
	// and 1 1 or
	// entity_type = (Indicator or Malware) and (objectLabel = detection or x_opencti_score >= 50)
	// filter: text offset 44: "or" after "and" in the same group: add parentheses
}

// Compile once per feed, then match every object.
func ExampleCompile() {
	g, _ := filter.ParseText(`entity_type = Indicator and objectLabel = detection`)
	m, err := filter.Compile(g, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	indicator := stix.MustParse(`{"type":"indicator","spec_version":"2.1",
		"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z",
		"pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix",
		"valid_from":"2024-05-01T10:00:00Z","labels":["Detection"]}`)
	malware := stix.MustParse(`{"type":"malware","spec_version":"2.1",
		"id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
		"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z",
		"name":"Emotet","is_family":true,"labels":["detection"]}`)
	fmt.Println(m.Match(indicator), m.Match(malware))
	// Output:
	// true false
}

// Validation names the exact place of every problem.
func ExampleGroup_Validate() {
	g, _ := filter.Parse([]byte(`{"mode":"and","filters":[],"filterGroups":[
		{"mode":"or","filters":[{"key":["entity_type"],"values":["Report"]}]},
		{"mode":"or","filters":[{"key":["foo"],"values":["x"]},
		                        {"key":["confidence"],"values":["high"],"operator":"gte"}]}]}`))
	err := g.Validate(nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, filter.ErrUnknownKey))
	// Output:
	// filter: filterGroups[1].filters[0].key: unknown key "foo"
	// filter: filterGroups[1].filters[1].values[0]: "high" is not a number
	// true
}

// Hosts add keys of their own through CompileOptions, here a custom MITRE property.
func ExampleCompileOptions() {
	opts := &filter.CompileOptions{Keys: map[string]filter.Key{
		"x_mitre_domains": {Paths: []string{"x_mitre_domains"}},
	}}
	g, _ := filter.ParseText(`x_mitre_domains = mobile-attack`)
	m, err := filter.Compile(g, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	tactic := stix.MustParse(`{"type":"x-mitre-tactic","spec_version":"2.1",
		"id":"x-mitre-tactic--6fc4b1e0-2b4b-4f4b-9c9b-0c1a6f1b8a10",
		"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z",
		"name":"Collection","x_mitre_domains":["mobile-attack"]}`)
	fmt.Println(m.Match(tactic))
	// Output:
	// true
}

// EntityTypes tells a store which STIX types a filter can match, so it can push the
// restriction down into its query.
func ExampleGroup_EntityTypes() {
	g, _ := filter.ParseText(`entity_type = (Indicator or StixFile or Threat-Actor-Group) and objectLabel = detection`)
	types, restricted := g.EntityTypes()
	fmt.Println(types, restricted)

	g, _ = filter.ParseText(`entity_type = Stix-Cyber-Observable`)
	types, restricted = g.EntityTypes()
	fmt.Println(types, restricted)
	// Output:
	// [file indicator threat-actor] true
	// [] false
}

// A feed binds its matcher once per run: "now" for relative dates and, through the store's
// resolver, the relationships regardingOf asks about. Here a resolver over a slice of
// objects stands in for the store (see store/storefilter for a real one).
func ExampleMatcher_Bind() {
	ind := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z",` +
		`"pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z"}`)
	rel := stix.MustParse(`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",` +
		`"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z","relationship_type":"indicates",` +
		`"source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`)

	g, _ := filter.ParseText(`regardingOf = {id = malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b, relationship_type = indicates}` +
		` and created >= now-7d/d`)
	if _, err := filter.Compile(g, nil); err != nil {
		fmt.Println(err) // the feed gives no resolver: the key is refused, by name
	}
	m, err := filter.Compile(g, &filter.CompileOptions{Relations: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := m.Bind(context.Background(), filter.BindOptions{
		Now:      time.Date(2024, 5, 8, 12, 0, 0, 0, time.UTC),
		Resolver: newSliceResolver([]*stix.Object{ind, rel}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Match(ind, filter.Times{}), b.Match(rel, filter.Times{}))
	// Output:
	// filter: filters[0].key: key "regardingOf" needs the store's relationships, and this feed gives the filter no resolver
	// true false
}
