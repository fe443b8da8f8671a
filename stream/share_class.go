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
	return s.share.plan(ctx, seat.memo, ev.Pos, func() ([]step, error) { return s.plan(ctx, ev) })
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
