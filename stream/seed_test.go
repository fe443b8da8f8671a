package stream_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// seedTiming is when a subscriber processes the log's events relative to the writes.
type seedTiming int

const (
	caughtUp  seedTiming = iota // each event right after the write that logged it
	afterStep                   // each step's events after all of that step's writes
	fromZero                    // the whole log from 0, after every step was written
)

func (m seedTiming) String() string {
	return [...]string{"caught up", "after each step", "replay from 0"}[m]
}

// TestSeedScenario replays the seed's table step by step for both settings of "avoid
// dependencies resolution"; the goldens under testdata/seed-scenario are the table's
// expected messages in the table's order (reviewed by hand against the seed). Each
// golden holds for a subscriber that is caught up, one that processes each step after
// all of its writes, and one that replays the whole log from 0 once every step is written:
// the engine decides each event as of its position, not as the store is when it runs.
func TestSeedScenario(t *testing.T) {
	for _, tc := range []struct {
		file           string
		noDependencies bool
	}{
		{"deps-off.golden", true}, // avoid dependencies resolution = true
		{"deps-on.golden", false}, // avoid dependencies resolution = false
	} {
		for _, timing := range []seedTiming{caughtUp, afterStep, fromZero} {
			t.Run(tc.file+"/"+timing.String(), func(t *testing.T) {
				golden.Check(t, filepath.Join("..", "testdata", "seed-scenario", tc.file), replaySeed(t, tc.noDependencies, timing, false), false)
			})
		}
		if *update {
			golden.Check(t, filepath.Join("..", "testdata", "seed-scenario", tc.file), replaySeed(t, tc.noDependencies, afterStep, false), true)
		}
	}
}

// seedWriter writes to the harness's store and, for a caught-up subscriber, processes
// each event as soon as it is logged.
type seedWriter struct {
	h     *harness
	drain bool
}

func (w seedWriter) Put(ctx context.Context, o *stix.Object) (store.Event, bool, error) {
	ev, ok, err := w.h.st.Put(ctx, o)
	w.after()
	return ev, ok, err
}

func (w seedWriter) Merge(ctx context.Context, target *stix.Object, sources []stix.ID) (store.Event, error) {
	ev, err := w.h.st.Merge(ctx, target, sources)
	w.after()
	return ev, err
}

func (w seedWriter) Delete(ctx context.Context, id stix.ID) (store.Event, error) {
	ev, err := w.h.st.Delete(ctx, id)
	w.after()
	return ev, err
}

func (w seedWriter) after() {
	if w.drain {
		w.h.drain()
	}
}

// Reading the store as it is now instead of as of each event, the table goes wrong for a
// subscriber that is behind: this shows that TestSeedScenario's three timings need the
// as-of reads (a check of the test's power, not of the engine).
func TestSeedScenarioNeedsHistory(t *testing.T) {
	want := replaySeed(t, false, afterStep, false)
	got := replaySeed(t, false, fromZero, true)
	if got == want {
		t.Fatal("reading the present, the replay from 0 still gives the table's messages: TestSeedScenario would not notice reads of the present")
	}
	t.Logf("reading the present, the replay from 0 gives:\n%s", got)
}

func replaySeed(t *testing.T, noDependencies bool, timing seedTiming, present bool) string {
	f := seedscenario.Filters()
	h := newHarness(t, harnessOptions{present: present, def: stream.Definition{ID: seedscenario.StreamID,
		Name: seedscenario.StreamName, Filters: &f, Live: true,
		Defaults: stream.Options{NoDependencies: noDependencies}}})
	if noDependencies {
		h.out.WriteString("# The seed's live-stream table, avoid dependencies resolution = true: each step's\n" +
			"# messages in order, under the table's expected result.\n")
	} else {
		h.out.WriteString("# The seed's live-stream table, avoid dependencies resolution = false: each step's\n" +
			"# messages in order, under the table's expected result.\n")
	}
	w := seedWriter{h: h, drain: timing == caughtUp}
	run := timedRun{h: h, timing: timing}
	h.now = seedscenario.Start()
	run.step("== setup: TLP:GREEN, CrowdStrike, Emotet\n", func() error { return seedscenario.Setup(h.ctx, w) })
	for _, step := range seedscenario.Steps() {
		h.now = step.At
		text := "== " + step.Name + "\n   table: " + step.WithResolution + "\n"
		if noDependencies {
			text = "== " + step.Name + "\n   table: " + step.WithoutResolution + "\n"
		}
		run.step(text, func() error { return step.Apply(h.ctx, w) })
	}
	return run.finish()
}

// timedRun writes a scenario's transcript at one of the seed timings: under each step's
// text, the messages of the events it logged, processed right after each write (caughtUp,
// through a seedWriter that drains), after the step (afterStep), or once the whole log is
// written (fromZero: each section remembers the log position it ends at).
type timedRun struct {
	h        *harness
	timing   seedTiming
	sections []timedSection
}

type timedSection struct {
	text string
	end  store.Position
}

// step writes text and applies the step, with its messages where the timing puts them.
func (r *timedRun) step(text string, apply func() error) {
	h := r.h
	if r.timing == caughtUp {
		h.out.WriteString(text)
	}
	if err := apply(); err != nil {
		h.t.Fatal(err)
	}
	switch r.timing {
	case afterStep:
		h.out.WriteString(text)
		h.drain()
	case fromZero:
		b, err := h.st.Bounds(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		r.sections = append(r.sections, timedSection{text, b.Last})
	}
}

// finish processes what a replay from 0 left for the end, section by section, and returns
// the transcript.
func (r *timedRun) finish() string {
	h := r.h
	for _, sec := range r.sections {
		h.out.WriteString(sec.text)
		for ev, err := range store.Events(h.ctx, h.st, h.after, 100) {
			if err != nil {
				h.t.Fatal(err)
			}
			if ev.Pos.Compare(sec.end) > 0 {
				break
			}
			h.after = ev.Pos
			msgs, err := h.sub.Process(h.ctx, ev)
			if err != nil {
				h.t.Fatalf("process %s %s: %v", ev.Kind, ev.ID, err)
			}
			h.write(msgs)
		}
	}
	return h.out.String()
}
