package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

func testGetMissing(t *testing.T, s store.Store) {
	id := stix.NewID("indicator")
	if _, err := s.Get(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Versions(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Versions(missing) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Delete(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delete(missing) error = %v, want ErrNotFound", err)
	}
}

// A new id appends a create event; the record's times are that event's time.
func testPutCreates(t *testing.T, s store.Store) {
	o := indicator(t, 0)
	ev, changed, err := s.Put(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Error("Put of a new id reported no change")
	}
	if err := checkEvent(ev, store.EventCreate, o.ID(), nil, o); err != nil {
		t.Error(err)
	}
	r := mustGet(t, s, o.ID())
	if !sameObject(r.Object, o) {
		t.Errorf("Get = %s, want %s", name(r.Object), name(o))
	}
	if !r.DateAdded.Equal(ev.Time) || !r.Updated.Equal(ev.Time) {
		t.Errorf("DateAdded %v, Updated %v; want both the create event's time %v", r.DateAdded, r.Updated, ev.Time)
	}
	if evs := readAll(t, s, store.Position{}); len(evs) != 1 || evs[0].Pos != ev.Pos {
		t.Errorf("log holds %d events, want exactly the create event", len(evs))
	}
}

// A newer version becomes current with an update event; DateAdded stays, Updated moves.
func testPutUpdates(t *testing.T, s store.Store) {
	v1 := indicator(t, 0)
	create := mustPut(t, s, v1)
	v2 := next(t, v1, 5, "second")
	ev, changed, err := s.Put(t.Context(), v2)
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Error("Put of a newer version reported no change")
	}
	if err := checkEvent(ev, store.EventUpdate, v1.ID(), v1, v2); err != nil {
		t.Error(err)
	}
	if ev.Pos.Compare(create.Pos) <= 0 {
		t.Errorf("update position %s is not after create position %s", ev.Pos, create.Pos)
	}
	r := mustGet(t, s, v1.ID())
	if !sameObject(r.Object, v2) {
		t.Errorf("Get = %s, want %s", name(r.Object), name(v2))
	}
	if !r.DateAdded.Equal(create.Time) {
		t.Errorf("DateAdded = %v, want the create time %v (it never changes)", r.DateAdded, create.Time)
	}
	if !r.Updated.Equal(ev.Time) {
		t.Errorf("Updated = %v, want the update event's time %v", r.Updated, ev.Time)
	}
}

// An exact duplicate, even reformatted, is accepted and appends nothing (TAXII requires it).
func testPutDuplicate(t *testing.T, s store.Store) {
	o := indicator(t, 0)
	mustPut(t, s, o)
	before := lastPos(t, s)
	reformatted, err := stix.Parse([]byte(" " + strings.ReplaceAll(string(o.Raw()), ",", " ,\n ")))
	if err != nil {
		t.Fatal(err)
	}
	for _, dup := range []*stix.Object{o, reformatted} {
		ev, changed, err := s.Put(t.Context(), dup)
		if err != nil {
			t.Errorf("Put(duplicate) error: %v", err)
		}
		if changed || ev.Kind != 0 {
			t.Errorf("Put(duplicate) = %v, %v; want no event", ev.Kind, changed)
		}
	}
	if got := lastPos(t, s); got != before {
		t.Errorf("log moved from %s to %s on a duplicate", before, got)
	}
}

// An older version is kept among the versions, not made current, without an event.
func testPutOlder(t *testing.T, s store.Store) {
	v1 := indicator(t, 0)
	v2 := next(t, v1, 5, "second")
	v3 := next(t, v2, 9, "third")
	mustPut(t, s, v1)
	mustPut(t, s, v3)
	before := lastPos(t, s)
	ev, changed, err := s.Put(t.Context(), v2)
	if err != nil {
		t.Fatal(err)
	}
	if changed || ev.Kind != 0 {
		t.Errorf("Put(older version) = %v, %v; want no event", ev.Kind, changed)
	}
	if got := lastPos(t, s); got != before {
		t.Errorf("log moved from %s to %s on an older version", before, got)
	}
	if r := mustGet(t, s, v1.ID()); !sameObject(r.Object, v3) {
		t.Errorf("current = %s, want %s", name(r.Object), name(v3))
	}
	vs, err := s.Versions(t.Context(), v1.ID())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range vs {
		got = append(got, r.Object.ModifiedRaw())
	}
	want := []string{v1.ModifiedRaw(), v2.ModifiedRaw(), v3.ModifiedRaw()}
	if !slices.Equal(got, want) {
		t.Errorf("Versions = %v, want %v", got, want)
	}
}

// Same id and version, different content: ErrConflict, and nothing changes.
func testPutConflict(t *testing.T, s store.Store) {
	v1 := indicator(t, 0)
	mustPut(t, s, v1)
	other, err := stix.NewIndicator("other name", "[ipv4-addr:value = '203.0.113.1']", at(0),
		stix.Common{ID: v1.ID(), Created: at(0), Modified: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	before := lastPos(t, s)
	if _, _, err := s.Put(t.Context(), other); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Put(conflicting version) error = %v, want ErrConflict", err)
	}
	if r := mustGet(t, s, v1.ID()); !sameObject(r.Object, v1) {
		t.Errorf("current = %s after a rejected put, want the original", r.Object)
	}
	if got := lastPos(t, s); got != before {
		t.Errorf("log moved from %s to %s on a rejected put", before, got)
	}
}

// SCOs have no version: the same content is a duplicate, different content an update.
func testPutUnversioned(t *testing.T, s store.Store) {
	a := stix.MustParse(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`)
	b := stix.MustParse(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3","labels":["c2"]}`)
	create := mustPut(t, s, a)
	if err := checkEvent(create, store.EventCreate, a.ID(), nil, a); err != nil {
		t.Error(err)
	}
	if ev, changed, err := s.Put(t.Context(), a); err != nil || changed || ev.Kind != 0 {
		t.Errorf("Put(same SCO) = %v, %v, %v; want no event, no error", ev.Kind, changed, err)
	}
	ev, changed, err := s.Put(t.Context(), b)
	if err != nil || !changed {
		t.Fatalf("Put(changed SCO) = %v, %v; want an update", changed, err)
	}
	if err := checkEvent(ev, store.EventUpdate, a.ID(), a, b); err != nil {
		t.Error(err)
	}
	if r := mustGet(t, s, a.ID()); !sameObject(r.Object, b) {
		t.Errorf("current = %s, want the changed SCO", r.Object)
	}
}

func testPutInvalid(t *testing.T, s store.Store) {
	if _, _, err := s.Put(t.Context(), nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Put(nil) error = %v, want ErrInvalid", err)
	}
	bad := stix.MustParse(`{"type":"indicator","id":"indicator--not-a-uuid","created":"2024-01-01T00:00:00.000Z"}`)
	if _, _, err := s.Put(t.Context(), bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Put(malformed id) error = %v, want ErrInvalid", err)
	}
	if got := lastPos(t, s); !got.IsZero() {
		t.Errorf("log is at %s after rejected puts, want empty", got)
	}
}

// Delete removes every version and its relations; the event carries the last version.
func testDelete(t *testing.T, s store.Store) {
	v1 := indicator(t, 0)
	v2 := next(t, v1, 3, "second")
	mal := object(t, "malware")
	rel := relationship(t, v1.ID(), mal.ID())
	for _, o := range []*stix.Object{v1, v2, mal, rel} {
		mustPut(t, s, o)
	}
	ev, err := s.Delete(t.Context(), rel.ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkEvent(ev, store.EventDelete, rel.ID(), rel, nil); err != nil {
		t.Error(err)
	}
	if rs, _ := s.RelationsOf(t.Context(), mal.ID()); len(rs) != 0 {
		t.Errorf("RelationsOf after deleting the relationship = %d records, want 0", len(rs))
	}
	ev, err = s.Delete(t.Context(), v1.ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkEvent(ev, store.EventDelete, v1.ID(), v2, nil); err != nil {
		t.Error(err)
	}
	if _, err := s.Get(t.Context(), v1.ID()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete error = %v, want ErrNotFound", err)
	}
	if _, err := s.Versions(t.Context(), v1.ID()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Versions after Delete error = %v, want ErrNotFound", err)
	}
	if _, err := s.Delete(t.Context(), v1.ID()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second Delete error = %v, want ErrNotFound", err)
	}
	for r, err := range store.All(t.Context(), s, store.ScanOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Object.ID() == v1.ID() || r.Object.ID() == rel.ID() {
			t.Errorf("scan still returns deleted %s", r.Object.ID())
		}
	}
	// Storing the id again starts afresh: a create, with a new DateAdded.
	again := mustPut(t, s, v1)
	if err := checkEvent(again, store.EventCreate, v1.ID(), nil, v1); err != nil {
		t.Error(err)
	}
	if r := mustGet(t, s, v1.ID()); !r.DateAdded.Equal(again.Time) {
		t.Errorf("DateAdded after re-creating = %v, want %v", r.DateAdded, again.Time)
	}
}

// A merge is one event: the target's new version, the sources gone.
func testMerge(t *testing.T, s store.Store) {
	target := object(t, "threat-actor")
	src1, src2 := object(t, "threat-actor"), object(t, "threat-actor")
	for _, o := range []*stix.Object{target, src1, src2} {
		mustPut(t, s, o)
	}
	merged := next(t, target, 7, "merged")
	before := lastPos(t, s)
	ev, err := s.Merge(t.Context(), merged, []stix.ID{src2.ID(), src1.ID()})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkEvent(ev, store.EventMerge, target.ID(), target, merged); err != nil {
		t.Error(err)
	}
	if !slices.Equal(ev.Sources, []stix.ID{src2.ID(), src1.ID()}) {
		t.Errorf("merge Sources = %v, want [src2 src1] in the order given", ev.Sources)
	}
	if len(ev.SourceObjects) != 2 || !sameObject(ev.SourceObjects[0], src2) || !sameObject(ev.SourceObjects[1], src1) {
		t.Errorf("merge SourceObjects do not hold the sources' last versions in order")
	}
	if evs := readAll(t, s, before); len(evs) != 1 {
		t.Errorf("merge appended %d events, want 1", len(evs))
	}
	for _, id := range []stix.ID{src1.ID(), src2.ID()} {
		if _, err := s.Get(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("merged source %s: Get error = %v, want ErrNotFound", id, err)
		}
	}
	r := mustGet(t, s, target.ID())
	if !sameObject(r.Object, merged) || !r.Updated.Equal(ev.Time) {
		t.Errorf("target after merge = %s updated %v, want %s updated %v", name(r.Object), r.Updated, name(merged), ev.Time)
	}
}

func testMergeErrors(t *testing.T, s store.Store) {
	target := object(t, "threat-actor")
	src := object(t, "threat-actor")
	mustPut(t, s, next(t, target, 5, "current"))
	mustPut(t, s, src)
	before := lastPos(t, s)
	newer := next(t, target, 9, "merged")
	cases := []struct {
		rule    string
		target  *stix.Object
		sources []stix.ID
		want    error
	}{
		{"sources are required", newer, nil, store.ErrInvalid},
		{"a source must differ from the target", newer, []stix.ID{target.ID()}, store.ErrInvalid},
		{"sources must be distinct", newer, []stix.ID{src.ID(), src.ID()}, store.ErrInvalid},
		{"sources must be valid ids", newer, []stix.ID{"junk"}, store.ErrInvalid},
		{"the target must be non-nil", nil, []stix.ID{src.ID()}, store.ErrInvalid},
		{"every source must exist", newer, []stix.ID{src.ID(), stix.NewID("threat-actor")}, store.ErrNotFound},
		{"the target must exist", object(t, "threat-actor"), []stix.ID{src.ID()}, store.ErrNotFound},
		{"the target must not be older than current", target, []stix.ID{src.ID()}, store.ErrConflict},
	}
	for _, c := range cases {
		if _, err := s.Merge(t.Context(), c.target, c.sources); !errors.Is(err, c.want) {
			t.Errorf("%s: Merge error = %v, want %v", c.rule, err, c.want)
		}
	}
	if got := lastPos(t, s); got != before {
		t.Errorf("failed merges moved the log from %s to %s", before, got)
	}
	if _, err := s.Get(t.Context(), src.ID()); err != nil {
		t.Errorf("a failed merge removed its source: %v", err)
	}
}
