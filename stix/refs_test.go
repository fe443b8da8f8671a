package stix_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/google/go-cmp/cmp"
)

func TestRefs(t *testing.T) {
	o := stix.MustParse(`{
	"type": "x-acme-case", "id": "x-acme-case--3b2c1a4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
	"created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
	"object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", 7, "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
	"external_references": [{"source_name": "x", "x_ref": "identity--00000000-0000-4000-8000-000000000001"}],
	"kill_chain_phases": [{"kill_chain_name": "k", "phase_name": "p", "x_ref": "identity--00000000-0000-4000-8000-000000000002"}],
	"granular_markings": [{"selectors": ["name"], "marking_ref": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}],
	"extensions": {"extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba": {"extension_type": "property-extension", "granted_refs": ["identity--00000000-0000-4000-8000-000000000003"]}},
	"x_deep": {"a.b": [{"c": {"owner_ref": "identity--00000000-0000-4000-8000-000000000004"}}]},
	"x_not_a_ref": {"value_ref": 12},
	"object_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]
}`)
	want := []stix.Ref{
		{Path: "created_by_ref", Index: -1, ID: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"},
		{Path: "object_marking_refs", Index: 0, ID: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
		{Path: "object_marking_refs", Index: 2, ID: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"},
		{Path: "granular_markings.0.marking_ref", Index: -1, ID: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"},
		{Path: "extensions.extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba.granted_refs", Index: 0, ID: "identity--00000000-0000-4000-8000-000000000003"},
		{Path: `x_deep.a\.b.0.c.owner_ref`, Index: -1, ID: "identity--00000000-0000-4000-8000-000000000004"},
		{Path: "object_refs", Index: 0, ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
		{Path: "object_refs", Index: 1, ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
	}
	if diff := cmp.Diff(want, o.Refs()); diff != "" {
		t.Errorf("Refs (-want +got):\n%s", diff)
	}
	// Every path leads back to the reference through Get.
	for _, r := range o.Refs() {
		v := o.Get(r.Path)
		if r.Index >= 0 {
			v = v.Array()[r.Index]
		}
		if v.String() != string(r.ID) {
			t.Errorf("Get(%q) = %s, want %s", r.Path, v.Raw, r.ID)
		}
	}
	if got := o.RefIDs(); len(got) != 7 {
		t.Errorf("RefIDs = %v, want 7 distinct ids", got)
	}
	if s := want[2].String(); s != "object_marking_refs[2] -> marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" {
		t.Errorf("Ref.String = %q", s)
	}
}

func TestOrder(t *testing.T) {
	mk := func(id string, refs ...string) *stix.Object {
		s := `{"type":"x-node","id":"` + id + `","x_refs":[`
		for i, r := range refs {
			if i > 0 {
				s += ","
			}
			s += `"` + r + `"`
		}
		if len(refs) == 0 {
			s += `"outside--00000000-0000-4000-8000-000000000000"`
		}
		return stix.MustParse(s + `]}`)
	}
	const (
		rel = "x-node--00000000-0000-4000-8000-000000000001"
		ind = "x-node--00000000-0000-4000-8000-000000000002"
		mal = "x-node--00000000-0000-4000-8000-000000000003"
		who = "x-node--00000000-0000-4000-8000-000000000004"
		tlp = "x-node--00000000-0000-4000-8000-000000000005"
		a   = "x-node--00000000-0000-4000-8000-00000000000a"
		b   = "x-node--00000000-0000-4000-8000-00000000000b"
	)
	ids := func(objs []*stix.Object) []stix.ID {
		var out []stix.ID
		for _, o := range objs {
			out = append(out, o.ID())
		}
		return out
	}
	tests := []struct {
		rule string
		in   []*stix.Object
		want []stix.ID
	}{
		{"each object follows what it references; independent ones keep input order",
			[]*stix.Object{mk(rel, ind, mal), mk(ind, who, tlp), mk(mal, who), mk(who, tlp), mk(tlp)},
			[]stix.ID{tlp, who, ind, mal, rel}},
		{"already ordered input is unchanged",
			[]*stix.Object{mk(tlp), mk(who, tlp), mk(ind, who, tlp)},
			[]stix.ID{tlp, who, ind}},
		{"a cycle is tolerated: the walk from the first object decides",
			[]*stix.Object{mk(a, b), mk(b, a), mk(tlp)},
			[]stix.ID{b, a, tlp}},
		{"a self-reference is tolerated", []*stix.Object{mk(a, a)}, []stix.ID{a}},
		{"empty input", nil, nil},
	}
	for _, tt := range tests {
		got := ids(stix.Order(tt.in))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.rule, diff)
		}
		if again := ids(stix.Order(tt.in)); !cmp.Equal(got, again) {
			t.Errorf("%s: not deterministic", tt.rule)
		}
	}
}
