package access

import (
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/internal/benchcpu"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/tidwall/gjson"
)

// A typical principal (cleared up to TLP:AMBER, one statement, two organizations) and a
// typical OpenCTI indicator (author, one TLP marking, granted to one organization).
// loop runs f b.N times like b.Loop, and reports the CPU time per operation of the
// benchmark's thread as "cpu-ns/op" where the platform tells it.
func loop(b *testing.B, f func()) {
	benchcpu.Loop(b, func(int) { f() })
}

func benchFixture(b *testing.B) (*Visibility, *Principal, *stix.Object) {
	v := mustVisibility(b, &VisibilityOptions{Markings: papDefs(), PlatformOrganization: orgPlatform})
	p := &Principal{
		UserID: "user-1", Groups: []string{"g1", "g2"}, Organizations: []string{orgB, orgA},
		Capabilities: []Capability{CapAccessDataSharing},
		Markings:     Clearance{Max: []stix.ID{stix.TLP2Amber, papAmber}, Markings: []stix.ID{statement}},
	}
	o := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2024-05-01T10:00:00.000Z",` +
		`"modified":"2024-05-01T10:00:00.000Z","name":"evil.example","pattern":"[domain-name:value = 'evil.example']",` +
		`"pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z","labels":["malicious-activity"],` +
		`"object_marking_refs":["` + string(stix.TLP2Green) + `"],` +
		`"extensions":{"` + OpenCTIExtension + `":{"extension_type":"property-extension","id":"2d5c4b4e-3c0b-4f0f-9e0f-5a1c2b3d4e5f",` +
		`"type":"Indicator","score":50,"granted_refs":["` + orgA + `"]}}}`)
	if !v.CanSee(p, o) {
		b.Fatal("fixture: the principal must see the object")
	}
	return v, p, o
}

func BenchmarkCanSee(b *testing.B) {
	v, p, o := benchFixture(b)
	loop(b, func() {
		if !v.CanSee(p, o) {
			b.Fatal("not visible")
		}
	})
}

// BenchmarkCanSeeBaseline is the straightforward implementation this package improves on:
// marking definitions in a Go map, the principal's allowed markings expanded into a set on
// every call, and granted_refs read from the JSON with gjson. Same principal and object
// as BenchmarkCanSee.
func BenchmarkCanSeeBaseline(b *testing.B) {
	_, p, o := benchFixture(b)
	defs := map[stix.ID]MarkingDefinition{}
	for _, d := range append(TLPDefinitions(), papDefs()...) {
		defs[d.ID] = d
	}
	loop(b, func() {
		if !naiveCanSee(defs, p, o) {
			b.Fatal("not visible")
		}
	})
}

func naiveCanSee(defs map[stix.ID]MarkingDefinition, p *Principal, o *stix.Object) bool {
	allowed := map[stix.ID]bool{}
	for _, id := range p.Markings.Markings {
		allowed[id] = true
	}
	for _, max := range p.Markings.Max {
		allowed[max] = true
		for id, d := range defs {
			if dm, ok := defs[max]; ok && d.Family != "" && d.Family == dm.Family && d.Rank <= dm.Rank {
				allowed[id] = true
			}
		}
	}
	for _, m := range o.ObjectMarkingRefs() {
		if !allowed[m] {
			return false
		}
	}
	ok := false
	o.Extension(OpenCTIExtension).Get("granted_refs").ForEach(func(_, g gjson.Result) bool {
		ok = ok || slices.Contains(p.Organizations, g.String())
		return !ok
	})
	return ok || slices.Contains(p.Organizations, orgPlatform)
}

func BenchmarkCanSeeDenied(b *testing.B) {
	v, p, o := benchFixture(b)
	q := *p
	q.Organizations = []string{orgB}
	loop(b, func() {
		if v.CanSee(&q, o) {
			b.Fatal("visible")
		}
	})
}

func BenchmarkRedactNoop(b *testing.B) {
	v, p, o := benchFixture(b)
	plain := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z","name":"evil.example",` +
		`"pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z",` +
		`"object_marking_refs":["` + string(stix.TLP2Green) + `"]}`)
	manager := &Principal{Capabilities: []Capability{CapManageOrganizationSharing}}
	b.Run("manager", func(b *testing.B) {
		loop(b, func() {
			if v.Redact(manager, o) != o {
				b.Fatal("changed")
			}
		})
	})
	b.Run("no-grants", func(b *testing.B) {
		loop(b, func() {
			if v.Redact(p, plain) != plain {
				b.Fatal("changed")
			}
		})
	})
}

func BenchmarkRedactStrip(b *testing.B) {
	v, p, o := benchFixture(b)
	loop(b, func() {
		if v.Redact(p, o) == o {
			b.Fatal("unchanged")
		}
	})
}
