package storetest

import (
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

func testGetMany(t *testing.T, s store.Store) {
	a, b := indicator(t, 0), indicator(t, 0)
	mustPut(t, s, a)
	mustPut(t, s, b)
	missing := stix.NewID("indicator")
	got, err := s.GetMany(t.Context(), []stix.ID{a.ID(), missing, b.ID(), a.ID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !sameObject(got[a.ID()].Object, a) || !sameObject(got[b.ID()].Object, b) {
		t.Errorf("GetMany returned %d records, want exactly a and b", len(got))
	}
	if _, ok := got[missing]; ok {
		t.Error("GetMany returned a record for a missing id")
	}
	if got, err := s.GetMany(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("GetMany(nil) = %d records, %v; want none, no error", len(got), err)
	}
}

// Versions are ascending by version whatever order they were put in, current last.
func testVersions(t *testing.T, s store.Store) {
	v1 := indicator(t, 0)
	v2 := next(t, v1, 1, "two")
	v3 := next(t, v2, 2, "three")
	v4 := next(t, v3, 3, "four")
	for _, o := range []*stix.Object{v3, v1, v4, v2} {
		mustPut(t, s, o)
	}
	vs, err := s.Versions(t.Context(), v1.ID())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range vs {
		got = append(got, r.Object.ModifiedRaw())
	}
	want := []string{v1.ModifiedRaw(), v2.ModifiedRaw(), v3.ModifiedRaw(), v4.ModifiedRaw()}
	if !slices.Equal(got, want) {
		t.Errorf("Versions = %v, want %v", got, want)
	}
	cur := mustGet(t, s, v1.ID())
	if len(vs) > 0 && (vs[len(vs)-1].Updated != cur.Updated || !vs[0].DateAdded.Equal(cur.DateAdded)) {
		t.Errorf("the last version's record differs from Get's")
	}
}

// Relationships by source_ref/target_ref and sightings by every end, ordered by id; other
// references (a report's object_refs) are not relations.
func testRelationsOf(t *testing.T, s store.Store) {
	ind, mal, id := indicator(t, 0), object(t, "malware"), object(t, "identity")
	obs := object(t, "observed-data")
	r1 := relationship(t, ind.ID(), mal.ID())
	r2 := relationship(t, mal.ID(), ind.ID())
	sight, err := stix.NewSighting(ind.ID(), []stix.ID{id.ID()}, stix.Common{Created: at(0),
		Extra: map[string]any{"observed_data_refs": []stix.ID{obs.ID()}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := stix.NewReport("r", at(0), []stix.ID{ind.ID(), mal.ID()}, stix.Common{Created: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*stix.Object{ind, mal, id, r1, r2, sight, rep} {
		mustPut(t, s, o)
	}
	ids := func(end stix.ID) []stix.ID {
		rs, err := s.RelationsOf(t.Context(), end)
		if err != nil {
			t.Fatalf("RelationsOf(%s): %v", end, err)
		}
		var out []stix.ID
		for _, r := range rs {
			out = append(out, r.Object.ID())
		}
		return out
	}
	sorted := func(xs ...stix.ID) []stix.ID { slices.Sort(xs); return xs }
	cases := []struct {
		rule string
		end  stix.ID
		want []stix.ID
	}{
		{"both ends of relationships, and sighting_of_ref", ind.ID(), sorted(r1.ID(), r2.ID(), sight.ID())},
		{"target and source ends", mal.ID(), sorted(r1.ID(), r2.ID())},
		{"where_sighted_refs", id.ID(), []stix.ID{sight.ID()}},
		{"observed_data_refs, the end not stored itself", obs.ID(), []stix.ID{sight.ID()}},
		{"object_refs is not a relation", rep.ID(), nil},
	}
	for _, c := range cases {
		if got := ids(c.end); !slices.Equal(got, c.want) {
			t.Errorf("%s: RelationsOf = %v, want %v", c.rule, got, c.want)
		}
	}
	// A new version is what is returned, and an end it drops no longer finds it.
	mal2 := object(t, "malware")
	mustPut(t, s, mal2)
	moved, err := r1.NewVersion(at(4), func(m map[string]any) { m["target_ref"] = mal2.ID() })
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, moved)
	if got := ids(mal.ID()); !slices.Equal(got, []stix.ID{r2.ID()}) {
		t.Errorf("after r1 moved its target: RelationsOf(old target) = %v, want [r2]", got)
	}
	rs, _ := s.RelationsOf(t.Context(), mal2.ID())
	if len(rs) != 1 || !sameObject(rs[0].Object, moved) {
		t.Errorf("RelationsOf(new target) does not return r1's current version")
	}
}
