package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// engineState is a Subscriber's state: the compiled definition, who it runs as, and what it
// was sent. Only the goroutine that owns the Subscriber touches it.
type engineState struct {
	src         store.History // read as of each event's position, never as it is now
	def         Definition
	filter      compiledFilter
	filterJSON  json.RawMessage // the filters for store push-down; nil when none or not pushable
	filterOpts  *filter.CompileOptions
	principal   *access.Principal
	vis         *access.Visibility
	own         Options // the subscriber's own options, before the definition's defaults
	switches    Switches
	opts        Options // in effect
	cache       *sentCache
	scratch     group      // reused by every group this subscriber plans (see newGroup)
	keptScratch []int      // applyGroup's
	share       *Share     // nil: plans are not shared
	class       shareClass // the subscriber's class in share, when shareable
	seat        *seatBox   // the subscriber's registration in its class (with a share)
	shareable   bool
	taken       takenPlans // plans of a batch of events taken at once (see takeShared)
}

func newSubscriber(src store.History, def Definition, opts SubscriberOptions) (*Subscriber, error) {
	errs := opts.validate()
	if src == nil {
		errs = append(errs, fieldErr("src", "a subscriber needs a store to read"))
	}
	if err := def.Validate(opts.FilterOptions); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	s := &Subscriber{engineState{
		src:        src,
		filterOpts: opts.FilterOptions,
		principal:  opts.Principal,
		vis:        opts.Visibility,
		own:        opts.Options,
		switches:   opts.Switches,
		share:      opts.Share,
	}}
	if s.share != nil {
		// A Subscriber has no Close: its seat in its class is given up when it is
		// collected (a Handler's connection gives it up at its end).
		s.seat = &seatBox{}
		runtime.AddCleanup(s, func(b *seatBox) { b.release() }, s.seat)
	}
	if err := s.apply(def); err != nil {
		return nil, err
	}
	s.cache = newSentCache(s.opts.CacheTTL, s.opts.CacheSize, clock)
	return s, nil
}

func (s *Subscriber) setDefinition(def Definition) error {
	if err := def.Validate(s.filterOpts); err != nil {
		return err
	}
	if err := s.apply(def); err != nil {
		return err
	}
	s.cache.configure(s.opts.CacheTTL, s.opts.CacheSize)
	return nil
}

// apply compiles a validated definition and recomputes the options in effect.
func (s *engineState) apply(def Definition) error {
	var m *filter.Matcher
	var fj json.RawMessage
	if def.Filters != nil && !def.Filters.IsEmpty() {
		var err error
		if m, err = filter.Compile(*def.Filters, withRelations(s.filterOpts)); err != nil {
			return &FieldError{Field: "filters", Err: err}
		}
	}
	cf, err := compileFilter(m)
	if err != nil {
		return &FieldError{Field: "filters", Err: err}
	}
	if m != nil && cf.pushdown() {
		if fj, err = json.Marshal(def.Filters); err != nil {
			return &FieldError{Field: "filters", Err: err}
		}
	}
	s.def, s.filter, s.filterJSON = def, cf, fj
	s.opts = s.own.merged(def.Defaults).switched(s.switches)
	if s.share != nil {
		// The subscriber takes its seat in its class now, so that subscribers made
		// together share from their first event; a new definition may change the class.
		s.releaseShare()
		if s.class, s.shareable = s.shareClassOf(); s.shareable {
			s.seat.p.Store(s.share.join(s.class))
		}
	}
	return nil
}

// Definition returns the definition in effect.
func (s *Subscriber) Definition() Definition { return s.def }

// Options returns the options in effect: the subscriber's switches, its own options, then
// the definition's defaults, then the package defaults.
func (s *Subscriber) Options() Options { return s.opts }

// resolving reports whether dependencies resolution is on (relationships of an object are
// sent with it).
func (s *engineState) resolving() bool { return !s.opts.NoDependencies }

// sees reports whether the principal may receive o at all: visible (markings,
// organizations) and, unless WithInferences is set, not inferred.
func (s *engineState) sees(o *stix.Object) bool {
	return o != nil && s.vis.CanSee(s.principal, o) && (s.opts.WithInferences || !Inferred(o))
}

