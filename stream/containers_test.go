package stream_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/stream"
)

// With `containers = <report>`, an object enters when the report's object_refs gain it and
// leaves when they lose it: events of the report, not of the object, decide it
// (filter.Matcher.Affected names the objects added and removed).
func TestContainersKeyEntersAndLeaves(t *testing.T) {
	rep := common("report", 1, "")
	h := newHarness(t, harnessOptions{def: stream.Definition{Live: true,
		Filters: mustGroup(t, "entity_type = Indicator and containers = "+string(rep.ID))},
		opts: stream.Options{NoDependencies: true}})
	ind := indicator(t, 1, "in the report", common("indicator", 1, ""))
	mal := malware(t, 1, "m", common("malware", 1, ""))
	report := func(at time.Time, refs ...stix.ID) *stix.Object {
		c := rep
		c.Modified = at
		return ok(t)(stix.NewReport("r", t0, refs, c))
	}
	step := func(name string, f func()) string {
		t.Helper()
		h.now = h.now.Add(time.Minute)
		before := len(h.all)
		f()
		var lines []string
		for _, m := range h.all[before:] {
			lines = append(lines, string(m.Type)+" "+string(m.Object.ID()))
		}
		return name + ": " + strings.Join(lines, ", ")
	}
	got := []string{
		step("indicator and malware", func() { h.put(ind, mal) }),
		step("report without it", func() { h.put(report(t0.Add(time.Hour), mal.ID())) }),
		step("report gains it", func() { h.put(report(t0.Add(2*time.Hour), mal.ID(), ind.ID())) }),
		step("report unchanged in it", func() { h.put(report(t0.Add(3*time.Hour), ind.ID(), mal.ID())) }),
		step("report loses it", func() { h.put(report(t0.Add(4*time.Hour), mal.ID())) }),
	}
	want := []string{
		"indicator and malware: ",
		"report without it: ",
		"report gains it: create " + string(ind.ID()),
		"report unchanged in it: ",
		"report loses it: delete " + string(ind.ID()),
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got  %s\nwant %s", got[i], want[i])
		}
	}
}
