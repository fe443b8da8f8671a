package filter_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/filter"
)

func TestEntityTypes(t *testing.T) {
	cases := []struct {
		text       string
		types      []string
		restricted bool
		rule       string
	}{
		{``, nil, false, "an empty group restricts nothing"},
		{`objectLabel = detection`, nil, false, "a filter on another key restricts nothing"},
		{`entity_type = Indicator`, []string{"indicator"}, true, "a concrete type"},
		{`entity_type = (Indicator or Malware)`, []string{"indicator", "malware"}, true, "mode or: the union"},
		{`entity_type = (Indicator and Stix-Domain-Object)`, []string{"indicator"}, true, "mode and: the intersection, an open parent ignored"},
		{`entity_type = (Indicator and Malware)`, []string{}, true, "mode and of two types: nothing can match"},
		{`entity_type = Stix-Domain-Object`, nil, false, "custom types are domain objects too: no complete list"},
		{`entity_type = Stix-Cyber-Observable`, nil, false, "custom observables: no complete list"},
		{`entity_type = Container`, []string{"case-incident", "case-rfi", "case-rft", "feedback", "grouping", "note", "observed-data", "opinion", "report"}, true, "Container"},
		{`entity_type = Stix-Meta-Object`, []string{"extension-definition", "language-content", "marking-definition"}, true, "Stix-Meta-Object"},
		{`entity_type = Hashed-Observable`, []string{"artifact", "file", "x509-certificate"}, true, "Hashed-Observable"},
		{`entity_type = (StixFile or Organization or City or Threat-Actor-Individual)`, []string{"file", "identity", "location", "threat-actor"}, true, "OpenCTI's names map to STIX types"},
		{`entity_type = IPv4-Addr`, []string{"ipv4-addr"}, true, "case-insensitive"},
		{`entity_type = stix-core-relationship`, []string{"relationship"}, true, "stix-core-relationship"},
		{`entity_type = stix-sighting-relationship`, []string{"sighting"}, true, "stix-sighting-relationship"},
		{`entity_type = basic-relationship`, []string{"relationship", "sighting"}, true, "basic-relationship"},
		{`entity_type = indicates`, []string{"indicates", "relationship"}, true, "an unknown name may be a relationship_type"},
		{`entity_type = x-mitre-tactic`, []string{"relationship", "x-mitre-tactic"}, true, "or a custom type"},
		{`entity_type != Indicator`, nil, false, "a negation restricts nothing"},
		{`entity_type contains dicat`, nil, false, "only eq restricts"},
		{`entity_type = ()`, nil, false, "eq with no values is nil: nothing to read"},
		{`entity_type = Indicator and objectLabel = x`, []string{"indicator"}, true, "and with an unrestricted filter"},
		{`entity_type = Indicator or objectLabel = x`, nil, false, "or with an unrestricted filter"},
		{`entity_type = Indicator and entity_type = (Indicator or Malware)`, []string{"indicator"}, true, "and of two restrictions"},
		{`entity_type = Indicator or (entity_type = Malware and confidence > 5)`, []string{"indicator", "malware"}, true, "or through a subgroup"},
		{`entity_type = Indicator or ()`, nil, false, "an empty subgroup matches everything"},
		{`fromId = ` + idIndicator, []string{"relationship", "sighting"}, true, "fromId exists only on relationships and sightings"},
		{`toTypes contains mal`, []string{"relationship", "sighting"}, true, "toTypes too"},
		{`relationship_type = uses`, []string{"relationship"}, true, "relationship_type only on relationships"},
		{`fromId != ` + idIndicator, nil, false, "a negation passes any object"},
		{`fromId nil`, nil, false, "nil passes any object"},
		{`entity_type = Indicator and fromId not_nil`, []string{}, true, "an indicator has no fromId"},
	}
	for _, c := range cases {
		g, err := filter.ParseText(c.text)
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		types, restricted := g.EntityTypes()
		if restricted != c.restricted {
			t.Errorf("%s: restricted = %v", c.rule, restricted)
		}
		if diff := cmp.Diff(c.types, types); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.rule, diff)
		}
	}
}

// TestEntityTypesSound checks EntityTypes against Match on every fixture: an object outside
// the returned types never matches.
func TestEntityTypesSound(t *testing.T) {
	objs := fixtures(t)
	for _, c := range append(keyCases, groupCases...) {
		g, _ := filter.ParseText(c.filter)
		types, restricted := g.EntityTypes()
		if !restricted {
			continue
		}
		m, err := filter.Compile(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, o := range objs {
			if m.Match(o) && !contains(types, o.Type()) {
				t.Errorf("%s matches %s of type %s, outside %v", c.filter, name, o.Type(), types)
			}
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestMatcherIntrospection(t *testing.T) {
	g, _ := filter.ParseText(`entity_type = Indicator and (objectLabel = x or fromId = ` + idIndicator + `) and entity_type != Malware`)
	m, err := filter.Compile(g, &filter.CompileOptions{Keys: map[string]filter.Key{"fromId": {Paths: []string{"x_from"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"entity_type", "fromId", "objectLabel"}, m.Keys()); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(g, m.Group()); diff != "" {
		t.Errorf("Group (-want +got):\n%s", diff)
	}
	types, restricted := m.EntityTypes()
	if !restricted || !cmp.Equal(types, []string{"indicator"}) {
		t.Errorf("EntityTypes = %v, %v", types, restricted)
	}
	// A host key named like a built-in one restricts nothing.
	g2, _ := filter.ParseText(`fromId = ` + idIndicator)
	m2, _ := filter.Compile(g2, &filter.CompileOptions{Keys: map[string]filter.Key{"fromId": {Paths: []string{"x_from"}}}})
	if _, restricted := m2.EntityTypes(); restricted {
		t.Error("a redefined fromId must not restrict types")
	}
	if _, restricted := g2.EntityTypes(); !restricted {
		t.Error("the built-in fromId restricts types")
	}
	var nilM *filter.Matcher
	if nilM.Keys() != nil || !nilM.Group().IsEmpty() {
		t.Error("a nil Matcher has no keys and an empty group")
	}
	// The Matcher does not share memory with the Group it was compiled from.
	g.Filters[0].Values[0] = "Malware"
	if m.Group().Filters[0].Values[0] != "Indicator" {
		t.Error("Compile must copy the group")
	}
}

func TestBuiltinKeysValidate(t *testing.T) {
	opts := &filter.CompileOptions{Relations: true}
	for _, k := range filter.BuiltinKeys() {
		f := filter.Filter{Key: []string{k}, Operator: filter.NotNil}
		switch k {
		case "regardingOf":
			f = filter.Filter{Key: []string{k}, Subfilters: []filter.Filter{{Key: []string{"id"}, Values: []string{idMalware}}}}
		case "connectedToId", "containers", "sightedBy":
			f = filter.Filter{Key: []string{k}, Values: []string{idMalware}}
		}
		g := filter.Group{Filters: []filter.Filter{f}}
		if err := g.Validate(opts); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if len(filter.BuiltinKeys()) != 58 {
		t.Errorf("BuiltinKeys: %d keys; update the documentation when adding keys", len(filter.BuiltinKeys()))
	}
}
