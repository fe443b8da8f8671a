package access

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

const (
	orgA        = "identity--aaaaaaaa-0000-4000-8000-000000000001"
	orgB        = "identity--bbbbbbbb-0000-4000-8000-000000000002"
	orgPlatform = "identity--cccccccc-0000-4000-8000-000000000003"
	papGreen    = stix.ID("marking-definition--a0000000-0000-4000-8000-0000000000a1")
	papAmber    = stix.ID("marking-definition--a0000000-0000-4000-8000-0000000000a2")
	papRed      = stix.ID("marking-definition--a0000000-0000-4000-8000-0000000000a3")
	statement   = stix.ID("marking-definition--a0000000-0000-4000-8000-0000000000b1")
	unknownMark = stix.ID("marking-definition--a0000000-0000-4000-8000-0000000000c1")
)

func papDefs() []MarkingDefinition {
	return []MarkingDefinition{
		{ID: papGreen, Family: "PAP", Rank: 1}, {ID: papAmber, Family: "PAP", Rank: 2},
		{ID: papRed, Family: "PAP", Rank: 3}, {ID: statement, Name: "Copyright"},
	}
}

func mustVisibility(t testing.TB, opts *VisibilityOptions) *Visibility {
	t.Helper()
	v, err := NewVisibility(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// obj builds an object of type typ with the given markings and extra JSON members (each
// starting with a comma).
func obj(typ string, markings []stix.ID, extra string) *stix.Object {
	s := `{"type":"` + typ + `","spec_version":"2.1","id":"` + typ + `--11111111-1111-4111-8111-111111111111","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z"`
	if markings != nil {
		s += `,"object_marking_refs":[`
		for i, m := range markings {
			if i > 0 {
				s += ","
			}
			s += `"` + string(m) + `"`
		}
		s += `]`
	}
	return stix.MustParse(s + extra + `}`)
}

func granted(orgs ...string) string {
	s := `,"extensions":{"` + OpenCTIExtension + `":{"extension_type":"property-extension","granted_refs":[`
	for i, o := range orgs {
		if i > 0 {
			s += ","
		}
		s += `"` + o + `"`
	}
	return s + `]}}`
}

func TestCanSeeMarkings(t *testing.T) {
	v := mustVisibility(t, &VisibilityOptions{Markings: papDefs()})
	upToAmber := &Principal{Markings: Clearance{Max: []stix.ID{stix.TLP2Amber}}}
	upToAmber1 := &Principal{Markings: Clearance{Max: []stix.ID{stix.TLPAmber}}}
	listed := &Principal{Markings: Clearance{Markings: []stix.ID{stix.TLPGreen, statement, unknownMark}}}
	both := &Principal{Markings: Clearance{Max: []stix.ID{stix.TLPRed, papAmber}, Markings: []stix.ID{statement}}}
	none := &Principal{}
	tests := []struct {
		rule     string
		p        *Principal
		markings []stix.ID
		want     bool
	}{
		{"unmarked objects are visible to anyone", none, nil, true},
		{"an empty marking list is unmarked", none, []stix.ID{}, true},
		{"no clearance sees no marked object", none, []stix.ID{stix.TLP2Clear}, false},
		{"max AMBER allows CLEAR", upToAmber, []stix.ID{stix.TLP2Clear}, true},
		{"max AMBER (2.0) allows WHITE (1.0): one family", upToAmber, []stix.ID{stix.TLPWhite}, true},
		{"max AMBER allows GREEN of both versions", upToAmber, []stix.ID{stix.TLPGreen, stix.TLP2Green}, true},
		{"max AMBER allows AMBER of the other version", upToAmber, []stix.ID{stix.TLPAmber}, true},
		{"max AMBER (1.0) allows AMBER (2.0)", upToAmber1, []stix.ID{stix.TLP2Amber}, true},
		{"max AMBER denies AMBER+STRICT", upToAmber, []stix.ID{stix.TLP2AmberStrict}, false},
		{"max AMBER denies RED (2.0)", upToAmber, []stix.ID{stix.TLP2Red}, false},
		{"max AMBER denies RED (1.0)", upToAmber1, []stix.ID{stix.TLPRed}, false},
		{"every marking must be allowed", upToAmber, []stix.ID{stix.TLP2Green, stix.TLP2Red}, false},
		{"a family max does not allow another family", upToAmber, []stix.ID{papGreen}, false},
		{"a family max does not allow a statement", upToAmber, []stix.ID{statement}, false},
		{"a family max does not allow an unknown marking", upToAmber, []stix.ID{unknownMark}, false},
		{"an explicit list allows exactly its members", listed, []stix.ID{stix.TLPGreen}, true},
		{"an explicit list does not imply lower levels", listed, []stix.ID{stix.TLPWhite}, false},
		{"an explicit list does not imply the other TLP version", listed, []stix.ID{stix.TLP2Green}, false},
		{"a listed statement is allowed", listed, []stix.ID{statement, stix.TLPGreen}, true},
		{"a listed unknown marking is allowed", listed, []stix.ID{unknownMark}, true},
		{"max and list combine", both, []stix.ID{stix.TLP2Red, papGreen, statement}, true},
		{"max per family: PAP above its max", both, []stix.ID{papRed}, false},
		{"an empty marking id is not allowed", upToAmber, []stix.ID{""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := v.CanSee(tt.p, obj("indicator", tt.markings, "")); got != tt.want {
				t.Errorf("CanSee = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCanSeeMaxEdgeCases(t *testing.T) {
	v := mustVisibility(t, &VisibilityOptions{Markings: papDefs()})
	tests := []struct {
		rule    string
		max     []stix.ID
		marking stix.ID
		want    bool
	}{
		{"a statement in Max allows itself", []stix.ID{statement}, statement, true},
		{"an unknown id in Max allows itself", []stix.ID{unknownMark}, unknownMark, true},
		{"an unknown id in Max allows nothing else", []stix.ID{unknownMark}, stix.TLP2Clear, false},
		{"a statement in Max allows no family marking", []stix.ID{statement}, stix.TLP2Clear, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			p := &Principal{Markings: Clearance{Max: tt.max}}
			if got := v.CanSee(p, obj("indicator", []stix.ID{tt.marking}, "")); got != tt.want {
				t.Errorf("CanSee = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCanSeeBypassAndNil(t *testing.T) {
	v := mustVisibility(t, &VisibilityOptions{PlatformOrganization: orgPlatform})
	secret := obj("indicator", []stix.ID{stix.TLP2Red, unknownMark}, granted(orgA))
	tests := []struct {
		rule string
		p    *Principal
		o    *stix.Object
		want bool
	}{
		{"bypass sees red, unknown-marked, org-restricted objects", &Principal{Capabilities: []Capability{CapBypass}}, secret, true},
		{"a nil principal sees nothing", nil, obj("indicator", nil, ""), false},
		{"a nil object is not visible", &Principal{Capabilities: []Capability{CapBypass}}, nil, false},
		{"other capabilities do not bypass", &Principal{Capabilities: []Capability{CapAccessDataSharing, CapManageOrganizationSharing}}, secret, false},
		{"a capability named like bypass is not bypass", &Principal{Capabilities: []Capability{"BYPASS_X", "bypass", "KNOWLEDGE_KNUPDATE_KNBYPASSREFERENCE"}}, secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := v.CanSee(tt.p, tt.o); got != tt.want {
				t.Errorf("CanSee = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCanSeeOrganizations(t *testing.T) {
	enforced := mustVisibility(t, &VisibilityOptions{EnforceOrganizations: true, PlatformOrganization: orgPlatform})
	enforcedNoPlatform := mustVisibility(t, &VisibilityOptions{EnforceOrganizations: true})
	platformOnly := mustVisibility(t, &VisibilityOptions{PlatformOrganization: orgPlatform})
	relaxed := mustVisibility(t, &VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	off := mustVisibility(t, nil)
	noExempt := mustVisibility(t, &VisibilityOptions{EnforceOrganizations: true, ExemptTypes: []string{}})
	individuals := mustVisibility(t, &VisibilityOptions{EnforceOrganizations: true, ExemptIdentityClasses: []string{"individual"}})

	inA := &Principal{Organizations: []string{orgA}}
	inB := &Principal{Organizations: []string{orgB}}
	inPlatform := &Principal{Organizations: []string{orgB, orgPlatform}}
	noOrg := &Principal{}
	emptyOrg := &Principal{Organizations: []string{""}}

	top := func(orgs string) string { return `,"x_opencti_granted_refs":` + orgs }
	tests := []struct {
		rule string
		v    *Visibility
		p    *Principal
		o    *stix.Object
		want bool
	}{
		{"segregation off: granted objects visible to all", off, inB, obj("indicator", nil, granted(orgA)), true},
		{"granted to A: member of A sees it", enforced, inA, obj("indicator", nil, granted(orgA)), true},
		{"granted to A: member of B does not", enforced, inB, obj("indicator", nil, granted(orgA)), false},
		{"granted to A and B: member of B sees it", enforced, inB, obj("indicator", nil, granted(orgA, orgB)), true},
		{"platform organization members see everything granted", enforced, inPlatform, obj("indicator", nil, granted(orgA)), true},
		{"platform organization members see ungranted objects", enforced, inPlatform, obj("indicator", nil, ""), true},
		{"ungranted objects are hidden from others (OpenCTI)", enforced, inA, obj("indicator", nil, ""), false},
		{"an empty granted list is ungranted", enforced, inA, obj("indicator", nil, granted()), false},
		{"no organization sees no granted object", enforced, noOrg, obj("indicator", nil, granted(orgA)), false},
		{"an empty organization id matches no empty grant", enforced, emptyOrg, obj("indicator", nil, granted("")), false},
		{"a platform organization alone turns segregation on", platformOnly, inB, obj("indicator", nil, granted(orgA)), false},
		{"without a platform organization nobody is exempt", enforcedNoPlatform, &Principal{Organizations: []string{orgPlatform}}, obj("indicator", nil, granted(orgA)), false},
		{"top-level x_opencti_granted_refs grants", enforced, inA, obj("indicator", nil, top(`["`+orgA+`"]`)), true},
		{"top-level x_opencti_granted_refs restricts", enforced, inB, obj("indicator", nil, top(`["`+orgA+`"]`)), false},
		{"grants from both places combine", enforced, inB, obj("indicator", nil, granted(orgA)+top(`["`+orgB+`"]`)), true},
		{"granted_refs in another extension does not grant", enforced, inA, obj("indicator", nil, `,"extensions":{"extension-definition--00000000-0000-4000-8000-000000000000":{"granted_refs":["`+orgA+`"]}}`), false},
		{"granted_refs nested deeper does not grant", enforced, inA, obj("indicator", nil, `,"extensions":{"`+OpenCTIExtension+`":{"x":{"granted_refs":["`+orgA+`"]}}}`), false},
		{"an organization identity is exempt", enforced, inB, obj("identity", nil, `,"identity_class":"organization"`+granted(orgA)), true},
		{"a sector identity (class) is exempt", enforced, inB, obj("identity", nil, `,"identity_class":"class"`+granted(orgA)), true},
		{"an individual is not exempt", enforced, inB, obj("identity", nil, `,"identity_class":"individual"`+granted(orgA)), false},
		{"a system is not exempt", enforced, inB, obj("identity", nil, `,"identity_class":"system"`+granted(orgA)), false},
		{"an identity without a class is not exempt", enforced, inB, obj("identity", nil, granted(orgA)), false},
		{"ExemptIdentityClasses replaces the classes", individuals, inB, obj("identity", nil, `,"identity_class":"individual"`+granted(orgA)), true},
		{"ExemptIdentityClasses replaced: organizations no longer exempt", individuals, inB, obj("identity", nil, `,"identity_class":"organization"`+granted(orgA)), false},
		{"location is exempt", enforced, inB, obj("location", nil, granted(orgA)), true},
		{"marking-definition is exempt", enforced, inB, obj("marking-definition", nil, granted(orgA)), true},
		{"relationship is not exempt", enforced, inB, obj("relationship", nil, granted(orgA)), false},
		{"sighting is not exempt", enforced, inB, obj("sighting", nil, granted(orgA)), false},
		{"exempt types still obey markings", enforced, inB, obj("location", []stix.ID{stix.TLP2Red}, ""), false},
		{"markings apply before organizations", enforced, inA, obj("indicator", []stix.ID{stix.TLP2Green}, granted(orgA)), false},
		{"ExemptTypes empty exempts no type", noExempt, inB, obj("location", nil, granted(orgA)), false},
		{"UngrantedVisible shows ungranted objects", relaxed, inB, obj("indicator", nil, ""), true},
		{"UngrantedVisible keeps granted objects restricted", relaxed, inB, obj("indicator", nil, granted(orgA)), false},
		{"UngrantedVisible: an empty grant list is ungranted", relaxed, inB, obj("indicator", nil, granted()), true},
		{"UngrantedVisible: a malformed grant (string) still restricts", relaxed, inA, obj("indicator", nil, `,"extensions":{"`+OpenCTIExtension+`":{"granted_refs":"`+orgA+`"}}`), false},
		{"UngrantedVisible: a malformed top-level grant still restricts", relaxed, inA, obj("indicator", nil, top(`{"a":"`+orgA+`"}`)), false},
		{"UngrantedVisible: grants of non-strings still restrict", relaxed, inA, obj("indicator", nil, top(`[1,{}]`)), false},
		{"an escaped property name is the same property", enforced, inB, obj("indicator", nil, `,"x_opencti_granted\u005frefs":["`+orgA+`"]`), false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			p := &Principal{Organizations: tt.p.Organizations, Markings: Clearance{}}
			if got := tt.v.CanSee(p, tt.o); got != tt.want {
				t.Errorf("CanSee = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewVisibilityRejects(t *testing.T) {
	tests := []struct {
		rule string
		defs []MarkingDefinition
	}{
		{"a TLP marking cannot be redefined", []MarkingDefinition{{ID: stix.TLP2Red, Family: FamilyTLP, Rank: 0}}},
		{"a marking cannot be defined twice", []MarkingDefinition{{ID: papGreen, Family: "PAP"}, {ID: papGreen, Family: "PAP", Rank: 9}}},
		{"a marking needs an id", []MarkingDefinition{{Name: "PAP:RED", Family: "PAP"}}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if _, err := NewVisibility(&VisibilityOptions{Markings: tt.defs}); !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("err = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestVisibilityKeepsNoReferenceToOptions(t *testing.T) {
	opts := &VisibilityOptions{EnforceOrganizations: true, ExemptTypes: []string{"identity"}, Markings: papDefs()}
	v := mustVisibility(t, opts)
	opts.ExemptTypes[0] = "indicator"
	opts.Markings[0].Rank = 99
	p := &Principal{Organizations: []string{orgB}, Markings: Clearance{Max: []stix.ID{papAmber}}}
	if v.CanSee(p, obj("indicator", nil, granted(orgA))) {
		t.Error("changing ExemptTypes after NewVisibility exempted indicators")
	}
	if !v.CanSee(p, obj("identity", []stix.ID{papGreen}, granted(orgA))) {
		t.Error("changing Markings after NewVisibility changed a rank")
	}
}

func TestCanSeeMalformedMarkings(t *testing.T) {
	v := mustVisibility(t, nil)
	p := &Principal{Markings: Clearance{Max: []stix.ID{stix.TLP2Amber}}}
	base := `{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","object_marking_refs":`
	tests := []struct {
		rule, refs string
		want       bool
	}{
		{"a single string counts as that marking", `"` + string(stix.TLP2Red) + `"`, false},
		{"a single allowed string is allowed", `"` + string(stix.TLP2Green) + `"`, true},
		{"null fails closed", `null`, false},
		{"a number fails closed", `[42]`, false},
		{"an object's values are markings", `{"a":"` + string(stix.TLP2Red) + `"}`, false},
		{"ids are case-sensitive", `["` + strings.ToUpper(string(stix.TLP2Green)) + `"]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			o, err := stix.Parse([]byte(base + tt.refs + `}`))
			if err != nil {
				t.Skipf("stix rejects it: %v", err)
			}
			if got := v.CanSee(p, o); got != tt.want {
				t.Errorf("CanSee = %v, want %v (markings read as %q)", got, tt.want, o.ObjectMarkingRefs())
			}
		})
	}
}
