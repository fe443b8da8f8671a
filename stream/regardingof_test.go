package stream_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// TestSeedRegardingOf runs the seed's table with the filter `entity_type = Indicator and
// regardingOf = {id = Emotet, relationship_type = indicates}` in place of the label, for
// both settings of "avoid dependencies resolution", and checks the messages (with their
// Seq) against testdata/seed-regardingof-deps-{on,off}.golden. The decisions are those of
// store/storefilter's testdata/seed-regardingof.golden; the goldens add what the engine
// sends for them. Each golden holds for a subscriber that is caught up, one that processes
// each step after its writes, and one that replays the whole log from 0.
func TestSeedRegardingOf(t *testing.T) {
	for _, tc := range []struct {
		file           string
		noDependencies bool
	}{
		{"seed-regardingof-deps-off.golden", true},
		{"seed-regardingof-deps-on.golden", false},
	} {
		path := filepath.Join("testdata", tc.file)
		for _, timing := range []seedTiming{caughtUp, afterStep, fromZero} {
			t.Run(tc.file+"/"+timing.String(), func(t *testing.T) {
				golden.Check(t, path, replayRegardingOf(t, tc.noDependencies, timing, false), false)
			})
		}
		if *update {
			golden.Check(t, path, replayRegardingOf(t, tc.noDependencies, afterStep, false), true)
		}
	}
}

// Reading the relationships as they are now instead of as of each event, the replay from 0
// goes wrong (the indicator never enters: its relationship is deleted by then): the
// goldens' three timings check the as-of reads of the relationship keys.
func TestSeedRegardingOfNeedsHistory(t *testing.T) {
	for _, noDeps := range []bool{true, false} {
		if replayRegardingOf(t, noDeps, fromZero, true) == replayRegardingOf(t, noDeps, afterStep, false) {
			t.Errorf("avoid dependencies resolution = %t: reading the present, the replay from 0 still gives the golden", noDeps)
		}
	}
}

func replayRegardingOf(t *testing.T, noDependencies bool, timing seedTiming, present bool) string {
	f := mustGroup(t, `entity_type = Indicator and regardingOf = {id = `+string(seedscenario.MalwareID)+`, relationship_type = indicates}`)
	h := newHarness(t, harnessOptions{present: present, def: stream.Definition{ID: seedscenario.StreamID,
		Name: seedscenario.StreamName, Filters: f, Live: true,
		Defaults: stream.Options{NoDependencies: noDependencies}}, seq: true})
	fmt.Fprintf(&h.out, "# Guards the live stream's enter/leave rules for relationship keys: the seed's table with\n"+
		"# `entity_type = Indicator and regardingOf = {id = Emotet, relationship_type = indicates}`\n"+
		"# in place of the label, avoid dependencies resolution = %t. The indicator enters when the\n"+
		"# relationship is created and leaves when it is deleted, decided as of each event's\n"+
		"# position (store/storefilter/testdata/seed-regardingof.golden). Lines: Seq, then the message.\n", noDependencies)
	w := seedWriter{h: h, drain: timing == caughtUp}
	run := timedRun{h: h, timing: timing}
	at := func(i int) time.Time { return seedscenario.Start().Add(time.Duration(i) * time.Minute) }
	h.now = seedscenario.Start()
	run.step("== setup: TLP:GREEN, CrowdStrike, Emotet\n", func() error { return seedscenario.Setup(h.ctx, w) })
	put := func(o *stix.Object) error { _, _, err := w.Put(h.ctx, o); return err }
	del := func(id stix.ID) error { _, err := w.Delete(h.ctx, id); return err }
	steps := []struct {
		name, table string
		apply       func() error
	}{
		{"1. Create an indicator", "nothing",
			func() error { return put(seedscenario.Indicator(at(1), seedscenario.Label)) }},
		{"2. Create the relationship indicates Emotet", "the indicator enters",
			func() error { return put(seedscenario.Relationship()) }},
		{"3. Delete the relationship", "the indicator leaves",
			func() error { return del(seedscenario.RelationshipID) }},
		{"4. Create the relationship again", "the indicator enters (what is cached is not sent again)",
			func() error { return put(seedscenario.Relationship()) }},
		{"5. Delete the indicator", "the relationship's delete cascades first and makes the indicator leave; its own delete finds it gone",
			func() error { return del(seedscenario.IndicatorID) }},
	}
	for i, step := range steps {
		h.now = at(i + 1)
		run.step("== "+step.name+"\n   expected: "+step.table+"\n", step.apply)
	}
	return run.finish()
}
