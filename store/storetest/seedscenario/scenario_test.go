package seedscenario_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
)

// Every object of the scenario is valid STIX and is the same on every call (fixed ids and
// times, so replays are byte-identical).
func TestObjects(t *testing.T) {
	a, b := seedscenario.Objects(), seedscenario.Objects()
	for i, o := range a {
		if err := stix.Validate(o); err != nil {
			t.Errorf("%s: %v", o.ID(), err)
		}
		if string(o.Raw()) != string(b[i].Raw()) {
			t.Errorf("%s differs between calls", o.ID())
		}
	}
}

// The filters select the indicator exactly when it carries the label.
func TestFilters(t *testing.T) {
	m, err := filter.Compile(seedscenario.Filters(), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := seedscenario.Start().Add(time.Minute)
	if m.Match(seedscenario.Indicator(at)) {
		t.Error("the unlabelled indicator matches")
	}
	if !m.Match(seedscenario.Indicator(at, seedscenario.Label)) {
		t.Error("the labelled indicator does not match")
	}
	for _, o := range []*stix.Object{seedscenario.Marking(), seedscenario.Author(), seedscenario.Malware(), seedscenario.Relationship()} {
		if m.Match(o) {
			t.Errorf("%s matches the filters: it must reach the stream only as a dependency", o.ID())
		}
	}
}

// Setup and the steps log the changes the table describes, each step within the cache
// lifetime of step 2.
func TestSteps(t *testing.T) {
	ctx := context.Background()
	now := seedscenario.Start()
	st := memstore.New(&memstore.Options{Clock: func() time.Time { return now }})
	if err := seedscenario.Setup(ctx, st); err != nil {
		t.Fatal(err)
	}
	want := [][]store.EventKind{
		{store.EventCreate, store.EventCreate}, // the indicator, its relationship
		{store.EventUpdate}, {store.EventUpdate}, {store.EventUpdate},
		{store.EventDelete, store.EventDelete}, // the relationship (the store's cascade), then the indicator
	}
	b, _ := st.Bounds(ctx)
	after := b.Last
	steps := seedscenario.Steps()
	if len(steps) != 5 {
		t.Fatalf("%d steps, want 5", len(steps))
	}
	for i, step := range steps {
		if !step.At.After(now) || step.At.Sub(steps[1].At) >= 5*time.Minute {
			t.Errorf("step %q at %s: not after the previous one or not within 5 minutes of step 2", step.Name, step.At)
		}
		now = step.At
		if err := step.Apply(ctx, st); err != nil {
			t.Fatalf("%s: %v", step.Name, err)
		}
		evs, err := st.Read(ctx, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []store.EventKind
		for _, ev := range evs {
			kinds = append(kinds, ev.Kind)
			after = ev.Pos
		}
		if !slices.Equal(kinds, want[i]) {
			t.Errorf("%s logged %v, want %v", step.Name, kinds, want[i])
		}
		if step.WithResolution == "" || step.WithoutResolution == "" {
			t.Errorf("%s: the table's expected results are missing", step.Name)
		}
	}
}
