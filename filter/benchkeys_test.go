package filter_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/internal/benchcpu"
	"github.com/ctifeed/ctifeed/stix"
)

// dateBenchFilters are date filters a feed is configured with, and a label filter as the
// in-run baseline. "bound" ones run through a Bound (relative dates resolved once, as a TAXII
// page or a CSV generation does); "unbound" reads the clock at each match.
var dateBenchFilters = []struct {
	name, text string
	bound      bool
}{
	{"label-baseline", `objectLabel = detection`, false},
	{"created-absolute", `created >= 2024-05-01`, false},
	{"created-relative-bound", `created >= now-7d/d`, true},
	{"created-relative-unbound", `created >= now-7d/d`, false},
	{"valid_from-within", `valid_from within (now-1M/M or now)`, true},
	{"pattern_type-baseline", `pattern_type = stix`, false}, // the same property read, no date
	{"updated_at-record", `updated_at >= now-24h`, true},
}

// BenchmarkMatchDate evaluates one date filter per object of the benchmark mix (one op is one
// object), with the label filter as the baseline of the same run.
func BenchmarkMatchDate(b *testing.B) {
	texts, _ := benchObjects(b)
	var objs []*stix.Object
	for _, s := range texts {
		objs = append(objs, stix.MustParse(s))
	}
	now := time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)
	times := filter.Times{CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	for _, bf := range dateBenchFilters {
		m := mustCompile(b, bf.text, &filter.CompileOptions{Clock: func() time.Time { return now }})
		bound, err := m.Bind(context.Background(), filter.BindOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bf.name, func(b *testing.B) {
			if bf.bound {
				benchcpu.Loop(b, func(i int) { bound.Match(objs[i%len(objs)], times) })
				return
			}
			benchcpu.Loop(b, func(i int) { m.Match(objs[i%len(objs)]) })
		})
	}
}

// BenchmarkGoStdlibMatchDate is the straightforward way to test `created >= 2024-05-01`: the
// object decoded by encoding/json (not timed), created parsed with time.Parse.
func BenchmarkGoStdlibMatchDate(b *testing.B) {
	texts, _ := benchObjects(b)
	var objs []map[string]any
	for _, s := range texts {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			b.Fatal(err)
		}
		objs = append(objs, m)
	}
	from := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	benchcpu.Loop(b, func(i int) {
		s, _ := objs[i%len(objs)]["created"].(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		_ = err == nil && !t.Before(from)
	})
}

// BenchmarkPageRegardingOf costs a TAXII page of 1,000 ATT&CK objects (one op is one page):
// with regardingOf, the page binds once (one batched resolver call) and matches each object
// against the resolved set; the label filter on the same page is the in-run baseline. The
// issue's goal: regardingOf ≤ 2× the label filter.
func BenchmarkPageRegardingOf(b *testing.B) {
	objs, _ := attackObjects(b)
	page := objs[:1000]
	res := newSliceResolver(objs)
	label := mustCompile(b, `entity_type = Attack-Pattern and objectLabel = detection`, nil)
	rel := mustCompile(b, `entity_type = Attack-Pattern and regardingOf = {id = `+attackWindshift+`, relationship_type = uses}`,
		&filter.CompileOptions{Relations: true})
	relOnly := mustCompile(b, `regardingOf = {id = `+attackWindshift+`, relationship_type = uses}`,
		&filter.CompileOptions{Relations: true})
	labelOnly := mustCompile(b, `objectLabel = detection`, nil)
	for _, c := range []struct {
		name string
		m    *filter.Matcher
	}{{"label-baseline", labelOnly}, {"regardingOf", relOnly}, {"label-and-type-baseline", label}, {"regardingOf-and-type", rel}} {
		b.Run(c.name, func(b *testing.B) {
			benchcpu.Loop(b, func(int) {
				bound, err := c.m.Bind(context.Background(), filter.BindOptions{Resolver: res})
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range page {
					bound.Match(o, filter.Times{})
				}
			})
		})
	}
}

// TestDateMatchAllocs checks the date benchmark's promise of no allocation per match.
func TestDateMatchAllocs(t *testing.T) {
	texts, _ := benchObjects(t)
	now := time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)
	for _, bf := range dateBenchFilters {
		m := mustCompile(t, bf.text, &filter.CompileOptions{Clock: func() time.Time { return now }})
		bound, _ := m.Bind(context.Background(), filter.BindOptions{})
		for _, s := range texts {
			o := stix.MustParse(s)
			if n := testing.AllocsPerRun(20, func() { m.Match(o); bound.Match(o, filter.Times{UpdatedAt: now}) }); n != 0 {
				t.Errorf("%s: %v allocations", bf.name, n)
			}
		}
	}
}
