package filter_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
)

// attackObjects loads MITRE ATT&CK for Mobile, parsed and decoded by encoding/json.
func attackObjects(tb testing.TB) ([]*stix.Object, []map[string]any) {
	tb.Helper()
	f, err := os.Open(sharedtest.AttackBundle(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var objs []*stix.Object
	var decoded []map[string]any
	for o, err := range stix.DecodeBundle(f) {
		if err != nil {
			tb.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(o.Raw(), &m); err != nil {
			tb.Fatal(err)
		}
		objs = append(objs, o)
		decoded = append(decoded, m)
	}
	return objs, decoded
}

// TestAttackBundle runs filters over real data and checks each count against one computed
// independently from the encoding/json decoding.
func TestAttackBundle(t *testing.T) {
	objs, decoded := attackObjects(t)
	has := func(m map[string]any, prop, want string) bool {
		switch v := m[prop].(type) {
		case string:
			return v == want
		case []any:
			return slices.Contains(v, any(want))
		}
		return false
	}
	opts := &filter.CompileOptions{Keys: map[string]filter.Key{"x_mitre_domains": {Paths: []string{"x_mitre_domains"}}}}
	cases := []struct {
		text string
		want func(m map[string]any) bool
	}{
		{`entity_type = Attack-Pattern`, func(m map[string]any) bool { return m["type"] == "attack-pattern" }},
		{`entity_type = uses`, func(m map[string]any) bool { return m["relationship_type"] == "uses" }},
		{`entity_type = stix-core-relationship and relationship_type != uses`, func(m map[string]any) bool {
			return m["type"] == "relationship" && m["relationship_type"] != "uses"
		}},
		{`entity_type = Stix-Domain-Object`, func(m map[string]any) bool {
			t, _ := m["type"].(string)
			return stix.CategoryOf(t) == stix.CategorySDO || stix.CategoryOf(t) == stix.CategoryCustom && m["created"] != nil
		}},
		{`revoked = true`, func(m map[string]any) bool { return m["revoked"] == true }},
		{`x_mitre_domains = mobile-attack and revoked = false`, func(m map[string]any) bool {
			return has(m, "x_mitre_domains", "mobile-attack") && m["revoked"] != true
		}},
		{`objectMarking = marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168`, func(m map[string]any) bool {
			return has(m, "object_marking_refs", "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168")
		}},
		{`createdBy nil`, func(m map[string]any) bool { return m["created_by_ref"] == nil }},
		{`toTypes = Attack-Pattern and fromTypes = Malware`, func(m map[string]any) bool {
			src, _ := m["source_ref"].(string)
			dst, _ := m["target_ref"].(string)
			return m["type"] == "relationship" && stix.ID(src).Type() == "malware" && stix.ID(dst).Type() == "attack-pattern"
		}},
	}
	for _, c := range cases {
		g, err := filter.ParseText(c.text)
		if err != nil {
			t.Fatal(err)
		}
		m, err := filter.Compile(g, opts)
		if err != nil {
			t.Fatal(err)
		}
		got, want := 0, 0
		for i, o := range objs {
			if m.Match(o) {
				got++
			}
			if c.want(decoded[i]) {
				want++
			}
		}
		if got != want || want == 0 {
			t.Errorf("%s: %d objects match, want %d (non-zero)", c.text, got, want)
		}
	}
}

// BenchmarkMatchAttack evaluates the typical feed filter over MITRE ATT&CK for Mobile (2,148
// real objects); one op is one object.
func BenchmarkMatchAttack(b *testing.B) {
	objs, _ := attackObjects(b)
	m := benchMatcher(b, benchFilters[1].text)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Match(objs[i%len(objs)])
	}
}

// BenchmarkGoStdlibMatchAttack is BenchmarkMatchAttack's baseline: the same filter on the same
// objects decoded by encoding/json into map[string]any (decoding not timed).
func BenchmarkGoStdlibMatchAttack(b *testing.B) {
	_, decoded := attackObjects(b)
	g, err := filter.ParseText(benchFilters[1].text)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		stdlibMatch(g, decoded[i%len(decoded)])
	}
}
