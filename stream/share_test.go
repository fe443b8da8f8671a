package stream

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// testPlan is a one-message plan for compute functions.
func testPlan(i int) []step {
	return []step{{op: opGroup, n: 1}, {op: opMain, msg: Message{Type: Create, Object: indicator(i)}}}
}

func pos(ms int) store.Position { return store.Position{Millis: uint64(ms)} }

// memoOfTwo returns a class memo with two subscribers seated, so that plans are stored.
func memoOfTwo(sh *Share) *classMemo {
	sh.join(shareClass{})
	return sh.join(shareClass{}).memo
}

// The Share evicts the oldest positions first, and while full stores only positions newer
// than all it holds: an older one is planned by its asker alone, and evicts nothing.
func TestShareBoundsEvictOldestAndKeepWindow(t *testing.T) {
	ctx := context.Background()
	sh := NewShare(&ShareOptions{MaxEntries: 4})
	memo := memoOfTwo(sh)
	computed := 0
	plan := func(ms int) []step {
		t.Helper()
		steps, err := sh.plan(ctx, memo, pos(ms), func() ([]step, error) { computed++; return testPlan(ms), nil })
		if err != nil {
			t.Fatal(err)
		}
		return steps
	}
	for ms := 1; ms <= 6; ms++ {
		plan(ms)
	}
	held := func() []int {
		var out []int
		for ms := 1; ms <= 8; ms++ {
			if _, ok := memo.plans[pos(ms)]; ok {
				out = append(out, ms)
			}
		}
		return out
	}
	if got := held(); len(got) != 4 || got[0] != 3 || got[3] != 6 {
		t.Fatalf("held %v, want 3-6 (the oldest evicted first)", got)
	}
	plan(2) // behind the window while full
	if got := held(); len(got) != 4 || got[0] != 3 {
		t.Fatalf("after planning position 2: held %v, want 3-6 unchanged", got)
	}
	before := computed
	if steps := plan(4); steps[1].data == nil || computed != before {
		t.Fatalf("position 4 was computed again (%d → %d) or holds no encoded data", before, computed)
	}
	// Both seated subscribers have now taken position 4 (its planner and this hit):
	// nobody is expected to ask again, so it is dropped, making room.
	if got := held(); !slices.Equal(got, []int{3, 5, 6}) {
		t.Fatalf("after both subscribers took position 4: held %v, want [3 5 6]", got)
	}
	plan(7)
	if got := held(); !slices.Equal(got, []int{3, 5, 6, 7}) {
		t.Fatalf("after position 7: held %v, want [3 5 6 7]", got)
	}
	st := sh.Stats()
	if st.Entries != 4 || st.Private != 1 || st.Hits != 1 || st.Planned != 7 || st.Bytes <= 0 {
		t.Fatalf("stats %+v, want 4 entries, 1 private, 1 hit, 7 planned, some bytes", st)
	}
}

// MaxBytes bounds the plans held, counting their encoded data.
func TestShareBoundsBytes(t *testing.T) {
	ctx := context.Background()
	one := encodeSteps(testPlan(0))
	sh := NewShare(&ShareOptions{MaxBytes: 3 * one})
	memo := memoOfTwo(sh)
	for ms := 1; ms <= 10; ms++ {
		if _, err := sh.plan(ctx, memo, pos(ms), func() ([]step, error) { return testPlan(ms), nil }); err != nil {
			t.Fatal(err)
		}
	}
	if st := sh.Stats(); st.Bytes > 3*one || st.Entries > 3 || st.Entries < 2 {
		t.Fatalf("stats %+v with MaxBytes %d (one plan %d)", st, 3*one, one)
	}
}

// Subscribers asking for a plan being computed wait for it: it is computed once. When the
// computation fails, each asker tries for itself, and nothing is stored.
func TestSharePlanComputedOnceAndFailuresNotShared(t *testing.T) {
	ctx := context.Background()
	sh := NewShare(nil)
	results := make([][]step, 8)
	// One seated subscriber per asker: a plan every subscriber of the class has taken is
	// dropped, so more askers than seats would plan again, by design.
	var memo *classMemo
	for range results {
		memo = sh.join(shareClass{}).memo
	}
	gate := make(chan struct{})
	var calls atomic.Int32
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			steps, err := sh.plan(ctx, memo, pos(1), func() ([]step, error) {
				calls.Add(1)
				<-gate
				return testPlan(1), nil
			})
			if err != nil {
				t.Error(err)
			}
			results[i] = steps
		})
	}
	for sh.Stats().Entries == 0 {
		runtime.Gosched() // until one asker holds the entry
	}
	close(gate)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("the plan was computed %d times, want once", n)
	}
	for i := range results {
		if len(results[i]) != 2 || &results[i][0] != &results[0][0] {
			t.Fatalf("asker %d got another plan", i)
		}
	}

	boom := errors.New("store down")
	if _, err := sh.plan(ctx, memo, pos(2), func() ([]step, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v, want the computation's", err)
	}
	if _, ok := memo.plans[pos(2)]; ok {
		t.Fatal("a failed plan is stored")
	}
	steps, err := sh.plan(ctx, memo, pos(2), func() ([]step, error) { return testPlan(2), nil })
	if err != nil || len(steps) != 2 {
		t.Fatalf("after a failure: %v, %d steps", err, len(steps))
	}
}

