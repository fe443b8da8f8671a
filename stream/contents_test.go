package stream_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/stream"
)

// A report's object_refs never carry the id of an object the subscriber may not see: not in
// the report's create, not in an update's patch or reverse patch (both versions are
// screened against the same state), not in its delete — and a relationship whose end is
// hidden counts as hidden. A consumer replaying from 0 receives exactly the same frames.
func TestContainerContentsScreened(t *testing.T) {
	green := &access.Principal{UserID: "green-only", Capabilities: []access.Capability{access.CapAccessDataSharing},
		Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
	h := newHarness(t, harnessOptions{principal: green, def: stream.Definition{Filters: mustGroup(t, "entity_type = Report")}})
	o := ok(t)
	visible := indicator(t, 1, "visible", common("indicator", 1, "", stix.TLP2Green))
	hidden := indicator(t, 2, "hidden", common("indicator", 2, "", stix.TLP2Red))
	hidden2 := indicator(t, 3, "hidden too", common("indicator", 3, "", stix.TLP2Amber))
	mal := malware(t, 1, "Emotet", common("malware", 1, "", stix.TLP2Green))
	relHiddenEnd := relationship(t, 1, "indicates", hidden.ID(), mal.ID(), common("relationship", 1, "", stix.TLP2Green))
	h.put(tlp(stix.TLP2Green), tlp(stix.TLP2Amber), tlp(stix.TLP2Red), visible, hidden, hidden2, mal, relHiddenEnd)

	rc := common("report", 1, "", stix.TLP2Green)
	report := o(stix.NewReport("campaign", t0, []stix.ID{visible.ID(), hidden.ID(), relHiddenEnd.ID(), mal.ID()}, rc))
	h.now = h.now.Add(time.Second)
	h.put(report)
	h.now = h.now.Add(time.Second)
	h.put(edit(t, report, t0.Add(time.Minute), func(p map[string]any) {
		p["object_refs"] = []string{string(visible.ID()), string(hidden2.ID()), string(mal.ID())}
	}))
	h.now = h.now.Add(time.Second)
	h.del(report.ID())

	hiddenIDs := []stix.ID{hidden.ID(), hidden2.ID(), relHiddenEnd.ID()}
	var sawReport, sawUpdate, sawDelete bool
	for _, m := range h.all {
		text := string(m.Object.Raw()) + string(m.Patch) + string(m.ReversePatch)
		for _, id := range hiddenIDs {
			if strings.Contains(text, string(id)) {
				t.Errorf("%s %s carries hidden id %s: %s", m.Type, m.Object.ID(), id, text)
			}
		}
		if m.Object.ID() == report.ID() {
			sawReport = sawReport || m.Type == stream.Create
			sawUpdate = sawUpdate || m.Type == stream.Update
			sawDelete = sawDelete || m.Type == stream.Delete
			if m.Type != stream.Delete && !strings.Contains(string(m.Object.Raw()), string(visible.ID())) {
				t.Errorf("%s of the report lost the visible content %s: %s", m.Type, visible.ID(), m.Object.Raw())
			}
		}
	}
	if !sawReport || !sawUpdate || !sawDelete {
		t.Fatalf("report create/update/delete sent = %t/%t/%t, want all (messages: %d)", sawReport, sawUpdate, sawDelete, len(h.all))
	}

	// Replaying the log from 0 decides as of each event: the same frames.
	vis, err := access.NewVisibility(nil)
	if err != nil {
		t.Fatal(err)
	}
	replay, err := stream.NewSubscriber(h.st, stream.Definition{ID: "test-stream", Filters: mustGroup(t, "entity_type = Report")},
		stream.SubscriberOptions{Principal: green, Visibility: vis, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for ev, err := range store.Events(h.ctx, h.st, store.Position{}, 100) {
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := replay.Process(h.ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			got.WriteString(transcriptLine(m))
		}
	}
	if want := h.out.String(); got.String() != want {
		t.Errorf("replay from 0 differs:\n--- caught up\n%s--- replay\n%s", want, got.String())
	}
}
