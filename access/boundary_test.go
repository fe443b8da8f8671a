package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

// fakeStore is a Lookup over a map that counts its calls and the ids asked.
type fakeStore struct {
	objs  map[stix.ID]*stix.Object
	calls int
	asked int
	err   error
}

func newFakeStore(objs ...*stix.Object) *fakeStore {
	f := &fakeStore{objs: map[stix.ID]*stix.Object{}}
	for _, o := range objs {
		f.objs[o.ID()] = o
	}
	return f
}

func (f *fakeStore) Lookup(_ context.Context, ids []stix.ID, found func(*stix.Object)) error {
	f.calls++
	f.asked += len(ids)
	if f.err != nil {
		return f.err
	}
	seen := map[stix.ID]bool{}
	for _, id := range ids {
		if seen[id] {
			panic("Lookup asked twice for " + id)
		}
		seen[id] = true
		if o, ok := f.objs[id]; ok {
			found(o)
		}
	}
	return nil
}

func uid(typ string, n int) stix.ID {
	return stix.ID(fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n))
}

// mk builds an object of typ numbered n, marked with marking (none if empty), with extra
// members (each starting with a comma).
func mk(typ string, n int, marking stix.ID, extra string) *stix.Object {
	s := `{"type":"` + typ + `","spec_version":"2.1","id":"` + string(uid(typ, n)) + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z"`
	if marking != "" {
		s += `,"object_marking_refs":["` + string(marking) + `"]`
	}
	return stix.MustParse(s + extra + `}`)
}

func rel(n int, marking stix.ID, src, dst stix.ID) *stix.Object {
	return mk("relationship", n, marking, `,"relationship_type":"indicates","source_ref":"`+string(src)+`","target_ref":"`+string(dst)+`"`)
}

func report(n int, marking stix.ID, refs ...stix.ID) *stix.Object {
	var q []string
	for _, r := range refs {
		q = append(q, `"`+string(r)+`"`)
	}
	return mk("report", n, marking, `,"name":"r","published":"2024-01-01T00:00:00Z","object_refs":[`+strings.Join(q, ",")+`]`)
}

