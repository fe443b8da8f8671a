package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/btree"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Options configures a Store. The zero value (or nil) gives the defaults.
type Options struct {
	// Clock returns the current time (default time.Now). Tests inject a fake clock so that
	// positions and record times are deterministic.
	Clock func() time.Time
	// MaxEvents caps how many events the log retains (default 100,000; negative = no cap).
	// Reads as of a position reach back exactly as far, and the history they need (superseded
	// and deleted states) is dropped with the events.
	MaxEvents int
	// MaxAge drops events older than this, checked on each append (0 = no age limit). The
	// newest event is always retained, so the log's bounds stay known.
	MaxAge time.Duration
}

// DefaultMaxEvents is the log retention when Options.MaxEvents is zero.
const DefaultMaxEvents = 100_000

// Store is an in-memory [store.Store]. It also implements [store.Counter] and
// [store.BatchWriter].
type Store struct {
	clock     func() time.Time
	maxEvents int
	maxAge    time.Duration

	mu        sync.RWMutex
	objects   map[stix.ID]*entry
	byAdded   *btree.BTreeG[*entry]
	byUpdated *btree.BTreeG[*entry]
	types     map[string]*typeIndex
	relations map[stix.ID]map[stix.ID]struct{} // end id → current relation ids
	log       eventLog
	hist      history
}

// entry is one stored id. Its keys (added, updated, id) change only while it is out of the
// trees, so the trees stay ordered.
type entry struct {
	id       stix.ID
	added    time.Time
	updated  time.Time
	since    store.Position // the event that made the current record what it is
	versions []version      // ascending by version; the current one last
}

type version struct {
	obj    *stix.Object
	stored time.Time
}

type typeIndex struct {
	byAdded, byUpdated *btree.BTreeG[*entry]
}

func lessAdded(a, b *entry) bool {
	if c := a.added.Compare(b.added); c != 0 {
		return c < 0
	}
	return a.id < b.id
}

func lessUpdated(a, b *entry) bool {
	if c := a.updated.Compare(b.updated); c != 0 {
		return c < 0
	}
	return a.id < b.id
}

// degree is the B-tree degree: wide nodes keep the trees shallow and cache-friendly.
const degree = 32

// New returns an empty Store.
func New(opts *Options) *Store {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.MaxEvents == 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	s := &Store{
		clock:     o.Clock,
		maxEvents: o.MaxEvents,
		maxAge:    o.MaxAge,
		objects:   make(map[stix.ID]*entry),
		byAdded:   btree.NewG(degree, lessAdded),
		byUpdated: btree.NewG(degree, lessUpdated),
		types:     make(map[string]*typeIndex),
		relations: make(map[stix.ID]map[stix.ID]struct{}),
	}
	s.log.init()
	s.hist.init()
	return s
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.Counter     = (*Store)(nil)
	_ store.BatchWriter = (*Store)(nil)
)

func (e *entry) current() *stix.Object { return e.versions[len(e.versions)-1].obj }

func (e *entry) record() store.Record {
	return store.Record{Object: e.current(), DateAdded: e.added, Updated: e.updated}
}

// Get implements [store.Reader].
func (s *Store) Get(ctx context.Context, id stix.ID) (store.Record, error) {
	if err := ctx.Err(); err != nil {
		return store.Record{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.objects[id]
	if !ok {
		return store.Record{}, notFound(id)
	}
	return e.record(), nil
}

// GetMany implements [store.Reader].
func (s *Store) GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[stix.ID]store.Record, len(ids))
	for _, id := range ids {
		if e, ok := s.objects[id]; ok {
			out[id] = e.record()
		}
	}
	return out, nil
}

// Versions implements [store.Reader].
func (s *Store) Versions(ctx context.Context, id stix.ID) ([]store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.objects[id]
	if !ok {
		return nil, notFound(id)
	}
	out := make([]store.Record, len(e.versions))
	for i, v := range e.versions {
		out[i] = store.Record{Object: v.obj, DateAdded: e.added, Updated: v.stored}
	}
	out[len(out)-1].Updated = e.updated
	return out, nil
}

// RelationsOf implements [store.Reader].
func (s *Store) RelationsOf(ctx context.Context, id stix.ID) ([]store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rels := s.relations[id]
	out := make([]store.Record, 0, len(rels))
	for rid := range rels {
		out = append(out, s.objects[rid].record())
	}
	sortByID(out)
	return out, nil
}

// Count implements [store.Counter].
func (s *Store) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.objects), nil
}

func notFound(id stix.ID) error { return fmt.Errorf("%w: %s", store.ErrNotFound, id) }

// sortByID orders records by id, as RelationsOf returns them (slices.SortFunc: no
// reflection, unlike sort.Slice, on the path of every relationship-key binding).
func sortByID(out []store.Record) {
	slices.SortFunc(out, func(a, b store.Record) int { return strings.Compare(string(a.Object.ID()), string(b.Object.ID())) })
}
