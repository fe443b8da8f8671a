package stream_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// TestHistoryRegressions keeps the reproductions of issue "Time-correct history" (items 1
// to 4) as transcripts under stream/testdata, each opening with what it guards. Each is
// also run with a subscriber that reads the store as it is now (presentReads): its
// transcript must differ, which shows that the golden guards the as-of reads.
func TestHistoryRegressions(t *testing.T) {
	for _, sc := range historyScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			run := func(present bool) string {
				o := sc.opts(t)
				o.present = present
				h := newHarness(t, o)
				h.out.WriteString("# guards: " + sc.guards + "\n")
				sc.run(t, h)
				return h.out.String()
			}
			got := run(false)
			golden.Check(t, filepath.Join("testdata", sc.name+".golden"), got, *update)
			if run(true) == got {
				t.Error("reading the store as it is now gives the same transcript: this golden does not guard the as-of reads")
			}
		})
	}
}

// seedOptions is the seed's stream (indicators labelled detection) with resolution on,
// for the analyst (cleared to TLP:AMBER).
func seedOptions(t *testing.T) harnessOptions {
	f := seedscenario.Filters()
	return harnessOptions{def: stream.Definition{ID: seedscenario.StreamID, Filters: &f, Live: true}}
}

// seedSent stores the seed's setup, then the labelled indicator and its relationship,
// and processes them: the subscriber holds all five objects.
func seedSent(t *testing.T, h *harness) {
	h.now = seedscenario.Start()
	h.section("setup: TLP:GREEN, CrowdStrike, Emotet; the indicator labelled detection and its relationship, sent")
	h.put(seedscenario.Marking(), seedscenario.Author(), seedscenario.Malware(),
		seedscenario.Indicator(h.tick(time.Minute), seedscenario.Label), seedscenario.Relationship())
}

// backToBack applies writes to the store and only then processes their events, as a
// subscriber that is behind (a slow consumer, a reconnect) does.
func (h *harness) backToBack(writes ...func() error) {
	h.t.Helper()
	for _, w := range writes {
		if err := w(); err != nil {
			h.t.Fatal(err)
		}
	}
	h.drain()
}

func historyScenarios() []goldenScenario {
	return []goldenScenario{
		{
			name:   "history-1-delete-indicator-cascade",
			guards: "deleting an object whose relationship was sent reaches a subscriber that processes the events after the writes as the seed's step 5: the relationship's delete, then the object's (issue 15, item 1: the relationship's delete was lost).",
			opts:   seedOptions,
			run: func(t *testing.T, h *harness) {
				seedSent(t, h)
				h.section("the indicator is deleted (the store deletes its relationship first); processed after the write")
				h.tick(time.Minute)
				h.backToBack(func() error { _, err := h.st.Delete(h.ctx, seedscenario.IndicatorID); return err })
				h.section("again, the relationship deleted first by hand, then the indicator, back to back")
				h.tick(time.Minute)
				h.put(seedscenario.Indicator(h.now, seedscenario.Label), seedscenario.Relationship())
				h.tick(time.Minute)
				h.backToBack(
					func() error { _, err := h.st.Delete(h.ctx, seedscenario.RelationshipID); return err },
					func() error { _, err := h.st.Delete(h.ctx, seedscenario.IndicatorID); return err })
			},
		},
		{
			name:   "history-2-delete-other-end",
			guards: "deleting the other end (the malware Emotet) of a sent relationship deletes the relationship at the subscriber (issue 15, item 2: nothing was sent).",
			opts:   seedOptions,
			run: func(t *testing.T, h *harness) {
				seedSent(t, h)
				h.section("Emotet is deleted (the store deletes the relationship first): the relationship's delete")
				h.tick(time.Minute)
				h.backToBack(func() error { _, err := h.st.Delete(h.ctx, seedscenario.MalwareID); return err })
			},
		},
		{
			name:   "history-3-relationship-back-to-back",
			guards: "an indicator and then its relationship written back to back and processed after both writes send the relationship once (issue 15, item 3: it was sent twice, against the cache).",
			opts:   seedOptions,
			run: func(t *testing.T, h *harness) {
				h.now = seedscenario.Start()
				h.section("setup: TLP:GREEN, CrowdStrike, Emotet")
				h.put(seedscenario.Marking(), seedscenario.Author(), seedscenario.Malware())
				h.section("the labelled indicator, then its relationship, back to back: the indicator's group, then the relationship once")
				h.tick(time.Minute)
				h.backToBack(
					func() error {
						_, _, err := h.st.Put(h.ctx, seedscenario.Indicator(h.now, seedscenario.Label))
						return err
					},
					func() error { _, _, err := h.st.Put(h.ctx, seedscenario.Relationship()); return err })
			},
		},
		{
			name:   "history-4-collection-first",
			guards: "a replay from 0 of a log whose first object references every later one (as MITRE ATT&CK's x-mitre-collection does) sends each object once (issue 15, item 4: almost every object was sent twice, first as a dependency of the collection).",
			opts: func(t *testing.T) harnessOptions {
				return harnessOptions{def: stream.Definition{ID: "all", Live: true}}
			},
			run: func(t *testing.T, h *harness) {
				author := identity(t, 1, "The MITRE Corporation")
				a := malware(t, 1, "Pegasus", common("malware", 1, author.ID()))
				b := malware(t, 2, "Triada", common("malware", 2, author.ID()))
				rel := relationship(t, 1, "related-to", a.ID(), b.ID(), common("relationship", 1, author.ID()))
				coll := ok(t)(stix.Parse([]byte(`{"type":"x-mitre-collection","spec_version":"2.1","id":"x-mitre-collection--00000000-0000-4000-8000-000000000001",` +
					`"created":"2024-01-15T09:00:00.000Z","modified":"2024-01-15T09:00:00.000Z","name":"Mobile ATT&CK",` +
					`"x_mitre_contents":[{"object_ref":"` + string(a.ID()) + `"},{"object_ref":"` + string(b.ID()) + `"},{"object_ref":"` + string(rel.ID()) + `"}],` +
					`"created_by_ref":"` + string(author.ID()) + `"}`)))
				h.section("the bundle stored in its order: the collection first; then replayed from 0")
				for _, o := range []*stix.Object{coll, author, a, b, rel} {
					if _, _, err := h.st.Put(h.ctx, o); err != nil {
						t.Fatal(err)
					}
				}
				h.after = store.Position{}
				h.drain()
			},
		},
	}
}

