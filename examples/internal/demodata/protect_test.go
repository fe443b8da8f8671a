package demodata

import (
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
)

// TestObservablesAreNoMoreVisibleThanTheirIndicators guards finding 6 of issue 16: the
// demo's observables were unmarked, so the public feeds carried the values (SHA-256s
// among them) behind GREEN, AMBER and organization-only indicators. Whoever may see an
// observable must be able to see every indicator based on it, for every kind of caller.
func TestObservablesAreNoMoreVisibleThanTheirIndicators(t *testing.T) {
	objs, err := Generate(&Options{Indicators: 300})
	if err != nil {
		t.Fatal(err)
	}
	vis, err := access.NewVisibility(&access.VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	if err != nil {
		t.Fatal(err)
	}
	orgs := Orgs()
	var callers []*access.Principal
	for _, max := range []stix.ID{stix.TLP2Clear, stix.TLP2Green, stix.TLP2Amber, stix.TLP2Red} {
		for _, org := range []stix.ID{"", orgs.Red, orgs.Blue} {
			p := &access.Principal{Markings: access.Clearance{Max: []stix.ID{max}}}
			if org != "" {
				p.Organizations = []string{string(org)}
			}
			callers = append(callers, p)
		}
	}
	byID := map[stix.ID]*stix.Object{}
	for _, o := range objs {
		byID[o.ID()] = o
	}
	basedOn := 0
	restricted := 0
	for _, o := range objs {
		if o.Type() != "relationship" || o.Get("relationship_type").Str != "based-on" {
			continue
		}
		basedOn++
		ind, obs := byID[stix.ID(o.Get("source_ref").Str)], byID[stix.ID(o.Get("target_ref").Str)]
		if ind == nil || obs == nil {
			t.Fatalf("%s: an end is not generated", o.ID())
		}
		if len(obs.ObjectMarkingRefs()) > 0 && obs.ObjectMarkingRefs()[0] != stix.TLP2Clear || obs.Has("x_opencti_granted_refs") {
			restricted++
		}
		for _, p := range callers {
			if vis.CanSee(p, obs) && !vis.CanSee(p, ind) {
				t.Errorf("%+v sees observable %s but not %s, which is based on it", p.Markings.Max, obs.ID(), ind.ID())
			}
		}
	}
	if basedOn != 300 || restricted == 0 {
		t.Errorf("%d based-on relationships, %d restricted observables: the test shows nothing", basedOn, restricted)
	}
}

// TestProtectTakesTheStrictest: an observable shared by differently marked or granted
// indicators gets the strictest marking and only the organizations they all share; with
// none in common, TLP:RED.
func TestProtectTakesTheStrictest(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	orgs := Orgs()
	ind := func(n string, marking stix.ID, grants ...stix.ID) *stix.Object {
		c := stix.Common{ID: stix.ID("indicator--00000000-0000-4000-8000-00000000000" + n), Created: at, ObjectMarkingRefs: []stix.ID{marking}}
		if grants != nil {
			c.Extra = map[string]any{"x_opencti_granted_refs": grants}
		}
		o, err := stix.NewIndicator("i", "[domain-name:value = 'a.example']", at, c)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	sco, err := stix.NewSCO("domain-name", map[string]any{"value": "a.example"})
	if err != nil {
		t.Fatal(err)
	}
	obs := observable{sco: sco, props: map[string]any{"value": "a.example"}}
	tests := []struct {
		name    string
		inds    []*stix.Object
		marking stix.ID
		grants  []string
	}{
		{"one CLEAR indicator", []*stix.Object{ind("1", stix.TLP2Clear)}, stix.TLP2Clear, nil},
		{"CLEAR and AMBER: AMBER", []*stix.Object{ind("1", stix.TLP2Clear), ind("2", stix.TLP2Amber)}, stix.TLP2Amber, nil},
		{"ungranted and Red: Red", []*stix.Object{ind("1", stix.TLP2Green), ind("2", stix.TLP2Clear, orgs.Red)}, stix.TLP2Green, []string{string(orgs.Red)}},
		{"Red+Blue and Blue: Blue", []*stix.Object{ind("1", stix.TLP2Clear, orgs.Red, orgs.Blue), ind("2", stix.TLP2Clear, orgs.Blue)}, stix.TLP2Clear, []string{string(orgs.Blue)}},
		{"Red and Blue: nobody (TLP:RED)", []*stix.Object{ind("1", stix.TLP2Clear, orgs.Red), ind("2", stix.TLP2Green, orgs.Blue)}, stix.TLP2Red, nil},
	}
	for _, tt := range tests {
		o, err := protect(&observableUse{obs: obs, indicators: tt.inds})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var grants []string
		for _, g := range o.Get("x_opencti_granted_refs").Array() {
			grants = append(grants, g.String())
		}
		if !slices.Equal(o.ObjectMarkingRefs(), []stix.ID{tt.marking}) || !slices.Equal(grants, tt.grants) || o.ID() != sco.ID() {
			t.Errorf("%s: %s", tt.name, o.Raw())
		}
	}
}
