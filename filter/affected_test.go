package filter_test

import (
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
)

func TestAffected(t *testing.T) {
	objs := fixtures(t)
	regarding := mustCompile(t, `entity_type = Indicator and regardingOf = {id = `+idMalware+`, relationship_type = indicates}`,
		&filter.CompileOptions{Relations: true})
	contained := mustCompile(t, `containers = `+idReport, &filter.CompileOptions{Relations: true})
	plain := mustCompile(t, `objectLabel = detection`, nil)
	report := objs["report"]
	// The report's next version holds the malware only.
	reportV2, err := report.NewVersion(fixtureNow, func(p map[string]any) { p["object_refs"] = []any{idMalware} })
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		m         *filter.Matcher
		prev, cur *stix.Object
		want      []stix.ID
	}{
		{"a relationship to a named id is created", regarding, nil, objs["rel"], []stix.ID{idIndicator, idMalware}},
		{"and deleted", regarding, objs["rel"], nil, []stix.ID{idIndicator, idMalware}},
		{"a relationship between other objects", regarding, nil, objs["rel-bare"], nil},
		{"a sighting of other objects", regarding, nil, objs["sighting"], nil},
		{"an object that is no relation", regarding, nil, objs["ind"], nil},
		{"a container is created", contained, nil, report, []stix.ID{idIndicator, idMalware, idRel}},
		{"a container's contents change", contained, report, reportV2, []stix.ID{idIndicator}}, // the inferred ref stays
		{"another container", contained, nil, objs["note"], nil},
		{"no relationship keys", plain, nil, objs["rel"], nil},
	}
	for _, c := range cases {
		if got := c.m.Affected(c.prev, c.cur); !slices.Equal(got, c.want) {
			t.Errorf("%s: Affected = %v, want %v", c.name, got, c.want)
		}
	}
}
