package storefilter_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storefilter"
)

const (
	idIndicator = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	idMalware   = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
	idRel       = "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"
	idReport    = "report--5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
	times       = `"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z"`
)

var (
	indicator = stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"` + idIndicator + `",` + times +
		`,"pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z"}`)
	malware = stix.MustParse(`{"type":"malware","spec_version":"2.1","id":"` + idMalware + `",` + times +
		`,"name":"Emotet","is_family":true}`)
	indicates = stix.MustParse(`{"type":"relationship","spec_version":"2.1","id":"` + idRel + `",` + times +
		`,"relationship_type":"indicates","source_ref":"` + idIndicator + `","target_ref":"` + idMalware + `"}`)
	report = stix.MustParse(`{"type":"report","spec_version":"2.1","id":"` + idReport + `",` + times +
		`,"name":"Emotet returns","published":"2024-05-01T10:00:00.000Z","object_refs":["` + idIndicator + `"]}`)
	reportV2 = stix.MustParse(`{"type":"report","spec_version":"2.1","id":"` + idReport + `",` +
		`"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-02T10:00:00.000Z"` +
		`,"name":"Emotet returns","published":"2024-05-01T10:00:00.000Z","object_refs":["` + idMalware + `"]}`)
)

// requireHistory skips a test that needs memstore's history: as-of reads that differ from
// the present, position checks and cascading deletes. Until the "Time-correct history" work
// lands on main (branch h-store), memstore answers as-of reads with the current state
// (store/memstore/asof.go, marked TEMPORARY) and deletes no relationship with its end; these
// tests run, and must pass, as soon as it does.
func requireHistory(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	put(t, s, indicator)
	put(t, s, malware)
	withRel := put(t, s, indicates)
	if _, err := s.Delete(ctx, idIndicator); err != nil {
		t.Fatal(err)
	}
	then, err := s.GetManyAt(ctx, withRel, []stix.ID{idRel})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, idRel); len(then) == 0 || !errors.Is(err, store.ErrNotFound) {
		t.Skip("memstore answers as-of reads with the current state and does not cascade deletes yet (store/memstore/asof.go, TEMPORARY; branch h-store)")
	}
}

func newStore(t *testing.T) *memstore.Store {
	t.Helper()
	clock := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	return memstore.New(&memstore.Options{Clock: func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}})
}

func put(t *testing.T, s *memstore.Store, o *stix.Object) store.Position {
	t.Helper()
	ev, _, err := s.Put(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Pos
}

func compile(t testing.TB, text string) *filter.Matcher {
	t.Helper()
	g, err := filter.ParseText(text)
	if err != nil {
		t.Fatal(err)
	}
	m, err := filter.Compile(g, &filter.CompileOptions{Relations: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func matches(t *testing.T, m *filter.Matcher, r filter.Resolver, o *stix.Object) bool {
	t.Helper()
	b, err := m.Bind(context.Background(), filter.BindOptions{Resolver: r})
	if err != nil {
		t.Fatal(err)
	}
	return b.Match(o, filter.Times{})
}

// TestAsOf checks that a resolver reads the store as of its position: the relationship that
// makes the indicator match exists after its create and not after its delete, and the
// report's contents follow its versions, whatever the current state.
func TestAsOf(t *testing.T) {
	requireHistory(t)
	ctx := context.Background()
	s := newStore(t)
	put(t, s, indicator)
	put(t, s, malware)
	beforeRel := put(t, s, report)
	withRel := put(t, s, indicates)
	reportChanged := put(t, s, reportV2)
	ev, err := s.Delete(ctx, idRel)
	if err != nil {
		t.Fatal(err)
	}
	relDeleted := ev.Pos

	regarding := compile(t, `regardingOf = {id = `+idMalware+`, relationship_type = indicates}`)
	contained := compile(t, `containers = `+idReport)
	cases := []struct {
		name              string
		r                 filter.Resolver
		regarding, inside bool
	}{
		{"before the relationship", storefilter.At(s, beforeRel), false, true},
		{"after its create", storefilter.At(s, withRel), true, true},
		{"after the report's new version", storefilter.At(s, reportChanged), true, false},
		{"after its delete", storefilter.At(s, relDeleted), false, false},
		{"current state", storefilter.Current(s), false, false},
	}
	for _, c := range cases {
		if got := matches(t, regarding, c.r, indicator); got != c.regarding {
			t.Errorf("%s: regardingOf(indicates, Emotet) on the indicator = %v, want %v", c.name, got, c.regarding)
		}
		if got := matches(t, contained, c.r, indicator); got != c.inside {
			t.Errorf("%s: containers = report on the indicator = %v, want %v", c.name, got, c.inside)
		}
	}
}

// TestAsOfBeyondTheLog checks that a position the store refuses fails the binding with the
// store's error rather than matching nothing.
func TestAsOfBeyondTheLog(t *testing.T) {
	requireHistory(t)
	s := newStore(t)
	last := put(t, s, indicator)
	beyond := store.Position{Millis: last.Millis + 1000}
	_, err := compile(t, `connectedToId = `+idMalware).Bind(context.Background(),
		filter.BindOptions{Resolver: storefilter.At(s, beyond)})
	if !errors.Is(err, store.ErrInvalidPosition) {
		t.Errorf("Bind beyond the log: %v, want store.ErrInvalidPosition", err)
	}
}

// TestAttack checks the adapter on real data: the techniques Windshift uses, through
// memstore, as of the last position.
func TestAttack(t *testing.T) {
	ctx := context.Background()
	f, err := os.Open(sharedtest.AttackBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := memstore.New(&memstore.Options{MaxEvents: -1})
	var objs []*stix.Object
	for o, err := range stix.DecodeBundle(f) {
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	if _, err := store.PutMany(ctx, s, objs); err != nil {
		t.Fatal(err)
	}
	b, err := s.Bounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := compile(t, `entity_type = Attack-Pattern and regardingOf = {id = intrusion-set--afec6dc3-a18e-4b62-b1a4-5510e1a498d1, relationship_type = uses}`)
	bound, err := m.Bind(ctx, filter.BindOptions{Resolver: storefilter.At(s, b.Last)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for r, err := range store.All(ctx, s, store.ScanOptions{Limit: store.MaxLimit}) {
		if err != nil {
			t.Fatal(err)
		}
		if bound.Match(r.Object, storefilter.Times(r)) {
			names = append(names, r.Object.Get("name").String())
		}
	}
	slices.Sort(names)
	if len(names) != 16 || names[0] != "Audio Capture" || names[15] != "Video Capture" {
		t.Errorf("Windshift uses %d techniques %v, want the 16 of filter/testdata/attack_keys.golden", len(names), names)
	}
}

// TestTimes checks that the record's times reach created_at and updated_at.
func TestTimes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	put(t, s, indicator)
	rec, err := s.Get(ctx, idIndicator)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := filter.ParseText(`created_at = "` + rec.DateAdded.Format(time.RFC3339Nano) + `"`)
	m, err := filter.Compile(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Bind(ctx, filter.BindOptions{})
	if !b.Match(rec.Object, storefilter.Times(rec)) || b.Match(rec.Object, filter.Times{}) {
		t.Error("created_at reads the record's DateAdded, and nothing without it")
	}
}
