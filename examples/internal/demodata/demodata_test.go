package demodata

import (
	"bytes"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

func TestGenerateIsValidOrderedAndDeterministic(t *testing.T) {
	a, err := Generate(&Options{Indicators: 120})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(&Options{Indicators: 120})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("two runs gave %d and %d objects", len(a), len(b))
	}
	seen := map[stix.ID]bool{}
	types := map[string]int{}
	for i, o := range a {
		if !bytes.Equal(o.Raw(), b[i].Raw()) {
			t.Fatalf("object %d differs between runs:\n%s\n%s", i, o.Raw(), b[i].Raw())
		}
		if err := stix.Validate(o); err != nil {
			t.Errorf("object %d is not valid STIX: %v", i, err)
		}
		if seen[o.ID()] {
			t.Errorf("id %s generated twice", o.ID())
		}
		for _, ref := range o.RefIDs() {
			if !seen[ref] {
				t.Errorf("%s references %s, which does not come before it", o.ID(), ref)
			}
		}
		seen[o.ID()] = true
		types[o.Type()]++
	}
	if types["indicator"] != 120 {
		t.Errorf("indicators = %d, want 120", types["indicator"])
	}
	// Each indicator has its observable plus indicates and based-on; sets add 2 uses each.
	if want := 2*120 + 2*len(sets); types["relationship"] != want {
		t.Errorf("relationships = %d, want %d", types["relationship"], want)
	}
	for _, typ := range []string{"report", "sighting", "malware", "intrusion-set", "marking-definition", "identity"} {
		if types[typ] == 0 {
			t.Errorf("no %s generated", typ)
		}
	}
}

func TestSeedsDiffer(t *testing.T) {
	a, _ := Generate(&Options{Indicators: 10, Seed: 1})
	b, _ := Generate(&Options{Indicators: 10, Seed: 2})
	same := 0
	for i := range a {
		if bytes.Equal(a[i].Raw(), b[i].Raw()) {
			same++
		}
	}
	if same == len(a) {
		t.Error("seeds 1 and 2 gave identical data")
	}
}
