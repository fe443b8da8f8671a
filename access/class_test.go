package access

import (
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

// classBase is a principal every variant below changes in exactly one field.
func classBase() *Principal {
	return &Principal{
		UserID: "u1", Name: "Ann", Groups: []string{"g1"}, Organizations: []string{orgA},
		Capabilities: []Capability{CapAccessDataSharing},
		Markings:     Clearance{Markings: []stix.ID{statement}, Max: []stix.ID{stix.TLP2Amber, papGreen}},
	}
}

// TestClassKeySeparatesRelevantFields guards the shared live-stream work against one
// principal's redaction reaching another: a principal differing from another in exactly
// one field that a decision reads never shares its key, and one differing only in what no
// decision reads (names, groups, order, duplicates, other capabilities) always does.
func TestClassKeySeparatesRelevantFields(t *testing.T) {
	seg := mustVisibility(t, &VisibilityOptions{Markings: papDefs(), EnforceOrganizations: true})
	flat := mustVisibility(t, &VisibilityOptions{Markings: papDefs()})
	differ := map[string]func(p *Principal){
		"one more explicit marking": func(p *Principal) { p.Markings.Markings = append(p.Markings.Markings, unknownMark) },
		"no explicit marking":       func(p *Principal) { p.Markings.Markings = nil },
		"a higher TLP maximum":      func(p *Principal) { p.Markings.Max[0] = stix.TLP2Red },
		"one more maximum":          func(p *Principal) { p.Markings.Max = append(p.Markings.Max, papRed) },
		"a maximum as a marking":    func(p *Principal) { p.Markings.Max, p.Markings.Markings = p.Markings.Markings, p.Markings.Max },
		"sees grants":               func(p *Principal) { p.Capabilities = append(p.Capabilities, CapManageOrganizationSharing) },
		"sees grants by hierarchy":  func(p *Principal) { p.Capabilities = append(p.Capabilities, "KNOWLEDGE_KNUPDATE_KNORGARESTRICT_X") },
		"bypass":                    func(p *Principal) { p.Capabilities = append(p.Capabilities, CapBypass) },
		"another organization":      func(p *Principal) { p.Organizations = []string{orgB} },
		"one more organization":     func(p *Principal) { p.Organizations = append(p.Organizations, orgB) },
		"no organization":           func(p *Principal) { p.Organizations = nil },
		"a marking id split across": func(p *Principal) { p.Markings.Markings = []stix.ID{"1:a", "b"} },
	}
	same := map[string]func(p *Principal){
		"another user":                 func(p *Principal) { p.UserID, p.Name = "u2", "Bob" },
		"other groups":                 func(p *Principal) { p.Groups = []string{"g2", "g3"} },
		"another unrelated capability": func(p *Principal) { p.Capabilities = append(p.Capabilities, "KNOWLEDGE") },
		"maxima reordered":             func(p *Principal) { p.Markings.Max[0], p.Markings.Max[1] = p.Markings.Max[1], p.Markings.Max[0] },
		"a duplicated marking":         func(p *Principal) { p.Markings.Markings = append(p.Markings.Markings, statement) },
	}
	base := seg.ClassKey(classBase())
	for name, f := range differ {
		p := classBase()
		f(p)
		if seg.ClassKey(p) == base {
			t.Errorf("%s: shares the key %q", name, base)
		}
	}
	for name, f := range same {
		p := classBase()
		f(p)
		if k := seg.ClassKey(p); k != base {
			t.Errorf("%s: key %q, want %q", name, k, base)
		}
	}
	// Without segregation organizations decide nothing.
	p := classBase()
	p.Organizations = []string{orgB}
	if flat.ClassKey(p) != flat.ClassKey(classBase()) {
		t.Error("organizations split the class under a Visibility that does not segregate")
	}
	if flat.ClassKey(classBase()) == seg.ClassKey(classBase()) {
		t.Error("keys of two Visibility instances compare equal")
	}
	if seg.ClassKey(nil) == seg.ClassKey(&Principal{}) {
		t.Error("a nil principal shares the class of a principal with no clearance")
	}
	a, b := classBase(), classBase()
	a.Capabilities, b.Capabilities = []Capability{CapBypass}, []Capability{CapBypass}
	b.Markings = Clearance{}
	if seg.ClassKey(a) != seg.ClassKey(b) {
		t.Error("two bypass principals differ")
	}
}

// TestClassKeyEqualMeansEqualDecisions checks the key's promise against the decisions
// themselves: over principals drawn from a few values of every field and objects of every
// marking and grant, two principals with equal keys get the same CanSee and Redact
// answers, byte for byte.
func TestClassKeyEqualMeansEqualDecisions(t *testing.T) {
	v := mustVisibility(t, &VisibilityOptions{Markings: papDefs(), EnforceOrganizations: true, PlatformOrganization: orgPlatform})
	var objs []*stix.Object
	for _, m := range [][]stix.ID{nil, {stix.TLP2Green}, {stix.TLP2Red}, {papAmber}, {statement}, {unknownMark}} {
		for _, g := range []string{"", granted(orgA), granted(orgB), granted(orgA, orgB)} {
			objs = append(objs, obj("malware", m, `,"name":"m","is_family":false`+g), obj("location", m, `,"name":"l"`+g))
		}
	}
	var ps []*Principal
	for _, caps := range [][]Capability{nil, {CapManageOrganizationSharing}, {CapBypass}, {"KNOWLEDGE"}} {
		for _, orgs := range [][]string{nil, {orgA}, {orgB, orgA}, {orgPlatform}} {
			for _, c := range []Clearance{{}, {Max: []stix.ID{stix.TLP2Amber}}, {Max: []stix.ID{stix.TLP2Green, papAmber}}, {Markings: []stix.ID{statement, unknownMark}}} {
				ps = append(ps, &Principal{Name: "x", Capabilities: caps, Organizations: orgs, Markings: c})
			}
		}
	}
	byKey := map[ClassKey]*Principal{}
	shared := 0
	for _, p := range ps {
		k := v.ClassKey(p)
		q, ok := byKey[k]
		if !ok {
			byKey[k] = p
			continue
		}
		shared++
		for _, o := range objs {
			if v.CanSee(p, o) != v.CanSee(q, o) {
				t.Errorf("key %q: CanSee differs for %s", k, o.Raw())
			}
			rp, rq := v.Redact(p, o), v.Redact(q, o)
			if (rp == nil) != (rq == nil) || (rp != nil && string(rp.Raw()) != string(rq.Raw())) {
				t.Errorf("key %q: Redact differs for %s", k, o.Raw())
			}
		}
	}
	if shared == 0 {
		t.Fatal("no two principals shared a key: the test checks nothing")
	}
}