// A subscriber alone in its class plans without storing; once a second one joins, they
// share; when a connection's subscriber leaves, the one left plans alone again.
func TestShareAloneInClassStoresNothing(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(nil)
	ev := mustPut(t, st, indicator(1))
	sh := NewShare(nil)
	vis, err := access.NewVisibility(nil)
	if err != nil {
		t.Fatal(err)
	}
	mk := func() *Subscriber {
		s, err := NewSubscriber(st, publicDef("s"), SubscriberOptions{Principal: &access.Principal{UserID: "u"}, Visibility: vis, Share: sh})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	process := func(s *Subscriber) {
		t.Helper()
		if msgs, err := s.Process(ctx, ev); err != nil || len(msgs) != 1 {
			t.Fatalf("%d messages, %v", len(msgs), err)
		}
	}
	a := mk()
	process(a)
	if s := sh.Stats(); s.Private != 1 || s.Planned != 0 || s.Entries != 0 {
		t.Fatalf("alone: %+v, want one plan made alone and nothing stored", s)
	}
	b := mk()
	process(a)
	process(b)
	if s := sh.Stats(); s.Planned != 1 || s.Hits != 1 {
		t.Fatalf("two in the class: %+v, want one plan stored and found once", s)
	}
	b.releaseShare()
	process(a)
	if s := sh.Stats(); s.Private != 2 {
		t.Fatalf("after the second left: %+v, want the first to plan alone", s)
	}
}

// A subscriber given a new definition changes class: it no longer finds the plans of the
// old one, which the subscribers still on the old definition keep sharing.
func TestShareNewDefinitionChangesClass(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(nil)
	sh := NewShare(nil)
	vis, err := access.NewVisibility(nil)
	if err != nil {
		t.Fatal(err)
	}
	var subs []*Subscriber
	for range 3 {
		s, err := NewSubscriber(st, publicDef("s"), SubscriberOptions{Principal: &access.Principal{UserID: "u"}, Visibility: vis, Share: sh})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	malwareOnly := publicDef("s")
	g, err := filter.ParseText("entity_type = Malware")
	if err != nil {
		t.Fatal(err)
	}
	malwareOnly.Filters = &g
	if err := subs[0].SetDefinition(malwareOnly); err != nil {
		t.Fatal(err)
	}
	ev := mustPut(t, st, indicator(1))
	for i, want := range []int{0, 1, 1} {
		msgs, err := subs[i].Process(ctx, ev)
		if err != nil || len(msgs) != want {
			t.Fatalf("subscriber %d: %d messages (%v), want %d", i, len(msgs), err, want)
		}
	}
	if s := sh.Stats(); s.Planned != 1 || s.Hits != 1 || s.Private != 1 {
		t.Fatalf("stats %+v: want the old class's plan stored and found once, the new class's planned alone", s)
	}
}

// takeMany takes, under one lock, the plans held for a batch of positions (counting each
// as taken, so a plan every subscriber took is dropped), and a subscriber uses them in the
// batch's order; a position not held, or asked out of order, is planned as usual.
func TestShareTakeManyForABatch(t *testing.T) {
	ctx := context.Background()
	sh := NewShare(nil)
	memo := memoOfTwo(sh)
	for _, ms := range []int{1, 2, 4} {
		if _, err := sh.plan(ctx, memo, pos(ms), func() ([]step, error) { return testPlan(ms), nil }); err != nil {
			t.Fatal(err)
		}
	}
	evs := []store.Event{{Pos: pos(1)}, {Pos: pos(2)}, {Pos: pos(3)}, {Pos: pos(4)}}
	tp := takenPlans{pos: []store.Position{pos(1), pos(2), pos(3), pos(4)}}
	tp.entries = sh.takeMany(memo, evs, nil)
	if len(tp.entries) != 4 || tp.entries[0] == nil || tp.entries[1] == nil || tp.entries[2] != nil || tp.entries[3] == nil {
		t.Fatalf("taken %v, want plans for 1, 2 and 4 only", tp.entries)
	}
	// Both seated subscribers have taken 1, 2 and 4: the Share holds none of them now.
	if st := sh.Stats(); st.Entries != 0 || st.Hits != 3 {
		t.Fatalf("after the batch was taken: %+v, want no entry left and 3 hits", st)
	}
	if e := tp.next(pos(2)); e == nil || e.pos != pos(2) {
		t.Fatalf("next(2) = %v, want the plan of 2 (1 skipped)", e)
	}
	if e := tp.next(pos(1)); e != nil {
		t.Fatalf("next(1) after 2 = %v, want nothing (out of order)", e)
	}
	if e := tp.next(pos(4)); e != nil {
		t.Fatalf("next(4) after an out-of-order ask = %v, want nothing: the cursor passed the batch", e)
	}
}