func TestScreenRelationsAndContainers(t *testing.T) {
	v := mustVisibility(t, &VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	green := &Principal{Organizations: []string{orgB}, Markings: Clearance{Max: []stix.ID{stix.TLP2Green}}}
	clear, red := mk("indicator", 1, stix.TLP2Clear, ""), mk("indicator", 2, stix.TLP2Red, "")
	malware := mk("malware", 3, stix.TLP2Clear, "")
	grantedA := mk("indicator", 4, "", granted(orgA))
	dangling := uid("indicator", 99)
	relHidden := rel(10, stix.TLP2Clear, red.ID(), malware.ID())      // CLEAR, but to a RED indicator
	relOK := rel(11, stix.TLP2Clear, clear.ID(), malware.ID())        // both ends visible
	relDangling := rel(12, stix.TLP2Clear, dangling, malware.ID())    // one end not stored
	relOrg := rel(13, "", grantedA.ID(), malware.ID())                // to an object of another organization
	relOfRel := rel(14, stix.TLP2Clear, relHidden.ID(), malware.ID()) // to a relationship with a hidden end
	relOfRelOK := rel(15, stix.TLP2Clear, relOK.ID(), malware.ID())   // to a visible relationship
	cycleA := rel(16, "", uid("relationship", 17), malware.ID())      // a cycle of two visible relationships
	cycleB := rel(17, "", uid("relationship", 16), clear.ID())
	sighting := mk("sighting", 20, stix.TLP2Clear, `,"sighting_of_ref":"`+string(clear.ID())+`","where_sighted_refs":["`+orgA+`","`+string(grantedA.ID())+`"]`)
	rep := report(30, stix.TLP2Green, clear.ID(), red.ID(), dangling, relHidden.ID(), relOK.ID(), grantedA.ID())
	repAllHidden := report(31, "", red.ID())
	st := newFakeStore(clear, red, malware, grantedA, relHidden, relOK, relDangling, relOrg, relOfRel, relOfRelOK, cycleA, cycleB, sighting, rep, repAllHidden)

	batch := []*stix.Object{clear, red, relHidden, relOK, relDangling, relOrg, relOfRel, relOfRelOK, cycleA, cycleB, sighting, rep, repAllHidden}
	out, err := v.Screen(context.Background(), green, batch, st)
	if err != nil {
		t.Fatal(err)
	}
	want := map[stix.ID]bool{clear.ID(): true, relOK.ID(): true, relDangling.ID(): true, relOfRelOK.ID(): true,
		cycleA.ID(): true, cycleB.ID(): true, rep.ID(): true, repAllHidden.ID(): true}
	for i, o := range batch {
		if got := out[i] != nil; got != want[o.ID()] {
			t.Errorf("%s: leaves = %v, want %v", o.ID(), got, want[o.ID()])
		}
	}
	if got := out[11].Get("object_refs").Raw; got != `["`+string(clear.ID())+`","`+string(dangling)+`","`+string(relOK.ID())+`"]` {
		t.Errorf("report contents = %s, want the visible and the unstored ids only", got)
	}
	if got := out[12].Get("object_refs").Raw; got != `[]` {
		t.Errorf("report with only hidden contents: object_refs = %s, want []", got)
	}
	if out[0] != clear {
		t.Error("an object that needs no redaction was copied")
	}
	// Round 1: the ends and contents of the batch; round 2: the ends of the stored
	// relations found (relHidden, relOK, the cycle); round 3 finds nothing new to ask.
	if st.calls > 3 {
		t.Errorf("Lookup called %d times for one batch, want at most 3 (one per level)", st.calls)
	}
}

// TestScreenBatchesLookups checks the cost bound: a page of many relationships costs one
// Lookup, with every id asked once.
func TestScreenBatchesLookups(t *testing.T) {
	v := mustVisibility(t, nil)
	p := &Principal{Markings: Clearance{Max: []stix.ID{stix.TLP2Amber}}}
	var page []*stix.Object
	st := newFakeStore()
	for i := range 50 {
		ind := mk("indicator", i, stix.TLP2Clear, "")
		st.objs[ind.ID()] = ind
	}
	for i := range 1000 {
		page = append(page, rel(1000+i, stix.TLP2Clear, uid("indicator", i%50), uid("indicator", (i+1)%50)))
	}
	out, err := v.Screen(context.Background(), p, page, st)
	if err != nil {
		t.Fatal(err)
	}
	if st.calls != 1 || st.asked != 50 {
		t.Errorf("Lookup: %d calls asking %d ids, want 1 call asking the 50 distinct ends", st.calls, st.asked)
	}
	if slices.Contains(out, nil) {
		t.Error("a relationship with visible ends was held back")
	}
}

func TestScreenBypassAndNil(t *testing.T) {
	v := mustVisibility(t, nil)
	red := mk("indicator", 2, stix.TLP2Red, "")
	r := rel(10, stix.TLP2Clear, red.ID(), uid("malware", 3))
	st := newFakeStore(red)
	out, err := v.Screen(context.Background(), &Principal{Capabilities: []Capability{CapBypass}}, []*stix.Object{r, red}, st)
	if err != nil || out[0] != r || out[1] != red || st.calls != 0 {
		t.Errorf("bypass: %v %v, %d lookups; want everything unchanged and no lookup", out, err, st.calls)
	}
	out, err = v.Screen(context.Background(), nil, []*stix.Object{r}, st)
	if err != nil || out[0] != nil {
		t.Errorf("nil principal: %v %v, want nothing", out, err)
	}
}

func TestScreenLookupError(t *testing.T) {
	v := mustVisibility(t, nil)
	st := newFakeStore()
	st.err = errors.New("disk on fire")
	_, err := v.Screen(context.Background(), &Principal{}, []*stix.Object{rel(1, "", uid("indicator", 1), uid("malware", 2))}, st)
	if !errors.Is(err, st.err) {
		t.Errorf("err = %v, want the lookup's", err)
	}
	if _, err := v.Screen(context.Background(), &Principal{}, []*stix.Object{rel(1, "", uid("indicator", 1), uid("malware", 2))}, nil); err == nil {
		t.Error("a relationship decided without a Lookup")
	}
}

// TestScreenDeepChainFailsClosed: relationships of relationships deeper than the rounds
// Screen follows count as hidden, so a hostile chain costs bounded look-ups.
func TestScreenDeepChainFailsClosed(t *testing.T) {
	v := mustVisibility(t, nil)
	p := &Principal{}
	st := newFakeStore(mk("indicator", 0, "", ""))
	prev := uid("indicator", 0)
	var chain []*stix.Object
	for i := 1; i <= 2*maxRounds; i++ {
		r := rel(i, "", prev, uid("malware", 1))
		st.objs[r.ID()] = r
		chain = append(chain, r)
		prev = r.ID()
	}
	out, err := v.Screen(context.Background(), p, []*stix.Object{chain[0], chain[len(chain)-1]}, st)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] == nil {
		t.Error("a relationship between visible objects was held back")
	}
	if out[1] != nil {
		t.Error("a relationship at the end of a chain deeper than the look-up rounds left the feed")
	}
	if st.calls > maxRounds {
		t.Errorf("%d look-ups, want at most %d", st.calls, maxRounds)
	}
}

