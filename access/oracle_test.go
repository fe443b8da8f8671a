package access

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

// This file checks Visibility.CanSee against an oracle written separately and naively from
// docs/access.md: it reasons over the description of a random principal and object (not over
// the parsed object), with its own table of marking ids typed in from the reference.

// oracleFamily maps marking ids to family and rank, written out by hand.
var oracleFamily = map[string]struct {
	family string
	rank   int
}{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": {"TLP", 0}, // 1.0 white
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": {"TLP", 1}, // 1.0 green
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": {"TLP", 2}, // 1.0 amber
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": {"TLP", 4}, // 1.0 red
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": {"TLP", 0}, // 2.0 clear
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": {"TLP", 1}, // 2.0 green
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": {"TLP", 2}, // 2.0 amber
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": {"TLP", 3}, // 2.0 amber+strict
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": {"TLP", 4}, // 2.0 red
	"marking-definition--a0000000-0000-4000-8000-0000000000a1": {"PAP", 1},
	"marking-definition--a0000000-0000-4000-8000-0000000000a2": {"PAP", 2},
	"marking-definition--a0000000-0000-4000-8000-0000000000a3": {"PAP", 3},
}

var oracleMarkingPool = func() []string {
	pool := []string{
		"marking-definition--a0000000-0000-4000-8000-0000000000b1", // statement (standalone)
		"marking-definition--a0000000-0000-4000-8000-0000000000c1", // unknown to the policy
	}
	for id := range oracleFamily {
		pool = append(pool, id)
	}
	return pool
}()

type oraclePrincipal struct {
	caps, orgs, listed, max []string
}

type oracleObject struct {
	typ      string
	class    string // identity_class of an identity; "" for none
	markings []string
	// grant describes granted organizations in each place: nil absent, else the JSON.
	extGrant, topGrant *string
}