// Inferred reports whether o is an inference of the platform's rule engine, which a
// subscriber receives only with [Options.WithInferences]: OpenCTI marks those with
// "is_inferred": true in its extension ([access.OpenCTIExtension]); a top-level
// "x_opencti_inferred": true is accepted too, for hosts that do not use the extension.
func Inferred(o *stix.Object) bool {
	if o == nil || !strings.Contains(o.String(), "inferred") {
		return false // the common case, without parsing
	}
	return o.Extension(access.OpenCTIExtension).Get("is_inferred").Type == gjson.True ||
		o.Get("x_opencti_inferred").Type == gjson.True
}

// member is m(x) of docs/live-streams.md §1: x passes the filters at d and the principal
// may see it. A relationship or sighting is a member only with every end stored and visible in v (never
// a relationship without both ends); with dependencies resolution on, it is also a member
// when one of its ends passes the filters at d (relationship events of matching objects).
func (s *engineState) member(ctx context.Context, v store.Snapshot, d decision, x *stix.Object) (bool, error) {
	if x == nil {
		return false, nil
	}
	if !stix.IsRelationshipType(x.Type()) {
		// The filters first: on a busy log most events fail them, and cheaply.
		ok, err := s.matches(ctx, d, x)
		return ok && s.sees(x), err
	}
	if !s.sees(x) {
		return false, nil
	}
	own, err := s.matches(ctx, d, x)
	if err != nil {
		return false, err
	}
	if !own && !s.resolving() {
		return false, nil
	}
	ends, ok, err := s.visibleEnds(ctx, v, x, "")
	if err != nil || !ok {
		return false, err
	}
	if own {
		return true, nil
	}
	for _, e := range ends {
		if ok, err := s.matches(ctx, d, e); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// visibleEnds returns the ends of relation r other than except as v holds them, and
// whether every one of them is stored and visible there.
func (s *engineState) visibleEnds(ctx context.Context, v store.Snapshot, r *stix.Object, except stix.ID) ([]*stix.Object, bool, error) {
	ids := relationEnds(r)
	if len(ids) == 0 {
		return nil, false, nil // a relation without ends is malformed: never emitted
	}
	want := ids[:0:0]
	for _, id := range ids {
		if id != except {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil, true, nil
	}
	recs, err := v.GetMany(ctx, want)
	if err != nil {
		return nil, false, fmt.Errorf("stream: looking up the ends of %s as of %s: %w", r.ID(), v.Position(), err)
	}
	ends := make([]*stix.Object, 0, len(want))
	for _, id := range want {
		rec, ok := recs[id]
		if !ok || !s.sees(rec.Object) {
			return nil, false, nil
		}
		ends = append(ends, rec.Object)
	}
	return ends, true, nil
}

// relationEnds returns the ids a relationship or sighting connects: source_ref and
// target_ref; sighting_of_ref, where_sighted_refs and observed_data_refs.
func relationEnds(r *stix.Object) []stix.ID {
	var ids []stix.ID
	for _, ref := range r.Refs() {
		switch ref.Path {
		case "source_ref", "target_ref", "sighting_of_ref", "where_sighted_refs", "observed_data_refs":
			if !containsID(ids, ref.ID) {
				ids = append(ids, ref.ID)
			}
		}
	}
	return ids
}

// followed reports whether a reference is a dependency. The organizations an object is
// shared with are access data, not knowledge: they are never sent as dependencies.
func followed(r stix.Ref) bool { return !strings.HasSuffix(r.Path, "granted_refs") }

func containsID(ids []stix.ID, id stix.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// redact returns o as the principal may receive it as of v, or nil: the whole boundary of
// [access.Visibility.Screen] (granted organizations stripped; a container's object_refs
// and every other reference to an object the principal may not see as of v removed), so
// that no hidden id leaves in a create, an update's patch, a merge or a delete.
func (s *engineState) redact(ctx context.Context, v store.Snapshot, o *stix.Object) (*stix.Object, error) {
	if o == nil {
		return nil, nil
	}
	red, err := s.vis.ScreenOne(ctx, s.principal, o, access.LookupFunc(func(ctx context.Context, ids []stix.ID, found func(*stix.Object)) error {
		recs, err := v.GetMany(ctx, ids)
		if err != nil {
			return fmt.Errorf("stream: looking up what %s names as of %s: %w", o.ID(), v.Position(), err)
		}
		for _, id := range ids {
			if r, ok := recs[id]; ok {
				found(r.Object)
			}
		}
		return nil
	}))
	return red, err
}