func TestCheckWrite(t *testing.T) {
	ctx := context.Background()
	v := mustVisibility(t, &VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	w := &Principal{Organizations: []string{orgB}, Markings: Clearance{Max: []stix.ID{stix.TLP2Green}}}
	amber := mk("indicator", 1, stix.TLP2Amber, "")
	green := mk("indicator", 2, stix.TLP2Green, "")
	ofA := mk("indicator", 3, "", granted(orgA))
	relToAmber := rel(10, stix.TLP2Clear, amber.ID(), green.ID())
	st := newFakeStore(amber, green, ofA, relToAmber)
	newer := func(o *stix.Object, marking stix.ID) *stix.Object {
		n, err := o.NewVersion(o.Modified().Add(1e9), func(m map[string]any) { m["object_marking_refs"] = []string{string(marking)} })
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tests := []struct {
		rule string
		w    Write
		ok   bool
	}{
		{"a new object within clearance", Write{Object: mk("indicator", 50, stix.TLP2Green, "")}, true},
		{"a new object marked beyond clearance", Write{Object: mk("indicator", 51, stix.TLP2Amber, "")}, false},
		{"a new object granted to another organization", Write{Object: mk("indicator", 52, "", granted(orgA))}, false},
		{"a new object granted to the writer's organization", Write{Object: mk("indicator", 53, "", granted(orgB))}, true},
		{"a new version of a visible object", Write{Object: newer(green, stix.TLP2Clear), Current: green}, true},
		{"a new version of a hidden object, marked CLEAR", Write{Object: newer(amber, stix.TLP2Clear), Current: amber}, false},
		{"an older version under a hidden object", Write{Object: mk("indicator", 1, stix.TLP2Clear, ""), Current: amber}, false},
		{"a new version of another organization's object", Write{Object: newer(ofA, stix.TLP2Clear), Current: ofA}, false},
		{"a new version of a relationship with a hidden end", Write{Object: newer(relToAmber, stix.TLP2Clear), Current: relToAmber}, false},
		{"a relationship to a hidden object (not stored yet)", Write{Object: rel(11, stix.TLP2Clear, amber.ID(), green.ID())}, true},
		{"a delete of a visible object", Write{Current: green}, true},
		{"a delete of a hidden object", Write{Current: amber}, false},
		{"a delete that cascades to a hidden relationship", Write{Current: green, Removed: []*stix.Object{relToAmber}}, false},
		{"nothing at all", Write{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			err := v.CheckWrite(ctx, w, tt.w, st)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckWrite = %v, want allowed %v", err, tt.ok)
			}
			if err == nil {
				return
			}
			var we *WriteError
			if !errors.As(err, &we) || !errors.Is(err, ErrWriteRefused) {
				t.Fatalf("err = %#v, want a *WriteError wrapping ErrWriteRefused", err)
			}
			id := tt.w.Current
			if tt.w.Object != nil {
				id = tt.w.Object
			}
			if err.Error() != string(id.ID())+": "+RefusedMessage {
				t.Errorf("message %q does not read the same for every refusal", err.Error())
			}
		})
	}
	if err := v.CheckWrite(ctx, nil, Write{Object: green}, st); !errors.Is(err, ErrWriteRefused) {
		t.Errorf("nil writer: %v, want refused", err)
	}
}

// TestScreenOtherReferences: any other reference to a hidden object is removed too (a
// single one such as created_by_ref, entries of a list such as sample_refs); one deeper
// inside the object withholds it; markings and grants are not looked up.
func TestScreenOtherReferences(t *testing.T) {
	v := mustVisibility(t, nil)
	p := &Principal{Markings: Clearance{Max: []stix.ID{stix.TLP2Green}}}
	author := mk("identity", 1, stix.TLP2Red, `,"name":"secret author","identity_class":"individual"`)
	sample := mk("file", 2, stix.TLP2Red, "")
	visible := mk("file", 3, "", "")
	mal := mk("malware", 4, stix.TLP2Clear, `,"name":"m","is_family":false,"created_by_ref":"`+string(author.ID())+`","sample_refs":["`+string(sample.ID())+`","`+string(visible.ID())+`"]`)
	nested := mk("x-thing", 5, "", `,"extensions":{"x-ext":{"owner_ref":"`+string(author.ID())+`"}}`)
	relByAuthor := mk("relationship", 6, "", `,"relationship_type":"uses","source_ref":"`+string(visible.ID())+`","target_ref":"`+string(visible.ID())+`","created_by_ref":"`+string(author.ID())+`"`)
	st := newFakeStore(author, sample, visible, mal, nested, relByAuthor)
	out, err := v.Screen(context.Background(), p, []*stix.Object{mal, nested, relByAuthor}, st)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] == nil || out[0].Has("created_by_ref") || out[0].Get("sample_refs").Raw != `["`+string(visible.ID())+`"]` || out[0].Get("name").Str != "m" {
		t.Errorf("malware: %v, want it without the hidden author and sample", out[0])
	}
	if out[1] != nil {
		t.Errorf("an object naming a hidden one inside an extension left: %s", out[1])
	}
	if out[2] == nil || out[2].Has("created_by_ref") {
		t.Errorf("relationship with visible ends: %v, want it without its hidden author", out[2])
	}
	for _, o := range out {
		if o != nil && strings.Contains(o.String(), string(author.ID())) {
			t.Errorf("%s still names the hidden author", o.ID())
		}
	}
}

