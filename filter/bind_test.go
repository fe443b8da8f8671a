package filter_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
)

// countingResolver counts calls and may fail.
type countingResolver struct {
	inner           filter.Resolver
	relations, objs int
	relIDs, objIDs  []stix.ID
	err             error
}

func (r *countingResolver) Relations(ctx context.Context, ids []stix.ID) ([]*stix.Object, error) {
	r.relations++
	r.relIDs = append(r.relIDs, ids...)
	if r.err != nil {
		return nil, r.err
	}
	return r.inner.Relations(ctx, ids)
}

func (r *countingResolver) Objects(ctx context.Context, ids []stix.ID) ([]*stix.Object, error) {
	r.objs++
	r.objIDs = append(r.objIDs, ids...)
	if r.err != nil {
		return nil, r.err
	}
	return r.inner.Objects(ctx, ids)
}

func mustCompile(t testing.TB, text string, opts *filter.CompileOptions) *filter.Matcher {
	t.Helper()
	g, err := filter.ParseText(text)
	if err != nil {
		t.Fatal(err)
	}
	m, err := filter.Compile(g, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBindBatches checks that a binding asks the resolver once per method, with every id of
// every relationship filter, whatever the number of filters and objects matched after.
func TestBindBatches(t *testing.T) {
	objs := fixtures(t)
	m := mustCompile(t, `regardingOf = {id = `+idMalware+`, relationship_type = indicates} and (sightedBy = `+idCrowd+
		` or connectedToId = (`+idMalware+` or `+idCountry+`)) and containers = (`+idReport+` or `+idNote+`)`,
		&filter.CompileOptions{Relations: true})
	if !m.NeedsResolver() {
		t.Fatal("NeedsResolver = false")
	}
	r := &countingResolver{inner: fixtureResolver(objs)}
	b, err := m.Bind(context.Background(), filter.BindOptions{Resolver: r})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, o := range objs {
			b.Match(o, filter.Times{})
		}
	}
	if r.relations != 1 || r.objs != 1 {
		t.Errorf("Relations called %d times, Objects %d times; want 1 and 1", r.relations, r.objs)
	}
	wantRel := []stix.ID{idCrowd, idCountry, idMalware}
	if !slices.Equal(r.relIDs, wantRel) {
		t.Errorf("Relations asked %v, want %v (sorted, once each)", r.relIDs, wantRel)
	}
	if want := []stix.ID{idNote, idReport}; !slices.Equal(r.objIDs, want) {
		t.Errorf("Objects asked %v, want %v", r.objIDs, want)
	}
	want := []stix.ID{idCrowd, idCountry, idMalware, idNote, idReport}
	if got := m.ResolverIDs(); !slices.Equal(got, want) {
		t.Errorf("ResolverIDs = %v, want %v", got, want)
	}
	if !b.Match(objs["ind"], filter.Times{}) {
		t.Error("the indicator passes every filter")
	}
}

func TestBindErrors(t *testing.T) {
	m := mustCompile(t, `objectLabel = x or regardingOf = {id = `+idMalware+`}`, &filter.CompileOptions{Relations: true})
	_, err := m.Bind(context.Background(), filter.BindOptions{})
	if !errors.Is(err, filter.ErrNoResolver) || !strings.Contains(err.Error(), "regardingOf") {
		t.Errorf("Bind without a resolver: %v, want ErrNoResolver naming regardingOf", err)
	}
	boom := errors.New("store down")
	_, err = m.Bind(context.Background(), filter.BindOptions{Resolver: &countingResolver{err: boom}})
	if !errors.Is(err, boom) {
		t.Errorf("Bind: %v, want the resolver's error", err)
	}
	// A matcher without relationship keys binds without a resolver.
	plain := mustCompile(t, `created > now-1d`, nil)
	if _, err := plain.Bind(context.Background(), filter.BindOptions{}); err != nil {
		t.Errorf("Bind of a date filter: %v", err)
	}
	var nilM *filter.Matcher
	b, err := nilM.Bind(context.Background(), filter.BindOptions{})
	if err != nil || !b.Match(nil, filter.Times{}) {
		t.Errorf("a nil Matcher binds to a Bound matching everything: %v", err)
	}
}

// TestBindFixesNow checks that a Bound resolves relative dates once, at BindOptions.Now or
// the matcher's clock at Bind, while Matcher.Match reads the clock at each match.
func TestBindFixesNow(t *testing.T) {
	objs := fixtures(t)
	now := fixtureNow
	clock := func() time.Time { return now }
	m := mustCompile(t, `created >= now-7d/d`, &filter.CompileOptions{Clock: clock})
	b, err := m.Bind(context.Background(), filter.BindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.UsesNow() || mustCompile(t, `created >= 2024-05-01`, nil).UsesNow() {
		t.Error("UsesNow: true for a relative date only")
	}
	if !b.Now().Equal(fixtureNow) {
		t.Errorf("Bound.Now = %v, want the clock's %v", b.Now(), fixtureNow)
	}
	ind := objs["ind"]
	if !m.Match(ind) || !b.Match(ind, filter.Times{}) {
		t.Fatal("created 2024-05-01 is within 7 days of 2024-05-08, rounded to the day")
	}
	now = fixtureNow.AddDate(0, 0, 2) // the clock moves on
	if m.Match(ind) {
		t.Error("Matcher.Match reads the clock at each match")
	}
	if !b.Match(ind, filter.Times{}) {
		t.Error("a Bound keeps the now it was bound at")
	}
	b2, _ := m.Bind(context.Background(), filter.BindOptions{Now: fixtureNow})
	if !b2.Match(ind, filter.Times{}) {
		t.Error("BindOptions.Now wins over the clock")
	}
}

// TestRelativeDates checks OpenCTI's date math on the edges: months clamp to their last day,
// weeks start on Monday, rounding gives the first and last nanosecond of the unit.
func TestRelativeDates(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		now, filter, created string
		want                 bool
	}{
		{"2024-03-31T12:00:00Z", `created = now-1M/d`, "2024-02-29T08:00:00Z", true}, // 31 March - 1M = 29 February (leap year)
		{"2023-03-31T12:00:00Z", `created = now-1M/d`, "2023-02-28T08:00:00Z", true}, // 28 February otherwise
		{"2024-05-08T12:00:00Z", `created = now-1w/w`, "2024-04-29T00:00:00Z", true}, // Monday, start of last week
		{"2024-05-08T12:00:00Z", `created = now-1w/w`, "2024-05-05T23:59:59.999999999Z", true},
		{"2024-05-08T12:00:00Z", `created = now-1w/w`, "2024-05-06T00:00:00Z", false}, // this week
		{"2024-05-08T12:00:00Z", `created < now-1y/y`, "2022-12-31T23:59:59Z", true},
		{"2024-05-08T12:00:00Z", `created < now-1y/y`, "2023-01-01T00:00:00Z", false},
		{"2024-05-08T12:00:00Z", `created <= now-1y/y`, "2023-12-31T23:59:59.999Z", true},
		{"2024-05-08T12:00:00Z", `created > now-2h/h`, "2024-05-08T10:59:59Z", false},
		{"2024-05-08T12:00:00Z", `created > now-2h/h`, "2024-05-08T11:00:00Z", true},
		{"2024-05-08T12:00:00Z", `created >= now-30m`, "2024-05-08T11:30:00Z", true},
		{"2024-05-08T12:00:00Z", `created >= now-30s`, "2024-05-08T11:59:29Z", false},
		{"2024-05-08T12:00:00Z", `created >= now-1H/m`, "2024-05-08T11:00:00Z", true},
		{"2024-05-08T12:00:00Z", `created = now+1d/d`, "2024-05-09T23:00:00Z", true},
		{"2024-05-08T12:00:00Z", `created within (2024-05-08T00:00:00+02:00 or now)`, "2024-05-07T22:00:00Z", true},
		{"2024-05-08T12:00:00Z", `created within (now or now-1d)`, "2024-05-08T00:00:00Z", false}, // an empty range
	}
	for _, c := range cases {
		now := at(c.now)
		m := mustCompile(t, c.filter, &filter.CompileOptions{Clock: func() time.Time { return now }})
		o := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
			`"created":"` + c.created + `","modified":"` + c.created + `","pattern":"[a:b = 'c']","pattern_type":"stix","valid_from":"` + c.created + `"}`)
		if got := m.Match(o); got != c.want {
			t.Errorf("now %s, %s, created %s: %v, want %v", c.now, c.filter, c.created, got, c.want)
		}
	}
}