type oracleWorld struct {
	enforce, ungrantedVisible bool
	platform                  string
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// oracleCanSee is the rule set, stated as plainly as possible.
func oracleCanSee(w oracleWorld, p *oraclePrincipal, o oracleObject) bool {
	if p == nil {
		return false
	}
	if has(p.caps, "BYPASS") {
		return true
	}
	for _, m := range o.markings {
		ok := has(p.listed, m) || has(p.max, m)
		fm, known := oracleFamily[m]
		for _, x := range p.max {
			fx, knownX := oracleFamily[x]
			if known && knownX && fm.family == fx.family && fm.rank <= fx.rank {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if !w.enforce && w.platform == "" {
		return true
	}
	// docs/access.md §2: OpenCTI's STIX_ORGANIZATIONS_UNRESTRICTED.
	if has([]string{"location", "marking-definition"}, o.typ) || o.typ == "identity" && has([]string{"organization", "class"}, o.class) {
		return true
	}
	if w.platform != "" && has(p.orgs, w.platform) {
		return true
	}
	restricted := false
	for _, g := range []*string{o.extGrant, o.topGrant} {
		if g == nil {
			continue
		}
		switch {
		case *g == "[]":
		case strings.HasPrefix(*g, "[") && !strings.Contains(*g, "{"): // a list of strings (maybe mixed with numbers)
			restricted = true
			for _, part := range strings.Split(strings.Trim(*g, "[]"), ",") {
				if org := strings.Trim(part, `"`); strings.HasPrefix(part, `"`) && org != "" && has(p.orgs, org) {
					return true
				}
			}
		default: // anything else present still marks the object restricted
			restricted = true
		}
	}
	return !restricted && w.ungrantedVisible
}

func pick(r *rand.Rand, pool []string, max int) []string {
	n := r.IntN(max + 1)
	out := make([]string, 0, n)
	for range n {
		out = append(out, pool[r.IntN(len(pool))])
	}
	return out
}

func randomGrant(r *rand.Rand, orgs []string) *string {
	var s string
	switch r.IntN(6) {
	case 0, 1:
		return nil
	case 2:
		s = "[]"
	case 3:
		s = `"` + orgs[r.IntN(len(orgs))] + `"` // malformed: a string, not a list
	case 4:
		s = `[1,"` + orgs[r.IntN(len(orgs))] + `"]`
	default:
		parts := pick(r, orgs, 3)
		for i := range parts {
			parts[i] = `"` + parts[i] + `"`
		}
		s = "[" + strings.Join(parts, ",") + "]"
	}
	return &s
}

func (o oracleObject) json() string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"type":%q,"spec_version":"2.1","id":"%s--11111111-1111-4111-8111-111111111111"`, o.typ, o.typ)
	if o.class != "" {
		fmt.Fprintf(&b, `,"identity_class":%q`, o.class)
	}
	if o.markings != nil {
		fmt.Fprintf(&b, `,"object_marking_refs":["%s"]`, strings.Join(o.markings, `","`))
	}
	if o.topGrant != nil {
		fmt.Fprintf(&b, `,"x_opencti_granted_refs":%s`, *o.topGrant)
	}
	if o.extGrant != nil {
		fmt.Fprintf(&b, `,"extensions":{"%s":{"extension_type":"property-extension","granted_refs":%s}}`, OpenCTIExtension, *o.extGrant)
	}
	b.WriteString("}")
	return b.String()
}

func TestCanSeeAgainstOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	orgs := []string{orgA, orgB, orgPlatform, ""}
	caps := []string{"TAXIIAPI", "KNOWLEDGE_KNUPDATE_KNORGARESTRICT", "BYPASS_X", "KNOWLEDGE"}
	types := []string{"indicator", "malware", "identity", "location", "relationship", "sighting", "report", "x-custom", "marking-definition"}
	worlds := []oracleWorld{
		{}, {enforce: true}, {platform: orgPlatform}, {enforce: true, platform: orgPlatform},
		{enforce: true, ungrantedVisible: true}, {platform: orgPlatform, ungrantedVisible: true},
	}
	var vs []*Visibility
	for _, w := range worlds {
		vs = append(vs, mustVisibility(t, &VisibilityOptions{
			Markings: papDefs(), EnforceOrganizations: w.enforce, PlatformOrganization: w.platform, UngrantedVisible: w.ungrantedVisible,
		}))
	}
	const n = 10000
	counts := map[bool]int{}
	for i := range n {
		var op *oraclePrincipal
		var p *Principal
		if r.IntN(50) != 0 {
			op = &oraclePrincipal{caps: pick(r, caps, 2), orgs: pick(r, orgs, 2), listed: pick(r, oracleMarkingPool, 3), max: pick(r, oracleMarkingPool, 2)}
			if r.IntN(40) == 0 {
				op.caps = append(op.caps, "BYPASS")
			}
			p = &Principal{UserID: "u", Organizations: op.orgs}
			for _, c := range op.caps {
				p.Capabilities = append(p.Capabilities, Capability(c))
			}
			for _, m := range op.listed {
				p.Markings.Markings = append(p.Markings.Markings, stix.ID(m))
			}
			for _, m := range op.max {
				p.Markings.Max = append(p.Markings.Max, stix.ID(m))
			}
		}
		o := oracleObject{typ: types[r.IntN(len(types))], extGrant: randomGrant(r, orgs), topGrant: randomGrant(r, orgs)}
		if o.typ == "identity" {
			o.class = []string{"", "organization", "class", "individual", "system"}[r.IntN(5)]
		}
		if r.IntN(4) != 0 {
			o.markings = pick(r, oracleMarkingPool, 3)
			if len(o.markings) == 0 {
				o.markings = nil
			}
		}
		obj, err := stix.Parse([]byte(o.json()))
		if err != nil {
			t.Fatalf("case %d: %v\n%s", i, err, o.json())
		}
		wi := i % len(worlds)
		want := oracleCanSee(worlds[wi], op, o)
		counts[want]++
		if got := vs[wi].CanSee(p, obj); got != want {
			t.Fatalf("case %d, world %+v:\nprincipal %+v\nobject %s\nCanSee = %v, oracle says %v", i, worlds[wi], op, o.json(), got, want)
		}
		// Redaction of the same object: no grants survive for a non-manager, and an
		// object without any grant property comes back unchanged.
		if !p.Has(CapManageOrganizationSharing) {
			red := vs[wi].Redact(p, obj)
			if red == nil || carriesGrants(red) || strings.Contains(red.String(), "granted_refs") {
				t.Fatalf("case %d: Redact(%s) = %v", i, o.json(), red)
			}
			if o.extGrant == nil && o.topGrant == nil && red != obj {
				t.Fatalf("case %d: Redact changed an object without grants: %s", i, red)
			}
		}
	}
	// The random cases must exercise both answers in earnest, or the test proves little.
	if counts[true] < n/10 || counts[false] < n/10 {
		t.Errorf("unbalanced cases: %v", counts)
	}
	t.Logf("cases: %v", counts)
}