// TestScreenCurrentMatchesScreen: on a batch of current versions, ScreenCurrent decides
// exactly as Screen, asking the store only for what the batch does not hold.
func TestScreenCurrentMatchesScreen(t *testing.T) {
	v, p, f := mixedFixture(t, "")
	batch := []*stix.Object{f.red, f.clear, f.r1, f.r2, f.r3, f.rep}
	st := newFakeStore(append(batch, f.outside)...)
	want, err := v.Screen(context.Background(), p, batch, st)
	if err != nil {
		t.Fatal(err)
	}
	full := st.asked
	st.asked, st.calls = 0, 0
	got, err := v.ScreenCurrent(context.Background(), p, batch, st)
	if err != nil {
		t.Fatal(err)
	}
	for i := range batch {
		if (want[i] == nil) != (got[i] == nil) || want[i] != nil && want[i].String() != got[i].String() {
			t.Errorf("%s: Screen %v, ScreenCurrent %v", batch[i].ID(), want[i], got[i])
		}
	}
	if st.asked != 1 || full <= 1 {
		t.Errorf("ScreenCurrent asked for %d ids (Screen %d), want only the one outside the batch", st.asked, full)
	}
}

// TestAdmitDecidesAsScreen: Admit and AdmitCurrent let out exactly what Screen and
// ScreenCurrent let out, on a batch where something named is hidden (the rewriting path)
// and on one where nothing is (the path where Admit skips Redact), objects carrying
// granted organizations included.
func TestAdmitDecidesAsScreen(t *testing.T) {
	v, p, f := mixedFixture(t, `,"x_opencti_granted_refs":["`+string(uid("identity", 9))+`"]`)
	clear := f.clear
	quiet := report(21, "", f.clear.ID(), f.r2.ID(), f.outside.ID())
	st := newFakeStore(f.red, f.clear, f.outside, f.r1, f.r2, f.r3, f.rep, quiet)
	for name, batch := range map[string][]*stix.Object{
		"something hidden": {f.red, f.clear, f.r1, f.r2, f.r3, f.rep},
		"nothing hidden":   {f.clear, f.r2, f.r3, quiet},
	} {
		for _, current := range []bool{false, true} {
			screen, admit := v.Screen, v.Admit
			if current {
				screen, admit = v.ScreenCurrent, v.AdmitCurrent
			}
			want, err := screen(context.Background(), p, batch, st)
			if err != nil {
				t.Fatal(err)
			}
			got, err := admit(context.Background(), p, batch, st)
			if err != nil {
				t.Fatal(err)
			}
			served := 0
			for i := range batch {
				if got[i] != (want[i] != nil) {
					t.Errorf("%s, current %v: %s admitted %v, screened %v", name, current, batch[i].ID(), got[i], want[i])
				}
				if want[i] != nil {
					served++
				}
			}
			if served == 0 || served == len(batch) && name == "something hidden" {
				t.Errorf("%s: %d of %d served: the batch does not exercise the rule", name, served, len(batch))
			}
			if name == "nothing hidden" && (want[0] == clear || strings.Contains(want[0].String(), "granted")) {
				t.Errorf("Screen served the granted organizations: %s", want[0])
			}
		}
	}
}