// TestBoundConcurrent runs one Bound from many goroutines; run with -race.
func TestBoundConcurrent(t *testing.T) {
	objs := fixtures(t)
	m := mustCompile(t, `regardingOf = {id = `+idMalware+`} or created >= now-7d/d or containers = `+idReport,
		&filter.CompileOptions{Relations: true, Clock: func() time.Time { return fixtureNow }})
	b, err := m.Bind(context.Background(), filter.BindOptions{Resolver: fixtureResolver(objs)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for name, o := range objs {
		want[name] = b.Match(o, filter.Times{})
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				for name, o := range objs {
					if b.Match(o, filter.Times{}) != want[name] {
						t.Errorf("%s: result changed under concurrency", name)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestRelationIDsIgnoreCase checks that identifiers compare case-insensitively, as UUIDs may
// be written in upper-case hex: in the filter, in the relationships and in the object.
func TestRelationIDsIgnoreCase(t *testing.T) {
	upper := "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F"
	ind := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"` + upper + `",` + `"created":"2024-05-01T10:00:00.000Z",` +
		`"modified":"2024-05-01T10:00:00.000Z","pattern":"[a:b = 'c']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z"}`)
	rel := stix.MustParse(`{"type":"relationship","spec_version":"2.1","id":"` + idRel + `","created":"2024-05-01T10:00:00.000Z",` +
		`"modified":"2024-05-01T10:00:00.000Z","relationship_type":"indicates","source_ref":"` + upper + `","target_ref":"` + idMalware + `"}`)
	m := mustCompile(t, `regardingOf = {id = `+strings.ToUpper(idMalware[:9])+idMalware[9:]+`}`, &filter.CompileOptions{Relations: true})
	b, err := m.Bind(context.Background(), filter.BindOptions{Resolver: newSliceResolver([]*stix.Object{ind, rel})})
	if err != nil {
		t.Fatal(err)
	}
	if !b.Match(ind, filter.Times{}) {
		t.Error("an upper-case UUID in the object and its relationship still matches")
	}
	if n := testing.AllocsPerRun(20, func() { b.Match(ind, filter.Times{}) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
