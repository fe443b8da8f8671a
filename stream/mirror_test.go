package stream

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
)

// A consumer mirroring a filtered, segregated stream over HTTP, through cut connections,
// ends with: every current object of the store that the stream selects and the principal
// may see, exactly as stored; nothing the principal may not see; and the same store as
// applying the engine's messages directly, without HTTP.
func TestMirrorEndToEnd(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: seedscenario.Start()}
	e := seedEnv(t, clk, time.Hour)
	cut := &cutter{next: e.h, cuts: []int{3, 2, 5, 1, 4}}
	e.srv.Config.Handler = cut

	// The seed's objects and steps 1 to 4 (the indicator ends in the stream), plus an
	// indicator the analyst may not see, one the filters do not select, and two selected
	// ones merged into one.
	if err := seedscenario.Setup(ctx, e.store); err != nil {
		t.Fatal(err)
	}
	for _, step := range seedscenario.Steps()[:4] {
		clk.set(step.At)
		if err := step.Apply(ctx, e.store); err != nil {
			t.Fatal(err)
		}
	}
	clk.set(seedscenario.Start().Add(10 * time.Minute))
	mk := func(i int, labels []string, markings ...stix.ID) *stix.Object {
		o := indicator(100+i, labels...)
		o, _ = o.NewVersion(t0.Add(time.Duration(i)*time.Second), func(p map[string]any) {
			if len(markings) > 0 {
				p["object_marking_refs"] = markings
			}
			p["created_by_ref"] = string(seedscenario.AuthorID)
		})
		return o
	}
	red, _ := stix.TLPMarking(stix.TLPRed)
	mustPut(t, e.store, red)
	mustPut(t, e.store, mk(1, []string{"detection"}, stix.TLPRed))
	mustPut(t, e.store, mk(2, nil))
	mustPut(t, e.store, mk(3, []string{"detection"}))
	mustPut(t, e.store, mk(4, []string{"detection"}))
	target, _ := mk(3, []string{"detection"}).WithLabel("merged", t0.Add(time.Hour))
	if _, err := e.store.Merge(ctx, target, []stix.ID{mk(4, nil).ID()}); err != nil {
		t.Fatal(err)
	}
	b, _ := e.store.Bounds(ctx)

	// Over HTTP.
	reconnects := 0
	c, err := NewClient(e.srv.URL+"/stream/"+seedscenario.StreamID, &ClientOptions{
		HTTPClient: e.client, From: "0", Token: "analyst-token", MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
		OnReconnect: func(error, string) { reconnects++ }})
	if err != nil {
		t.Fatal(err)
	}
	overHTTP := memstore.New(nil)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := NewMirror(overHTTP, nil).Run(cctx, untilPos(c.Frames(cctx), b.Last)); err != nil {
		t.Fatal(err)
	}

	// Directly.
	f := seedscenario.Filters()
	sub, err := NewSubscriber(e.store, Definition{ID: "direct", Filters: &f, Live: true},
		SubscriberOptions{Principal: seedAnalyst(), Visibility: e.h.vis, Clock: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	direct := memstore.New(nil)
	dm := NewMirror(direct, nil)
	for ev, err := range store.Events(ctx, e.store, store.Position{}, 100) {
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := sub.Process(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if err := dm.Apply(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := snapshotOf(t, overHTTP)
	if diff := cmp.Diff(snapshotOf(t, direct), got); diff != "" {
		t.Errorf("mirror over HTTP differs from the engine's messages applied directly (-want +got):\n%s", diff)
	}

	matcher := func(o *stix.Object) bool {
		if o.Type() != "indicator" || !e.h.vis.CanSee(seedAnalyst(), o) {
			return false
		}
		for _, l := range o.Labels() {
			if l == seedscenario.Label {
				return true
			}
		}
		return false
	}
	selected := 0
	for id, raw := range snapshotOf(t, e.store) {
		if o := stix.MustParse(raw); matcher(o) {
			selected++
			if got[id] != raw {
				t.Errorf("selected object %s is %q in the mirror, want %q", id, got[id], raw)
			}
		}
	}
	if selected != 2 { // the seed's indicator and the merge target
		t.Errorf("%d selected objects, want 2: the scenario does not test what it should", selected)
	}
	for id, raw := range got {
		if !e.h.vis.CanSee(seedAnalyst(), stix.MustParse(raw)) {
			t.Errorf("the mirror holds %s, which the analyst may not see", id)
		}
		if _, err := e.store.Get(ctx, id); err != nil {
			t.Errorf("the mirror holds %s, which the source does not: %v", id, err)
		}
	}
	if _, ok := got[mk(1, nil).ID()]; ok {
		t.Error("the TLP:RED indicator reached the mirror")
	}
	if reconnects != 5 {
		t.Errorf("%d reconnections, want one per cut (5)", reconnects)
	}
}

// mirrorOf returns a mirror over an empty store holding the given objects.
func mirrorOf(t *testing.T, objs ...*stix.Object) (*Mirror, *memstore.Store) {
	t.Helper()
	dst := memstore.New(nil)
	for _, o := range objs {
		mustPut(t, dst, o)
	}
	return NewMirror(dst, nil), dst
}

func current(t *testing.T, s *memstore.Store, id stix.ID) *stix.Object {
	t.Helper()
	r, err := s.Get(context.Background(), id)
	if err != nil {
		return nil
	}
	return r.Object
}

// A merge applied twice, or arriving after the store already holds a newer version of
// its target, neither halts the mirror nor makes the target regress; its sources are
// removed into the current version (issue 23, item 6: the mirror relied on the store
// accepting an older target, which the store contract refuses).
func TestMirrorLateMerge(t *testing.T) {
	ctx := context.Background()
	v1, src := indicator(1, "detection"), indicator(2, "detection")
	v2, _ := v1.WithLabel("merged", t0.Add(time.Hour))
	v3, _ := v2.WithLabel("newer", t0.Add(2*time.Hour))
	merge := Message{Type: Merge, Object: v2, Sources: []*stix.Object{src}}

	t.Run("redelivered", func(t *testing.T) {
		m, dst := mirrorOf(t, v1, src)
		for i := range 2 {
			if err := m.Apply(ctx, merge); err != nil {
				t.Fatalf("applying the merge, time %d: %v", i+1, err)
			}
		}
		if current(t, dst, src.ID()) != nil || current(t, dst, v1.ID()).String() != v2.String() {
			t.Errorf("after the merge twice: source %v, target %v; want no source, target v2", current(t, dst, src.ID()), current(t, dst, v1.ID()))
		}
	})
	t.Run("older than the store's target", func(t *testing.T) {
		m, dst := mirrorOf(t, v3, src)
		if err := m.Apply(ctx, merge); err != nil {
			t.Fatalf("a merge older than the stored target: %v", err)
		}
		if current(t, dst, src.ID()) != nil {
			t.Error("the source is still stored")
		}
		if got := current(t, dst, v1.ID()); got.String() != v3.String() {
			t.Errorf("target regressed to %s, want v3 kept", got)
		}
	})
}

// The same id and version arriving with other bytes (the server's redaction changed)
// keeps the stored bytes and does not stop Run (issue 23: Mirror.Run stopped on
// ErrConflict).
func TestMirrorSameVersionOtherBytes(t *testing.T) {
	ctx := context.Background()
	v1 := indicator(1, "detection")
	other, err := stix.Parse([]byte(strings.Replace(v1.String(), `"name":"`, `"name":"redacted `, 1)))
	if err != nil || other.Version() != v1.Version() || other.String() == v1.String() {
		t.Fatalf("building the other bytes: %v", err)
	}
	later := indicator(3, "detection")
	m, dst := mirrorOf(t, v1)
	frames := func(yield func(Frame, error) bool) {
		for _, msg := range []Message{{Type: Update, Object: other}, {Type: Merge, Object: other}, {Type: Create, Object: later}} {
			if !yield(Frame{Event: string(msg.Type), Message: msg}, nil) {
				return
			}
		}
	}
	if err := m.Run(ctx, frames); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := current(t, dst, v1.ID()); got.String() != v1.String() {
		t.Errorf("stored %s, want the first bytes kept", got)
	}
	if current(t, dst, later.ID()) == nil {
		t.Error("Run stopped before the next message")
	}
}