// TestScreenConcurrent: Screen reuses its working state from one call to the next (a
// pool in the Visibility); concurrent calls on different batches must each get the answer
// a call alone gets (run under -race).
func TestScreenConcurrent(t *testing.T) {
	v, p, f := mixedFixture(t, "")
	st := mapLookup{} // read-only, so that concurrent look-ups do not race in the test itself
	for _, o := range []*stix.Object{f.red, f.clear, f.outside, f.r1, f.r2, f.r3, f.rep} {
		st[o.ID()] = o
	}
	batches := [][]*stix.Object{{f.red, f.clear, f.r1, f.r2, f.r3, f.rep}, {f.clear, f.r2}, {f.rep}, {f.r1, f.outside}}
	want := make([][]*stix.Object, len(batches))
	for i, b := range batches {
		out, err := v.ScreenCurrent(context.Background(), p, b, st)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = out
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 200 {
				i := (g + n) % len(batches)
				out, err := v.ScreenCurrent(context.Background(), p, batches[i], st)
				if err != nil {
					t.Error(err)
					return
				}
				for j := range out {
					if (out[j] == nil) != (want[i][j] == nil) || out[j] != nil && out[j].String() != want[i][j].String() {
						t.Errorf("batch %d, object %d: %v, alone %v", i, j, out[j], want[i][j])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// mixed is the fixture of the tests that compare Screen's forms: a RED and a CLEAR
// indicator, a malware, a relationship from each indicator to the malware, one from the
// second relationship to the CLEAR indicator, and a report naming both indicators, the
// first and third relationships and the malware.
type mixed struct {
	red, clear, outside, r1, r2, r3, rep *stix.Object
}

// mixedFixture returns a Visibility, a principal cleared up to GREEN and the mixed
// objects; extra is added to the CLEAR indicator's JSON.
func mixedFixture(t *testing.T, extra string) (*Visibility, *Principal, mixed) {
	var f mixed
	f.red = mk("indicator", 1, stix.TLP2Red, "")
	f.clear = mk("indicator", 2, stix.TLP2Clear, extra)
	f.outside = mk("malware", 3, stix.TLP2Clear, "")
	f.r1 = rel(10, "", f.red.ID(), f.outside.ID())
	f.r2 = rel(11, "", f.clear.ID(), f.outside.ID())
	f.r3 = rel(12, "", f.r2.ID(), f.clear.ID())
	f.rep = report(20, "", f.red.ID(), f.clear.ID(), f.r1.ID(), f.r3.ID(), f.outside.ID())
	return mustVisibility(t, nil), &Principal{Markings: Clearance{Max: []stix.ID{stix.TLP2Green}}}, f
}
