package storefilter_test

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storefilter"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestSeedRegardingOf runs the seed's live-stream table with the filter
// `entity_type = Indicator and regardingOf = {id = Emotet, relationship_type = indicates}`
// in place of the label, and records, for each event of the log, the decisions a live
// stream must take as of the event: its own object entering, staying, leaving or being
// deleted (m(prev) as of the position before, m(cur) as of the event's), and the objects
// that Matcher.Affected names entering or leaving because a relationship changed. The
// frames the engine then sends (dependencies, the cache, both resolution settings) are the
// stream's; filter's package documentation gives them for this table.
//
// It guards the time rule: decided with the present instead of the event's position, step 2
// would not let the indicator enter (the relationship is deleted by then), and step 5's
// cascade would leave it twice.
func TestSeedRegardingOf(t *testing.T) {
	requireHistory(t)
	ctx := context.Background()
	clock := seedscenario.Start()
	s := memstore.New(&memstore.Options{Clock: func() time.Time { return clock }})
	if err := seedscenario.Setup(ctx, s); err != nil {
		t.Fatal(err)
	}
	at := func(i int) time.Time { return seedscenario.Start().Add(time.Duration(i) * time.Minute) }
	del := func(id stix.ID) func() error {
		return func() error { _, err := s.Delete(ctx, id); return err }
	}
	putObj := func(o *stix.Object) func() error {
		return func() error { _, _, err := s.Put(ctx, o); return err }
	}
	steps := []struct {
		name  string
		apply func() error
	}{
		{"1. Create an indicator", putObj(seedscenario.Indicator(at(1), seedscenario.Label))},
		{"2. Create the relationship indicates Emotet", putObj(seedscenario.Relationship())},
		{"3. Delete the relationship", del(seedscenario.RelationshipID)},
		{"4. Create the relationship again", putObj(seedscenario.Relationship())},
		{"5. Delete the indicator (the relationship's delete cascades first)", del(seedscenario.IndicatorID)},
	}
	g, err := filter.ParseText(`entity_type = Indicator and regardingOf = {id = ` + string(seedscenario.MalwareID) + `, relationship_type = indicates}`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := filter.Compile(g, &filter.CompileOptions{Relations: true})
	if err != nil {
		t.Fatal(err)
	}
	names := map[stix.ID]string{seedscenario.IndicatorID: "the indicator", seedscenario.MalwareID: "Emotet",
		seedscenario.RelationshipID: "the relationship"}

	var out strings.Builder
	out.WriteString("# The seed's table with `regardingOf (indicates, Emotet)` in place of the label: for each event,\n")
	out.WriteString("# the live stream's decisions as of the event (own object; objects a relationship change affects).\n")
	b0, _ := s.Bounds(ctx)
	last := b0.Last
	for i, step := range steps {
		clock = at(i + 1)
		if err := step.apply(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		evs, err := s.Read(ctx, last, 100)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "\n%s\n", step.name)
		for _, ev := range evs {
			before, err := m.Bind(ctx, filter.BindOptions{Resolver: storefilter.At(s, last), Now: ev.Time})
			if err != nil {
				t.Fatal(err)
			}
			after, err := m.Bind(ctx, filter.BindOptions{Resolver: storefilter.At(s, ev.Pos), Now: ev.Time})
			if err != nil {
				t.Fatal(err)
			}
			own := decide(ev.Kind, ev.Prev != nil && before.Match(ev.Prev, filter.Times{}),
				ev.Cur != nil && after.Match(ev.Cur, filter.Times{}))
			fmt.Fprintf(&out, "  event %s %s: %s", ev.Kind, names[ev.ID], own)
			for _, id := range m.Affected(ev.Prev, ev.Cur) {
				if id == ev.ID {
					continue
				}
				p, err := store.At(s, last).GetMany(ctx, []stix.ID{id})
				if err != nil {
					t.Fatal(err)
				}
				c, err := store.At(s, ev.Pos).GetMany(ctx, []stix.ID{id})
				if err != nil {
					t.Fatal(err)
				}
				wasIn := p[id].Object != nil && before.Match(p[id].Object, storefilter.Times(p[id]))
				isIn := c[id].Object != nil && after.Match(c[id].Object, storefilter.Times(c[id]))
				switch {
				case !wasIn && isIn:
					fmt.Fprintf(&out, "; %s enters", names[id])
				case wasIn && !isIn:
					fmt.Fprintf(&out, "; %s leaves", names[id])
				}
			}
			out.WriteString("\n")
			last = ev.Pos
		}
	}
	golden.Check(t, "testdata/seed-regardingof.golden", out.String(), *update)
}

// decide is the seed's rule for the changed object itself.
func decide(kind store.EventKind, prev, cur bool) string {
	switch {
	case kind == store.EventDelete && prev:
		return "delete"
	case !prev && cur:
		return "enters (create)"
	case prev && cur:
		return "stays (update)"
	case prev && !cur:
		return "leaves (delete)"
	}
	return "nothing"
}
