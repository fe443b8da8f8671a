package access

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
)

// mapLookup is a Lookup over a map, the cheapest a store can be: the benchmarks measure
// the boundary's own work.
type mapLookup map[stix.ID]*stix.Object

func (m mapLookup) Lookup(_ context.Context, ids []stix.ID, found func(*stix.Object)) error {
	for _, id := range ids {
		if o, ok := m[id]; ok {
			found(o)
		}
	}
	return nil
}

// BenchmarkScreenStreamGroup is the redaction cost of a live-stream group with a
// container dependency: a matching indicator, its author, and the report that contains
// it with 24 other indicators, 5 of them hidden from the principal (TLP:RED). "screen"
// decides the group with Screen (one look-up, hidden contents removed, the report
// rewritten); the in-run baseline "per-object" is CanSee and Redact on each object alone,
// as before issue 16.
func BenchmarkScreenStreamGroup(b *testing.B) {
	v, p := screenFixture(b)
	ind := mk("indicator", 99, stix.TLP2Green, `,"created_by_ref":"`+string(uid("identity", 1))+`"`)
	st := mapLookup{ind.ID(): ind}
	refs := []string{`"` + string(ind.ID()) + `"`}
	for i := range 24 {
		marking := stix.TLP2Green
		if i%5 == 0 {
			marking = stix.TLP2Red
		}
		o := mk("indicator", 100+i, marking, "")
		st[o.ID()] = o
		refs = append(refs, `"`+string(o.ID())+`"`)
	}
	author := mk("identity", 1, "", `,"name":"a","identity_class":"organization"`)
	st[author.ID()] = author
	report := mk("report", 1, stix.TLP2Green, fmt.Sprintf(`,"name":"weekly","published":"2024-01-01T00:00:00Z","created_by_ref":"%s","object_refs":[%s]`,
		author.ID(), joinComma(refs)))
	st[report.ID()] = report
	group := []*stix.Object{author, report, ind}
	ctx := context.Background()
	b.Run("screen", func(b *testing.B) {
		loop(b, func() {
			out, err := v.Screen(ctx, p, group, st)
			if err != nil || out[1] == nil || out[1] == report {
				b.Fatal("the report was not redacted")
			}
		})
	})
	b.Run("per-object", func(b *testing.B) {
		loop(b, func() {
			for _, o := range group {
				if v.CanSee(p, o) && v.Redact(p, o) == nil {
					b.Fatal("redaction failed")
				}
			}
		})
	})
}

// BenchmarkScreenPage screens a page of 1,000 objects, 800 of them relationships between
// 200 stored objects, all visible (the common case: nothing is rewritten), against the
// per-object checks alone.
func BenchmarkScreenPage(b *testing.B) {
	v, p := screenFixture(b)
	st := mapLookup{}
	var page []*stix.Object
	for i := range 200 {
		o := mk("indicator", i, stix.TLP2Green, `,"created_by_ref":"`+string(uid("identity", i%5))+`"`)
		st[o.ID()] = o
		page = append(page, o)
	}
	for i := range 5 {
		o := mk("identity", i, "", `,"name":"a","identity_class":"organization"`)
		st[o.ID()] = o
	}
	for i := range 800 {
		page = append(page, rel(1000+i, stix.TLP2Green, uid("indicator", i%200), uid("indicator", (i*7+1)%200)))
	}
	ctx := context.Background()
	b.Run("screen", func(b *testing.B) {
		loop(b, func() {
			if _, err := v.Screen(ctx, p, page, st); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("per-object", func(b *testing.B) {
		loop(b, func() {
			for _, o := range page {
				if v.CanSee(p, o) {
					v.Redact(p, o)
				}
			}
		})
	})
}

// screenFixture is a principal cleared up to TLP:AMBER, without organization segregation.
func screenFixture(b *testing.B) (*Visibility, *Principal) {
	return mustVisibility(b, nil), &Principal{UserID: "u", Markings: Clearance{Max: []stix.ID{stix.TLP2Amber}}}
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// BenchmarkScreenAttack is the boundary's own work on the two TAXII pages of 1,000 of the
// MITRE ATT&CK mobile bundle (taxii's BenchmarkAttackPageBoundary serves the same pages
// through the handler): page 1 holds the x-mitre-collection, which names all 2,148
// objects, page 2 is the usual case. The principal is cleared for the bundle's marking
// and nothing more, so every look-up happens; "per-object" (CanSee and Redact alone) is
// the in-run baseline.
func BenchmarkScreenAttack(b *testing.B) {
	f, err := os.Open(sharedtest.AttackBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st := mapLookup{}
	var all []*stix.Object
	for o, err := range stix.DecodeBundle(f) {
		if err != nil {
			b.Fatal(err)
		}
		st[o.ID()] = o
		all = append(all, o)
	}
	v := mustVisibility(b, nil)
	p := &Principal{Name: "reader", Markings: Clearance{Markings: []stix.ID{"marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"}}}
	ctx := context.Background()
	for _, pg := range []struct {
		name string
		objs []*stix.Object
	}{{"page1", all[:1000]}, {"page2", all[1000:2000]}} {
		out, err := v.ScreenCurrent(ctx, p, pg.objs, st)
		if err != nil {
			b.Fatal(err)
		}
		for i, o := range out {
			if o != pg.objs[i] {
				b.Fatalf("%s: %s was not served as stored", pg.name, pg.objs[i].ID())
			}
		}
		b.Run(pg.name+"/screen", func(b *testing.B) {
			loop(b, func() {
				if _, err := v.ScreenCurrent(ctx, p, pg.objs, st); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(pg.name+"/per-object", func(b *testing.B) {
			loop(b, func() {
				for _, o := range pg.objs {
					if v.CanSee(p, o) {
						v.Redact(p, o)
					}
				}
			})
		})
	}
}
