package stream

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"strconv"
	"sync/atomic"

	"github.com/ctifeed/ctifeed/store"
)

// shareClassOf returns the subscriber's class in a [Share] (see its "Classes"), and false
// when its plans cannot be shared: a store that is not a pointer, whose identity would
// be compared by value (or not at all).
func (s *engineState) shareClassOf() (shareClass, bool) {
	if s.src == nil || reflect.TypeOf(s.src).Kind() != reflect.Pointer {
		return shareClass{}, false
	}
	// Everything below is written with its length first, so that no two different
	// classes write the same text.
	var b []byte
	field := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	if !s.share.leaky {
		field(s.vis.ClassKey(s.principal).String())
	}
	field(s.def.ID)
	filters := ""
	if s.def.Filters != nil && !s.def.Filters.IsEmpty() {
		fj, err := json.Marshal(s.def.Filters)
		if err != nil {
			return shareClass{}, false
		}
		filters = string(fj)
	}
	field(filters)
	// The switches in effect; the cache's lifetime and size decide only what applying a
	// plan leaves out, never the plan.
	for _, on := range []bool{s.opts.NoDependencies, s.opts.NoDeletions, s.opts.WithInferences} {
		field(strconv.FormatBool(on))
	}
	return shareClass{src: s.src, vis: s.vis, filterOpts: s.filterOpts, digest: sha256.Sum256(b)}, true
}

// sharedPlan is plan through the subscriber's Share, when it has one.
func (s *engineState) sharedPlan(ctx context.Context, ev store.Event) ([]step, error) {
	if s.share == nil || !s.shareable {
		return s.plan(ctx, ev)
	}
	seat := s.seat.p.Load()
	if seat == nil {
		return s.plan(ctx, ev) // released: its connection ended
	}
	if seat.memo.subs.Load() < 2 {
		s.share.private.Add(1)
		return s.plan(ctx, ev) // alone in its class: nobody would read a stored plan
	}
	compute := func() ([]step, error) { return s.plan(ctx, ev) }
	if e := s.taken.next(ev.Pos); e != nil {
		return s.share.await(ctx, e, compute)
	}
	return s.share.plan(ctx, seat.memo, ev.Pos, compute)
}

// takenPlans are the plans a subscriber took for a batch of events in one look-up
// (Share.takeMany), in the batch's order; nil where the Share held none.
type takenPlans struct {
	pos     []store.Position
	entries []*shareEntry
	i       int // the next one to use
}

// next returns the plan taken for pos, or nil: then the subscriber asks the Share as for
// an event it did not take. Events are processed in the batch's order; one not in it (or
// processed twice, after an error) finds nothing.
func (t *takenPlans) next(pos store.Position) *shareEntry {
	for ; t.i < len(t.pos); t.i++ {
		if t.pos[t.i] == pos {
			e := t.entries[t.i]
			t.i++
			return e
		}
	}
	return nil
}

// takeShared takes at once, from the subscriber's Share, the plans it holds for evs, to be
// used as the events are processed in order; nil evs drops what was taken (an entry keeps
// its plan alive). A subscriber without a Share, or alone in its class, takes nothing.
func (s *engineState) takeShared(evs []store.Event) {
	t := &s.taken
	clear(t.entries)
	t.pos, t.entries, t.i = t.pos[:0], t.entries[:0], 0
	if len(evs) == 0 || s.share == nil || !s.shareable {
		return
	}
	seat := s.seat.p.Load()
	if seat == nil || seat.memo.subs.Load() < 2 {
		return
	}
	for _, ev := range evs {
		t.pos = append(t.pos, ev.Pos)
	}
	t.entries = s.share.takeMany(seat.memo, evs, t.entries)
}

// releaseShare gives up the subscriber's seat in its class, if it has one.
func (s *engineState) releaseShare() {
	if s.seat != nil {
		s.seat.release()
	}
}

// seatBox holds a subscriber's seat in its class. It is apart from the Subscriber so that
// a cleanup can release it once the Subscriber is collected.
type seatBox struct {
	p atomic.Pointer[shareSeat]
}

func (b *seatBox) release() {
	if seat := b.p.Swap(nil); seat != nil {
		seat.release()
	}
}
