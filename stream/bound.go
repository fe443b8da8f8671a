package stream

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/storefilter"
)

// withRelations returns a copy of opts (nil: the defaults) with Relations set: the engine
// binds the filter to the store as of each event (see bounds), so a definition may use the
// relationship keys (regardingOf, connectedToId, containers, sightedBy).
func withRelations(opts *filter.CompileOptions) *filter.CompileOptions {
	var o filter.CompileOptions
	if opts != nil {
		o = *opts
	}
	o.Relations = true
	return &o
}

// compiledFilter is the definition's filter as the engine evaluates it.
type compiledFilter struct {
	m *filter.Matcher
	// static is m bound once, for a filter whose outcome depends on neither the store nor
	// "now" (no relationship keys, no relative dates): the common case, decided without
	// binding per event (and without allocating).
	static *filter.Bound
	// relIDs are the ids the relationship keys read (Matcher.ResolverIDs): an event that
	// touches none of them changes no relationship key's outcome.
	relIDs []stix.ID
	// times: the filter reads the platform's record times (created_at, updated_at), which
	// events do not carry: records are read for them.
	times bool
}

func compileFilter(m *filter.Matcher) (compiledFilter, error) {
	c := compiledFilter{m: m, relIDs: m.ResolverIDs()}
	keys := m.Keys()
	c.times = slices.Contains(keys, "created_at") || slices.Contains(keys, "updated_at")
	if !m.NeedsResolver() && !m.UsesNow() {
		b, err := m.Bind(context.Background(), filter.BindOptions{})
		if err != nil {
			return compiledFilter{}, err
		}
		c.static = b
	}
	return c, nil
}

// pushdown reports whether a store may evaluate the filter's JSON itself: not when it
// reads the store as of a position or resolves relative dates, which a store evaluating
// the JSON would do as of its own present.
func (c *compiledFilter) pushdown() bool { return c.static != nil }

// bind returns the filter bound as of position at, with "now" the time t.
func (s *engineState) bindAt(ctx context.Context, at store.Position, ev store.Event) (*filter.Bound, error) {
	if s.filter.static != nil {
		return s.filter.static, nil
	}
	opts := filter.BindOptions{Now: ev.Time}
	if s.filter.m.NeedsResolver() {
		opts.Resolver = storefilter.At(s.src, at)
	}
	b, err := s.filter.m.Bind(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("stream: resolving the filter's relationship keys as of %s: %w", at, err)
	}
	return b, nil
}

// bounds returns the filter bound for the event's prev (as of the position just before the
// event) and for its cur (as of the event's position), both with "now" the event's time, so
// that a replay decides as the live run did. When the event touches none of the ids the
// relationship keys read, the store answers them alike at both positions: one binding
// serves both.
func (s *engineState) bounds(ctx context.Context, ev store.Event) (prev, cur *filter.Bound, err error) {
	if cur, err = s.bindAt(ctx, ev.Pos, ev); err != nil || !s.touches(ev) {
		return cur, cur, err
	}
	prev, err = s.bindAt(ctx, justBefore(ev.Pos), ev)
	return prev, cur, err
}

// touches reports whether ev may change what the relationship keys read: it changes one of
// their ids (a container's contents), a relationship or sighting with one as an end, or
// merges one away.
func (s *engineState) touches(ev store.Event) bool {
	if len(s.filter.relIDs) == 0 {
		return false
	}
	named := func(id stix.ID) bool {
		_, ok := slices.BinarySearch(s.filter.relIDs, stix.ID(strings.ToLower(string(id))))
		return ok
	}
	if named(ev.ID) || slices.ContainsFunc(ev.Sources, named) {
		return true
	}
	for _, o := range []*stix.Object{ev.Prev, ev.Cur} {
		if o != nil && stix.IsRelationshipType(o.Type()) && slices.ContainsFunc(relationEnds(o), named) {
			return true
		}
	}
	return false
}

// justBefore returns the position right before p: reading as of it gives the store right
// after the event before p, whichever that was.
func justBefore(p store.Position) store.Position {
	switch {
	case p.Seq > 0:
		return store.Position{Millis: p.Millis, Seq: p.Seq - 1}
	case p.Millis > 0:
		return store.Position{Millis: p.Millis - 1, Seq: store.MaxSeq - 1}
	}
	return p
}

// decision is the moment one membership is decided at: the filter bound then, and the
// store then, where the record times the filter may read come from.
type decision struct {
	b  *filter.Bound
	at store.Snapshot
}

// matches reports whether the filter selects x at d, with x's record times as of d when the
// filter reads them.
func (s *engineState) matches(ctx context.Context, d decision, x *stix.Object) (bool, error) {
	if !s.filter.times {
		if d.b == s.filter.static {
			// Equivalent for a filter without relationship keys, relative dates or record
			// times, and cheaper: the hot path of events that fail the filters.
			return s.filter.m.Match(x), nil
		}
		return d.b.Match(x, filter.Times{}), nil
	}
	recs, err := d.at.GetMany(ctx, []stix.ID{x.ID()})
	if err != nil {
		return false, fmt.Errorf("stream: reading the record times of %s as of %s: %w", x.ID(), d.at.Position(), err)
	}
	return d.b.Match(x, storefilter.Times(recs[x.ID()])), nil
}
