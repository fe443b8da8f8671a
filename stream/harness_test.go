package stream_test

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

var update = flag.Bool("update", false, "rewrite the golden files from the engine's output")

// harness replays writes on a memstore through one subscriber, with one fake clock driving
// the store's positions and the subscriber's cache, and writes a transcript.
type harness struct {
	t     testing.TB
	ctx   context.Context
	now   time.Time
	st    *memstore.Store
	sub   *stream.Subscriber
	after store.Position
	out   strings.Builder
	all   []stream.Message
}

type harnessOptions struct {
	// present makes the subscriber read the store as it is now instead of as of each
	// event (see presentReads).
	present   bool
	def       stream.Definition
	principal *access.Principal
	vis       *access.VisibilityOptions
	opts      stream.Options
}

func analyst() *access.Principal {
	return &access.Principal{UserID: "analyst", Name: "analyst",
		Capabilities: []access.Capability{access.CapAccessDataSharing},
		Markings:     access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), now: time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)}
	h.st = memstore.New(&memstore.Options{Clock: h.clock})
	if o.principal == nil {
		o.principal = analyst()
	}
	vis, err := access.NewVisibility(o.vis)
	if err != nil {
		t.Fatal(err)
	}
	if o.def.ID == "" {
		o.def.ID = "test-stream"
	}
	var src store.History = h.st
	if o.present {
		src = presentReads{h.st}
	}
	h.sub, err = stream.NewSubscriber(src, o.def, stream.SubscriberOptions{
		Principal: o.principal, Visibility: vis, Options: o.opts, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) clock() time.Time { return h.now }

// section starts a transcript section.
func (h *harness) section(format string) { h.out.WriteString("== " + format + "\n") }

// note adds an indented comment line to the transcript.
func (h *harness) note(s string) { h.out.WriteString("   " + s + "\n") }

// put stores objects (advancing nothing) and processes what they logged.
func (h *harness) put(objs ...*stix.Object) {
	h.t.Helper()
	for _, o := range objs {
		if _, _, err := h.st.Put(h.ctx, o); err != nil {
			h.t.Fatalf("put %s: %v", o.ID(), err)
		}
	}
	h.drain()
}

func (h *harness) del(id stix.ID) {
	h.t.Helper()
	if _, err := h.st.Delete(h.ctx, id); err != nil {
		h.t.Fatalf("delete %s: %v", id, err)
	}
	h.drain()
}

func (h *harness) merge(target *stix.Object, sources ...stix.ID) {
	h.t.Helper()
	if _, err := h.st.Merge(h.ctx, target, sources); err != nil {
		h.t.Fatalf("merge %s: %v", target.ID(), err)
	}
	h.drain()
}

// drain processes every event logged since the last drain and writes the messages.
func (h *harness) drain() []stream.Message {
	h.t.Helper()
	var got []stream.Message
	for ev, err := range store.Events(h.ctx, h.st, h.after, 100) {
		if err != nil {
			h.t.Fatal(err)
		}
		h.after = ev.Pos
		msgs, err := h.sub.Process(h.ctx, ev)
		if err != nil {
			h.t.Fatalf("process %s %s: %v", ev.Kind, ev.ID, err)
		}
		got = append(got, msgs...)
	}
	h.write(got)
	h.all = append(h.all, got...)
	return got
}

func (h *harness) write(msgs []stream.Message) {
	for _, m := range msgs {
		h.out.WriteString(transcriptLine(m))
	}
}

// transcriptLine is m.String() plus, for updates, the patches.
func transcriptLine(m stream.Message) string {
	s := m.String() + "\n"
	if m.Type == stream.Update {
		s += "    patch   " + string(m.Patch) + "\n"
		s += "    reverse " + string(m.ReversePatch) + "\n"
	}
	return s
}

func mustGroup(t testing.TB, text string) *filter.Group {
	t.Helper()
	g, err := filter.ParseText(text)
	if err != nil {
		t.Fatal(err)
	}
	return &g
}

// presentReads answers the as-of reads with the store as it is now: what the engine read
// before it decided events as of their position. Tests run it to show that they need
// history (they fail with it).
type presentReads struct{ *memstore.Store }

func (p presentReads) GetManyAt(ctx context.Context, _ store.Position, ids []stix.ID) (map[stix.ID]store.Record, error) {
	return p.GetMany(ctx, ids)
}

func (p presentReads) RelationsOfAt(ctx context.Context, _ store.Position, id stix.ID) ([]store.Record, error) {
	return p.RelationsOf(ctx, id)
}
