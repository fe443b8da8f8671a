package access

import (
	"context"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

// FuzzScreen: whatever object arrives, what Screen lets out names no hidden object in any
// reference (markings and grants aside), a relationship or sighting it lets out has no
// hidden stored end, and the object keeps its id and stays parsable.
func FuzzScreen(f *testing.F) {
	hiddenA, hiddenB := uid("indicator", 1), uid("relationship", 2)
	visibleA, visibleB := uid("malware", 3), uid("identity", 4)
	st := mapLookup{
		hiddenA:  mk("indicator", 1, stix.TLP2Red, ""),
		hiddenB:  rel(2, stix.TLP2Clear, hiddenA, visibleA), // hidden by its end
		visibleA: mk("malware", 3, stix.TLP2Clear, ""),
		visibleB: mk("identity", 4, "", `,"identity_class":"organization"`),
	}
	hidden := map[stix.ID]bool{hiddenA: true, hiddenB: true}
	f.Add([]byte(report(9, stix.TLP2Clear, hiddenA, visibleA, hiddenB, uid("x-dangling", 7)).Raw()))
	f.Add([]byte(rel(10, stix.TLP2Clear, visibleA, visibleB).Raw()))
	f.Add([]byte(rel(11, "", hiddenB, visibleA).Raw()))
	f.Add([]byte(`{"type":"malware","id":"malware--x","created_by_ref":"` + string(hiddenA) + `","sample_refs":["` + string(hiddenA) + `",1,"` + string(visibleA) + `"],"x":{"y_ref":"` + string(hiddenB) + `"}}`))
	f.Add([]byte(`{"type":"sighting","id":"sighting--x","sighting_of_ref":"` + string(visibleA) + `","where_sighted_refs":["` + string(visibleB) + `","` + string(hiddenA) + `"]}`))
	f.Add([]byte(`{"type":"note","id":"note--x","object_r\u0065fs":["` + string(hiddenA) + `"],"x_opencti_granted_refs":["` + string(visibleB) + `"]}`))
	v := mustVisibility(f, nil)
	p := &Principal{Markings: Clearance{Max: []stix.ID{stix.TLP2Clear}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := stix.Parse(data)
		if err != nil {
			return
		}
		out, err := v.ScreenOne(context.Background(), p, o, st)
		if err != nil {
			t.Fatal(err)
		}
		// Admit decides as Screen, alone and in a batch of current versions with a
		// visible neighbour (so that the batch names something visible, or not).
		batch := []*stix.Object{o, st[visibleA]}
		if o.ID() == visibleA {
			batch = batch[:1]
		}
		for _, current := range []bool{false, true} {
			screen, admit := v.Screen, v.Admit
			if current {
				screen, admit = v.ScreenCurrent, v.AdmitCurrent
			}
			want, err1 := screen(context.Background(), p, batch, st)
			got, err2 := admit(context.Background(), p, batch, st)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			for i := range batch {
				if got[i] != (want[i] != nil) {
					t.Fatalf("current %v: Admit(%s) = %v, Screen gives %v", current, batch[i].Raw(), got[i], want[i])
				}
			}
		}
		if out == nil {
			return
		}
		if out.ID() != o.ID() || carriesGrants(out) {
			t.Fatalf("Screen(%s) = %s", o.Raw(), out.Raw())
		}
		if _, err := stix.Parse(out.Raw()); err != nil {
			t.Fatalf("Screen(%s) is not parsable: %v", o.Raw(), err)
		}
		for _, r := range out.Refs() {
			if names(r.Path) && r.ID != out.ID() && hidden[r.ID] {
				t.Fatalf("Screen(%s) = %s still names hidden %s at %s", o.Raw(), out.Raw(), r.ID, r.Path)
			}
		}
	})
}
