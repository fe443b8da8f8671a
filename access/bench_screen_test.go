package access

import (
	"context"
	"fmt"
	"testing"

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