// MITRE ATT&CK for Mobile stored in its bundle's order (the x-mitre-collection, which
// references every other object, comes first) and replayed from 0 by a subscriber of
// every object: each object is sent once, none as a copy made for the collection
// (issue 15, item 4: 3,958 of 7,918 frames were such copies). Reading the present, the
// same replay repeats objects, which shows that the check guards the as-of reads.
func TestAttackReplayFromZero(t *testing.T) {
	f, err := os.Open(sharedtest.AttackBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	st := memstore.New(&memstore.Options{MaxEvents: -1})
	n := 0
	for o, err := range stix.DecodeBundle(f) {
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
		n++
	}
	replay := func(src store.History) (frames, repeats int) {
		vis, _ := access.NewVisibility(nil)
		p := &access.Principal{UserID: "bypass", Capabilities: []access.Capability{access.CapBypass}}
		s, err := stream.NewSubscriber(src, stream.Definition{ID: "all"}, stream.SubscriberOptions{Principal: p, Visibility: vis})
		if err != nil {
			t.Fatal(err)
		}
		sent := map[stix.ID]bool{}
		for ev, err := range store.Events(ctx, st, store.Position{}, 1000) {
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := s.Process(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				frames++
				if sent[m.Object.ID()] {
					repeats++
				}
				sent[m.Object.ID()] = true
			}
		}
		return frames, repeats
	}
	frames, repeats := replay(st)
	if frames != n || repeats != 0 {
		t.Errorf("replay from 0 of %d objects: %d frames, %d of them repeats; want %d frames, none repeated", n, frames, repeats, n)
	}
	pf, pr := replay(presentReads{st})
	t.Logf("reading the present instead: %d frames, %d repeats", pf, pr)
	if pr == 0 {
		t.Error("reading the present gives no repeat either: the check does not guard the as-of reads")
	}
}

// Seq numbers a group's full plan, whatever the cache held: in the seed's step 4 (resolution
// on) a subscriber that holds the dependencies receives the indicator and the relationship
// as messages 3 and 4 of the plan TLP:GREEN, CrowdStrike, Emotet, indicator, relationship,
// which a subscriber that was sent nothing receives whole, numbered 0 to 4. A consumer cut
// after message 3 and served the plan's messages after 3 gets the relationship: nothing
// twice, nothing lost.
func TestSeqIsTheFullPlansIndex(t *testing.T) {
	h := newHarness(t, seedOptions(t))
	h.now = seedscenario.Start()
	if err := seedscenario.Setup(h.ctx, h.st); err != nil {
		t.Fatal(err)
	}
	h.drain()
	var step4 []stream.Message
	var step4Event store.Event
	for i, step := range seedscenario.Steps()[:4] {
		h.now = step.At
		if err := step.Apply(h.ctx, h.st); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			b, _ := h.st.Bounds(h.ctx)
			evs, err := h.st.Read(h.ctx, h.after, 10)
			if err != nil || len(evs) != 1 || evs[0].Pos != b.Last {
				t.Fatalf("step 4 logged %d events (%v), want one", len(evs), err)
			}
			step4Event = evs[0]
		}
		step4 = h.drain()
	}
	seqs := func(msgs []stream.Message) (out []string) {
		for _, m := range msgs {
			out = append(out, fmt.Sprintf("%d %s", m.Seq, m.Object.ID()))
		}
		return out
	}
	want := []string{"3 " + string(seedscenario.IndicatorID), "4 " + string(seedscenario.RelationshipID)}
	if got := seqs(step4); !slices.Equal(got, want) {
		t.Errorf("step 4 for a subscriber holding the dependencies: %v, want %v", got, want)
	}
	fresh, err := stream.NewSubscriber(h.st, stream.Definition{ID: "s", Filters: seedOptions(t).def.Filters},
		stream.SubscriberOptions{Principal: analyst(), Visibility: mustVisibility(t)})
	if err != nil {
		t.Fatal(err)
	}
	full, err := fresh.Process(h.ctx, step4Event)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"0 " + string(seedscenario.MarkingID), "1 " + string(seedscenario.AuthorID), "2 " + string(seedscenario.MalwareID),
		"3 " + string(seedscenario.IndicatorID), "4 " + string(seedscenario.RelationshipID)}
	if got := seqs(full); !slices.Equal(got, want) {
		t.Errorf("step 4 for a subscriber that was sent nothing: %v, want %v", got, want)
	}
}

func mustVisibility(t *testing.T) *access.Visibility {
	vis, err := access.NewVisibility(nil)
	if err != nil {
		t.Fatal(err)
	}
	return vis
}
