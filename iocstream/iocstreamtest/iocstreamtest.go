package iocstreamtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/iocstream"
)

// NewStore returns a fresh, empty store that honours opts (never nil: the suite sets a
// fake clock, and sometimes a retention).
type NewStore func(t *testing.T, opts *iocstream.StoreOptions) iocstream.Store

// Clock is a settable clock for StoreOptions.Now, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads t until it is moved.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// epoch is the suite's fixed "now".
var epoch = time.Date(2023, 2, 7, 12, 0, 0, 0, time.UTC)

// Run runs the conformance suite. Every subtest makes its own store with newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	s := &suite{newStore: newStore}
	t.Run("AddThenGet", s.addThenGet)
	t.Run("AddCopies", s.addCopies)
	t.Run("AddInvalid", s.addInvalid)
	t.Run("AddDuplicate", s.addDuplicate)
	t.Run("GetMissing", s.getMissing)
	t.Run("Delete", s.delete)
	t.Run("DeleteMatching", s.deleteMatching)
	t.Run("Order", s.order)
	t.Run("Filters", s.filters)
	t.Run("Paging", s.paging)
	t.Run("PagingWhileChanging", s.pagingWhileChanging)
	t.Run("Cursor", s.cursor)
	t.Run("Limit", s.limit)
	t.Run("RetentionDefault", s.retentionDefault)
	t.Run("RetentionConfigured", s.retentionConfigured)
	t.Run("Concurrent", s.concurrent)
}

type suite struct{ newStore NewStore }

func (s *suite) make(t *testing.T, retention time.Duration) (iocstream.Store, *Clock) {
	t.Helper()
	c := NewClock(epoch)
	st := s.newStore(t, &iocstream.StoreOptions{Now: c.Now, Retention: retention})
	if st == nil {
		t.Fatal("newStore returned nil")
	}
	return st, c
}

// Notification returns a valid notification with the given id and date; the rest is a
// hunting match on a file.
func Notification(id string, date time.Time) *iocstream.Notification {
	return &iocstream.Notification{
		ID:      id,
		Date:    date,
		Origin:  iocstream.OriginHunting,
		Sources: []iocstream.Source{{Type: iocstream.SourceHuntingRuleset, ID: "ruleset1", Label: "Ransomware"}},
		Tags:    []string{"rule1", "owner"},
		Hunting: &iocstream.HuntingInfo{RuleName: "rule1", RuleTags: []string{"ransomware"}, Snippet: "4d 5a begin_highlight 90 end_highlight", SourceCountry: "ES", SourceKey: "b3190c38"},
		Entity: iocstream.Entity{Type: iocstream.EntityFile, ID: "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
			Attributes: []byte(`{"size":68,"type_tag":"text"}`)},
	}
}

// dataset returns n varied notifications dated within the six days before epoch, with
// many sharing a second, in random insertion order.
func dataset(n int, seed uint64) []*iocstream.Notification {
	r := rand.New(rand.NewPCG(seed, 7))
	types := []iocstream.EntityType{iocstream.EntityFile, iocstream.EntityURL, iocstream.EntityDomain, iocstream.EntityIPAddress}
	srcTypes := []iocstream.SourceType{iocstream.SourceHuntingRuleset, iocstream.SourceRetrohuntJob, iocstream.SourceCollection, iocstream.SourceThreatActor}
	out := make([]*iocstream.Notification, n)
	for i := range out {
		nt := &iocstream.Notification{
			ID:     fmt.Sprintf("n%08x-%d", r.Uint32(), i), // unique, in an order unrelated to dates
			Date:   epoch.Add(-time.Duration(r.IntN(6*24*60)) * time.Minute).Add(-time.Duration(r.IntN(2)) * time.Second),
			Origin: iocstream.OriginSubscriptions,
			Entity: iocstream.Entity{Type: types[r.IntN(len(types))], ID: fmt.Sprintf("e%d", r.IntN(n/4+1))},
		}
		if r.IntN(2) == 0 {
			nt.Origin = iocstream.OriginHunting
			nt.Hunting = &iocstream.HuntingInfo{RuleName: fmt.Sprintf("r%d", r.IntN(5))}
		}
		for range r.IntN(3) {
			nt.Sources = append(nt.Sources, iocstream.Source{Type: srcTypes[r.IntN(len(srcTypes))], ID: fmt.Sprintf("s%d", r.IntN(8))})
		}
		for range r.IntN(4) {
			nt.Tags = append(nt.Tags, fmt.Sprintf("t%d", r.IntN(10)))
		}
		out[i] = nt
	}
	// A block of notifications in one second, so that ties are broken by id across pages.
	for i := 0; i < n/10; i++ {
		out[i].Date = epoch.Add(-time.Hour)
	}
	return out
}

func add(t *testing.T, st iocstream.Store, ns ...*iocstream.Notification) {
	t.Helper()
	for _, n := range ns {
		if err := st.Add(context.Background(), n); err != nil {
			t.Fatalf("Add(%s): %v", n.ID, err)
		}
	}
}

// expect returns the ids of the model's notifications that q matches, in order.
func expect(model map[string]*iocstream.Notification, q *iocstream.Query, order iocstream.Order) []string {
	var ns []*iocstream.Notification
	for _, n := range model {
		if q.Match(n) {
			ns = append(ns, n)
		}
	}
	sortKeys(ns, order)
	return ids(ns)
}

func sortKeys(ns []*iocstream.Notification, order iocstream.Order) {
	slices.SortFunc(ns, func(a, b *iocstream.Notification) int {
		c := 0
		if a.Key().Less(b.Key()) {
			c = -1
		} else if b.Key().Less(a.Key()) {
			c = 1
		}
		if order == iocstream.OrderNewest {
			c = -c
		}
		return c
	})
}

func ids(ns []*iocstream.Notification) []string {
	var out []string // nil when empty, like a listing that found nothing
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

// listAll pages through a listing with the given page size and returns the ids in order.
func listAll(t *testing.T, st iocstream.Store, q *iocstream.Query, order iocstream.Order, limit int) []string {
	t.Helper()
	var got []string
	opts := &iocstream.ListOptions{Order: order, Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatal("listing does not end")
		}
		p, err := iocstream.List(context.Background(), st, q, opts)
		if err != nil {
			t.Fatalf("List(%q, %+v): %v", q, opts, err)
		}
		if len(p.Notifications) > limit {
			t.Fatalf("List returned %d notifications, limit %d", len(p.Notifications), limit)
		}
		got = append(got, ids(p.Notifications)...)
		if p.Cursor == "" {
			return got
		}
		if len(p.Notifications) < limit {
			t.Errorf("a page of %d < limit %d has a cursor", len(p.Notifications), limit)
		}
		opts.Cursor = p.Cursor
	}
}

func mustParse(t *testing.T, filter string) *iocstream.Query {
	t.Helper()
	q, err := iocstream.ParseFilter(filter)
	if err != nil {
		t.Fatalf("ParseFilter(%q): %v", filter, err)
	}
	return q
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one for which errors.Is(err, %v)", what, err, target)
	}
}
