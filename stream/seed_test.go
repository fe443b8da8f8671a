package stream_test

import (
	"path/filepath"
	"testing"

	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/internal/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// TestSeedScenario replays the seed's table step by step for both settings of "avoid
// dependencies resolution"; the goldens under testdata/seed-scenario are the table's
// expected messages in the table's order (reviewed by hand against the seed).
func TestSeedScenario(t *testing.T) {
	for _, tc := range []struct {
		file           string
		noDependencies bool
	}{
		{"deps-off.golden", true}, // avoid dependencies resolution = true
		{"deps-on.golden", false}, // avoid dependencies resolution = false
	} {
		t.Run(tc.file, func(t *testing.T) {
			golden.Check(t, filepath.Join("..", "testdata", "seed-scenario", tc.file), replaySeed(t, tc.noDependencies), *update)
		})
	}
}

func replaySeed(t *testing.T, noDependencies bool) string {
	f := seedscenario.Filters()
	h := newHarness(t, harnessOptions{def: stream.Definition{ID: seedscenario.StreamID,
		Name: seedscenario.StreamName, Filters: &f, Live: true,
		Defaults: stream.Options{NoDependencies: noDependencies}}})
	if noDependencies {
		h.out.WriteString("# The seed's live-stream table, avoid dependencies resolution = true: each step's\n" +
			"# messages in order, under the table's expected result.\n")
	} else {
		h.out.WriteString("# The seed's live-stream table, avoid dependencies resolution = false: each step's\n" +
			"# messages in order, under the table's expected result.\n")
	}
	h.now = seedscenario.Start()
	h.section("setup: TLP:GREEN, CrowdStrike, Emotet")
	if err := seedscenario.Setup(h.ctx, h.st); err != nil {
		t.Fatal(err)
	}
	h.drain()
	for _, step := range seedscenario.Steps() {
		h.now = step.At
		h.section(step.Name)
		if noDependencies {
			h.note("table: " + step.WithoutResolution)
		} else {
			h.note("table: " + step.WithResolution)
		}
		if err := step.Apply(h.ctx, h.st); err != nil {
			t.Fatal(err)
		}
		h.drain()
	}
	return h.out.String()
}
