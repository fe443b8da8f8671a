package stix_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)

func TestBuildersMakeValidObjects(t *testing.T) {
	author := stix.ID("identity--f431f809-377b-45e0-aa1c-6a4751cae5ff")
	c := stix.Common{Created: t0, CreatedByRef: author, ObjectMarkingRefs: []stix.ID{stix.TLP2Green}, Labels: []string{"x"}}
	ind, err := stix.NewIndicator("bad ip", "[ipv4-addr:value = '198.51.100.3']", t0, c)
	if err != nil {
		t.Fatal(err)
	}
	mal, _ := stix.NewMalware("Emotet", true, c)
	who, _ := stix.NewIdentity("ACME", "organization", stix.Common{ID: author, Created: t0})
	rel, _ := stix.NewRelationship("indicates", ind.ID(), mal.ID(), c)
	sig, _ := stix.NewSighting(ind.ID(), []stix.ID{author}, c)
	rep, _ := stix.NewReport("weekly", t0, []stix.ID{ind.ID(), mal.ID()}, c)
	custom, _ := stix.New("x-acme-case", map[string]any{"name": "c"}, stix.Common{Created: t0, Extra: map[string]any{"x_acme_rank": 3}})
	for _, o := range []*stix.Object{ind, mal, who, rel, sig, rep, custom} {
		if o == nil {
			t.Fatal("a builder failed")
		}
		if err := stix.Validate(o); err != nil {
			t.Errorf("%s: %v", o.Type(), err)
		}
	}
	if ind.CreatedRaw() != "2024-05-01T10:00:00.123Z" || ind.ModifiedRaw() != ind.CreatedRaw() {
		t.Errorf("created/modified = %s/%s, want millisecond UTC and modified = created", ind.CreatedRaw(), ind.ModifiedRaw())
	}
	if who.ID() != author || rel.Get("source_ref").String() != string(ind.ID()) || custom.Get("x_acme_rank").Int() != 3 {
		t.Error("builder ignored an explicit id, an end or an extra property")
	}
	if !slices.Equal(ind.ObjectMarkingRefs(), []stix.ID{stix.TLP2Green}) || ind.CreatedByRef() != author {
		t.Error("common properties not set")
	}
}

func TestNewVersion(t *testing.T) {
	ind, err := stix.NewIndicator("bad ip", "[ipv4-addr:value = '198.51.100.3']", t0, stix.Common{Created: t0, Labels: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Minute)
	v2, err := ind.WithLabel("detection", later)
	if err != nil {
		t.Fatal(err)
	}
	if v2.ID() != ind.ID() || v2.CreatedRaw() != ind.CreatedRaw() || !v2.Modified().Equal(later.Truncate(time.Millisecond)) {
		t.Errorf("new version: id %s created %s modified %s", v2.ID(), v2.CreatedRaw(), v2.ModifiedRaw())
	}
	if !slices.Equal(v2.Labels(), []string{"a", "detection"}) || !slices.Equal(ind.Labels(), []string{"a"}) {
		t.Errorf("labels: new %v, old %v", v2.Labels(), ind.Labels())
	}
	if err := stix.Validate(v2); err != nil {
		t.Error(err)
	}
	v3, err := v2.WithLabel("detection", later.Add(time.Second))
	if err != nil || !slices.Equal(v3.Labels(), v2.Labels()) {
		t.Errorf("adding a present label: %v, %v", v3, err)
	}
	v4, err := v3.WithoutLabel("a", later.Add(2*time.Second))
	if err != nil || !slices.Equal(v4.Labels(), []string{"detection"}) {
		t.Fatalf("removing a label: %v, %v", v4, err)
	}
	v5, err := v4.WithoutLabel("detection", later.Add(3*time.Second))
	if err != nil || v5.Has("labels") {
		t.Errorf("removing the last label must remove the property (STIX forbids empty lists): %v", v5)
	}
	if err := stix.Validate(v5); err != nil {
		t.Error(err)
	}
	v6, err := ind.NewVersion(later, func(m map[string]any) {
		m["x_note"] = "kept"
		m["id"] = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
	})
	if err != nil || v6.Get("x_note").String() != "kept" || v6.ID() != ind.ID() {
		t.Errorf("edit not applied, or the id changed: %v %v", v6, err)
	}

	tests := []struct {
		rule string
		o    *stix.Object
		at   time.Time
	}{
		{"modified must move forward", ind, t0},
		{"sub-millisecond steps do not count as later", ind, t0.Add(100 * time.Microsecond)},
		{"an earlier time is refused", v2, t0.Add(time.Second)},
		{"objects without created have no versions", stix.MustParse(`{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`), later},
	}
	for _, tt := range tests {
		if _, err := tt.o.NewVersion(tt.at, nil); err == nil {
			t.Errorf("%s: NewVersion succeeded", tt.rule)
		}
	}
}
