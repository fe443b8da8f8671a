package csvfeed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
)

// TestRowsAndColumnsHoldTheBoundary guards findings 1 and 3 of issue 16 in CSV feeds: a
// relationship row whose end is hidden named that end, and a report's object_refs column
// named hidden objects. Rows of relationships with a hidden stored end are left out (one
// with a dangling end stays), container contents lose hidden ids, and no hidden id
// appears anywhere in the file.
func TestRowsAndColumnsHoldTheBoundary(t *testing.T) {
	s := newStore()
	m := must[*stix.Object](t)
	red := m(stix.NewMalware("RedBot", true, common("malware", 1, stix.TLP2Red)))
	green := m(stix.NewMalware("Emotet", true, common("malware", 2, stix.TLP2Green)))
	ind := m(stix.New("indicator", map[string]any{"name": "ind", "pattern": "[domain-name:value = 'a.example']",
		"pattern_type": "stix", "valid_from": "2024-04-30T00:00:00.000Z"}, common("indicator", 3)))
	relHidden := m(stix.NewRelationship("indicates", ind.ID(), red.ID(), common("relationship", 4)))
	relOK := m(stix.NewRelationship("indicates", ind.ID(), green.ID(), common("relationship", 5)))
	relDangling := m(stix.NewRelationship("indicates", ind.ID(), id("malware", 99), common("relationship", 6)))
	sighting := m(stix.NewSighting(red.ID(), nil, common("sighting", 7)))
	rep := m(stix.NewReport("weekly", time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC), []stix.ID{red.ID(), green.ID(), relHidden.ID(), ind.ID()}, common("report", 8)))
	for i, o := range []*stix.Object{red, green, ind, relHidden, relOK, relDangling, sighting, rep} {
		s.putAt(t, t0.Add(time.Duration(i+1)*time.Minute), o)
	}
	f := compile(t, `{"id":"b","name":"b","feed_types":["Stix-Core-Object","indicates","stix-sighting-relationship"],"feed_attributes":[
	  {"attribute":"id","mappings":[{"type":"Stix-Core-Object","attribute":"id"},{"type":"indicates","attribute":"id"},{"type":"stix-sighting-relationship","attribute":"id"}]},
	  {"attribute":"ends","mappings":[{"type":"Stix-Core-Object","attribute":"object_refs"},{"type":"indicates","attribute":"target_ref"},{"type":"stix-sighting-relationship","attribute":"sighting_of_ref"}]},
	  {"attribute":"indicates","mappings":[{"type":"Stix-Core-Object","attribute":"id","relationship_type":"indicates","target_entity_type":"Malware"}]}]}`)
	file := must[*csvfeed.File](t)(f.Generate(context.Background(), s, visibility(t), amber(), windowAll()))
	out := file.String()
	for _, hidden := range []stix.ID{red.ID(), relHidden.ID(), sighting.ID()} {
		if strings.Contains(out, string(hidden)) {
			t.Errorf("the file names %s, hidden from the caller:\n%s", hidden, out)
		}
	}
	for _, shown := range []stix.ID{green.ID(), relOK.ID(), relDangling.ID(), rep.ID(), ind.ID()} {
		if !strings.Contains(out, string(shown)) {
			t.Errorf("the file lacks %s, which the caller may see:\n%s", shown, out)
		}
	}
	if !strings.Contains(out, string(rep.ID())+`,"`+string(green.ID())+","+string(ind.ID())+`"`) {
		t.Errorf("the report's contents are not the visible ones:\n%s", out)
	}
	// Without the boundary the columns do reach the hidden ids: the bypass principal.
	all := must[*csvfeed.File](t)(f.Generate(context.Background(), s, visibility(t), &access.Principal{Capabilities: []access.Capability{access.CapBypass}}, windowAll()))
	for _, hidden := range []stix.ID{red.ID(), relHidden.ID(), sighting.ID()} {
		if !strings.Contains(all.String(), string(hidden)) {
			t.Errorf("bypass: %s missing, so the test shows nothing:\n%s", hidden, all)
		}
	}
}
