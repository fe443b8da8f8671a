package iocstreamtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/google/go-cmp/cmp"
)

var ctx = context.Background()

// Add stores a copy; Get returns it with the date in whole seconds, UTC.
func (s *suite) addThenGet(t *testing.T) {
	st, _ := s.make(t, 0)
	n := Notification("a1", epoch.Add(-time.Hour+300*time.Millisecond).In(time.FixedZone("X", 3600)))
	add(t, st, n)
	got, err := st.Get(ctx, "a1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := Notification("a1", epoch.Add(-time.Hour))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get returned (-want +got):\n%s", diff)
	}
	if got.Date.Location() != time.UTC {
		t.Errorf("Date location = %v, want UTC", got.Date.Location())
	}
}

// The store shares no memory with its callers.
func (s *suite) addCopies(t *testing.T) {
	st, _ := s.make(t, 0)
	n := Notification("a1", epoch.Add(-time.Hour))
	add(t, st, n)
	n.Tags[0], n.Sources[0].ID, n.Hunting.RuleTags[0], n.Entity.Attributes[1] = "x", "x", "x", 'x'
	got, err := st.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Notification("a1", epoch.Add(-time.Hour)), got); diff != "" {
		t.Errorf("changing the added notification changed the stored one (-want +got):\n%s", diff)
	}
	got.Tags[0], got.Hunting.RuleName = "y", "y"
	p, err := iocstream.List(ctx, st, nil, nil)
	if err != nil || len(p.Notifications) != 1 {
		t.Fatalf("List: %v, %v", p, err)
	}
	p.Notifications[0].Tags[1] = "z"
	again, _ := st.Get(ctx, "a1")
	if diff := cmp.Diff(Notification("a1", epoch.Add(-time.Hour)), again); diff != "" {
		t.Errorf("changing returned notifications changed the stored one (-want +got):\n%s", diff)
	}
}

// Invalid notifications are refused with ErrInvalid and not stored.
func (s *suite) addInvalid(t *testing.T) {
	st, _ := s.make(t, 0)
	bad := map[string]func(n *iocstream.Notification){
		"empty id":                  func(n *iocstream.Notification) { n.ID = "" },
		"id with a slash":           func(n *iocstream.Notification) { n.ID = "a/b" },
		"zero date":                 func(n *iocstream.Notification) { n.Date = time.Time{} },
		"unknown origin":            func(n *iocstream.Notification) { n.Origin = "feed" },
		"hunting_info off hunting":  func(n *iocstream.Notification) { n.Origin = iocstream.OriginSubscriptions },
		"unknown source type":       func(n *iocstream.Notification) { n.Sources[0].Type = "ruleset" },
		"source id with a space":    func(n *iocstream.Notification) { n.Sources[0].ID = "a b" },
		"empty tag":                 func(n *iocstream.Notification) { n.Tags = []string{""} },
		"unknown entity type":       func(n *iocstream.Notification) { n.Entity.Type = "hash" },
		"empty entity id":           func(n *iocstream.Notification) { n.Entity.ID = "" },
		"attributes not an object":  func(n *iocstream.Notification) { n.Entity.Attributes = []byte(`[1]`) },
		"attributes not JSON":       func(n *iocstream.Notification) { n.Entity.Attributes = []byte(`{"a":`) },
		"attributes empty but set":  func(n *iocstream.Notification) { n.Entity.Attributes = []byte(` `) },
		"id longer than 128 chars":  func(n *iocstream.Notification) { n.ID = string(make([]byte, 129)) },
		"entity id with a new line": func(n *iocstream.Notification) { n.Entity.ID = "a\nb" },
	}
	for name, spoil := range bad {
		n := Notification("bad1", epoch.Add(-time.Hour))
		spoil(n)
		wantErr(t, name, st.Add(ctx, n), iocstream.ErrInvalid)
	}
	if p, err := iocstream.List(ctx, st, nil, nil); err != nil || len(p.Notifications) != 0 {
		t.Errorf("after refused adds, List = %v, %v; want nothing", p, err)
	}
	if err := st.Add(ctx, nil); !errors.Is(err, iocstream.ErrInvalid) {
		t.Errorf("Add(nil) = %v, want ErrInvalid", err)
	}
}

// A second notification with a stored id is refused with ErrExists; the first stays.
func (s *suite) addDuplicate(t *testing.T) {
	st, _ := s.make(t, 0)
	add(t, st, Notification("d1", epoch.Add(-time.Hour)))
	other := Notification("d1", epoch.Add(-time.Minute))
	other.Tags = []string{"other"}
	wantErr(t, "second Add", st.Add(ctx, other), iocstream.ErrExists)
	got, err := st.Get(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Notification("d1", epoch.Add(-time.Hour)), got); diff != "" {
		t.Errorf("a refused Add changed the stored notification (-want +got):\n%s", diff)
	}
}

func (s *suite) getMissing(t *testing.T) {
	st, _ := s.make(t, 0)
	_, err := st.Get(ctx, "nope")
	wantErr(t, "Get of a missing id", err, iocstream.ErrNotFound)
	_, err = st.Get(ctx, "")
	wantErr(t, "Get of the empty id", err, iocstream.ErrNotFound)
}

// Delete removes one notification; deleting it again is ErrNotFound.
func (s *suite) delete(t *testing.T) {
	st, _ := s.make(t, 0)
	add(t, st, Notification("x1", epoch.Add(-time.Hour)), Notification("x2", epoch.Add(-time.Hour)))
	if err := st.Delete(ctx, "x1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := st.Get(ctx, "x1")
	wantErr(t, "Get after Delete", err, iocstream.ErrNotFound)
	wantErr(t, "second Delete", st.Delete(ctx, "x1"), iocstream.ErrNotFound)
	if got := listAll(t, st, nil, iocstream.OrderNewest, 10); !slices.Equal(got, []string{"x2"}) {
		t.Errorf("after Delete, List = %q, want [x2]", got)
	}
	add(t, st, Notification("x1", epoch.Add(-time.Hour))) // the id is free again
}

// DeleteMatching removes exactly what the filter matches and counts it.
func (s *suite) deleteMatching(t *testing.T) {
	for _, filter := range []string{"origin:hunting", "entity_type:url entity_type:domain", "notification_tag:t3 source_type:collection", "date:2023-02-05+", "entity_id:nothing", ""} {
		t.Run(filter, func(t *testing.T) {
			st, _ := s.make(t, 0)
			model := map[string]*iocstream.Notification{}
			for _, n := range dataset(300, 1) {
				add(t, st, n)
				model[n.ID] = n
			}
			q := mustParse(t, filter)
			doomed := expect(model, q, iocstream.OrderOldest)
			got, err := st.DeleteMatching(ctx, q)
			if err != nil {
				t.Fatalf("DeleteMatching: %v", err)
			}
			if got != len(doomed) {
				t.Errorf("DeleteMatching(%q) = %d, want %d", filter, got, len(doomed))
			}
			for _, id := range doomed {
				delete(model, id)
			}
			if diff := cmp.Diff(expect(model, nil, iocstream.OrderNewest), listAll(t, st, nil, iocstream.OrderNewest, 40)); diff != "" {
				t.Errorf("left after DeleteMatching(%q) (-want +got):\n%s", filter, diff)
			}
		})
	}
}

// Listings are ordered by date, ties broken by id; date+ is the exact reverse of date-.
func (s *suite) order(t *testing.T) {
	st, _ := s.make(t, 0)
	model := map[string]*iocstream.Notification{}
	for _, n := range dataset(200, 2) {
		add(t, st, n)
		model[n.ID] = n
	}
	newest := listAll(t, st, nil, iocstream.OrderNewest, 40)
	if diff := cmp.Diff(expect(model, nil, iocstream.OrderNewest), newest); diff != "" {
		t.Errorf("date- order (-want +got):\n%s", diff)
	}
	oldest := listAll(t, st, nil, iocstream.OrderOldest, 40)
	slices.Reverse(oldest)
	if diff := cmp.Diff(newest, oldest); diff != "" {
		t.Errorf("date+ is not the reverse of date- (-date- +reversed date+):\n%s", diff)
	}
	if p, err := iocstream.List(ctx, st, nil, nil); err != nil || p.Order != iocstream.OrderNewest {
		t.Errorf("default order: %v, %v; want date-", p.Order, err)
	}
}

// Every filter selects what Query.Match selects, in both orders and any page size.
func (s *suite) filters(t *testing.T) {
	st, _ := s.make(t, 0)
	model := map[string]*iocstream.Notification{}
	for _, n := range dataset(400, 3) {
		add(t, st, n)
		model[n.ID] = n
	}
	day := func(d int) string { return epoch.AddDate(0, 0, -d).Format("2006-01-02") }
	filters := []string{
		"", "origin:hunting", "origin:subscriptions", "entity_type:file", "entity_type:file entity_type:ip_address",
		"entity_id:e3", "entity_id:e3 entity_id:e7 entity_id:nothing", "source_type:collection", "source_id:s1 source_id:s2",
		"notification_tag:t1", "notification_tag:t1 notification_tag:t2 origin:subscriptions",
		"date:" + day(2) + "+", "date:" + day(2) + "-", "date:" + day(4) + "+ date:" + day(1) + "-",
		"date:" + epoch.Add(-time.Hour).Format("2006-01-02T15:04:05") + "+ date:" + epoch.Add(-time.Hour+time.Second).Format("2006-01-02T15:04:05") + "-",
		"date:" + day(3) + "+ entity_type:url notification_tag:t4 notification_tag:t5",
		"origin:hunting source_type:threat_actor source_id:s3", "notification_tag:nothing",
	}
	for _, f := range filters {
		q := mustParse(t, f)
		for _, order := range []iocstream.Order{iocstream.OrderNewest, iocstream.OrderOldest} {
			for _, limit := range []int{1, 7, 40} {
				if diff := cmp.Diff(expect(model, q, order), listAll(t, st, q, order, limit)); diff != "" {
					t.Errorf("filter %q, order %s, limit %d (-want +got):\n%s", f, order, limit, diff)
				}
			}
		}
	}
}

// Paging returns every notification once; the last page has no cursor; All agrees.
func (s *suite) paging(t *testing.T) {
	st, _ := s.make(t, 0)
	empty, err := iocstream.List(ctx, st, nil, nil)
	if err != nil || len(empty.Notifications) != 0 || empty.Cursor != "" {
		t.Errorf("List of an empty store = %+v, %v; want no notifications and no cursor", empty, err)
	}
	model := map[string]*iocstream.Notification{}
	for _, n := range dataset(100, 4) {
		add(t, st, n)
		model[n.ID] = n
	}
	// 100 is a multiple of the page size: the last full page must not promise more.
	p, err := iocstream.List(ctx, st, nil, &iocstream.ListOptions{Limit: 20})
	for i := 0; err == nil && p.Cursor != ""; i++ {
		p, err = iocstream.List(ctx, st, nil, &iocstream.ListOptions{Limit: 20, Cursor: p.Cursor})
		if i > 10 {
			t.Fatal("paging does not end")
		}
	}
	if err != nil || len(p.Notifications) != 20 {
		t.Errorf("last page: %d notifications, %v; want a full page of 20 without cursor", len(p.Notifications), err)
	}
	var got []string
	for n, err := range iocstream.All(ctx, st, nil, iocstream.OrderOldest) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n.ID)
	}
	if diff := cmp.Diff(expect(model, nil, iocstream.OrderOldest), got); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}
}

// While a client pages, others add and delete. Keyset paging guarantees: nothing is
// returned twice; every notification present from start to end is returned; a deleted one
// is never returned after its deletion; one added after the client's position is returned.
func (s *suite) pagingWhileChanging(t *testing.T) {
	for _, order := range []iocstream.Order{iocstream.OrderNewest, iocstream.OrderOldest} {
		t.Run(string(order), func(t *testing.T) {
			st, _ := s.make(t, 0)
			q := mustParse(t, "origin:hunting")
			initial := dataset(300, 5)
			for _, n := range initial {
				add(t, st, n)
			}
			extra := dataset(300, 6)
			for i, n := range extra {
				n.ID = fmt.Sprintf("late%03d", i)
			}
			seen := map[string]int{}
			deleted := map[string]bool{}
			var lastKey *iocstream.Key
			var mustSee []string // added after the position, never deleted
			opts := &iocstream.ListOptions{Order: order, Limit: 9}
			for step := 0; ; step++ {
				p, err := iocstream.List(ctx, st, q, opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range p.Notifications {
					seen[n.ID]++
					if deleted[n.ID] {
						t.Errorf("%s returned after it was deleted", n.ID)
					}
					k := n.Key()
					if lastKey != nil && !after(k, *lastKey, order) {
						t.Errorf("%s (%v) is not after the previous notification (%v) in order %s", n.ID, k, *lastKey, order)
					}
					lastKey = &k
				}
				if p.Cursor == "" {
					break
				}
				opts.Cursor = p.Cursor
				// Between pages: delete two notifications ahead and one behind, and add
				// three, some ahead of the position and some behind it.
				for j := 0; j < 3 && step*3+j < len(initial); j++ {
					victim := initial[(step*37+j*101)%len(initial)]
					if !deleted[victim.ID] && st.Delete(ctx, victim.ID) == nil {
						deleted[victim.ID] = true
					}
					n := extra[step*3+j]
					add(t, st, n)
					if q.Match(n) && after(n.Key(), *lastKey, order) {
						mustSee = append(mustSee, n.ID)
					}
				}
			}
			for id, c := range seen {
				if c > 1 {
					t.Errorf("%s returned %d times", id, c)
				}
			}
			for _, n := range initial {
				if q.Match(n) && !deleted[n.ID] && seen[n.ID] == 0 {
					t.Errorf("%s, present throughout, was skipped", n.ID)
				}
			}
			for _, id := range mustSee {
				if seen[id] == 0 {
					t.Errorf("%s, added ahead of the position, was skipped", id)
				}
			}
			if len(mustSee) == 0 || len(deleted) == 0 {
				t.Fatal("the test changed nothing ahead of the position; it proves nothing")
			}
		})
	}
}

func after(k, last iocstream.Key, order iocstream.Order) bool {
	if order == iocstream.OrderOldest {
		return last.Less(k)
	}
	return k.Less(last)
}

// Cursors are checked: altered, made-up or foreign ones are ErrBadCursor; a cursor
// outlives the notification it points after.
func (s *suite) cursor(t *testing.T) {
	st, _ := s.make(t, 0)
	model := map[string]*iocstream.Notification{}
	for _, n := range dataset(50, 7) {
		add(t, st, n)
		model[n.ID] = n
	}
	q := mustParse(t, "origin:hunting")
	p, err := iocstream.List(ctx, st, q, &iocstream.ListOptions{Limit: 5})
	if err != nil || p.Cursor == "" {
		t.Fatalf("first page: %v, cursor %q", err, p.Cursor)
	}
	c := p.Cursor
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	bad := map[string]struct {
		q      *iocstream.Query
		cursor string
		order  iocstream.Order
	}{
		"first character changed":      {q, flip(c, 0), ""},
		"middle character changed":     {q, flip(c, len(c)/2), ""},
		"last character changed":       {q, flip(c, len(c)-1), ""},
		"truncated":                    {q, c[:len(c)-3], ""},
		"extended":                     {q, c + "AAAA", ""},
		"not base64url":                {q, "!!!!" + c, ""},
		"made up":                      {q, "c29tZXRoaW5nIGVsc2U", ""},
		"overlong":                     {q, string(make([]byte, 300)), ""},
		"another filter's":             {mustParse(t, "origin:subscriptions"), c, ""},
		"the empty filter's":           {nil, c, ""},
		"another order's":              {q, c, iocstream.OrderOldest},
		"vt-py's composite cursor":     {q, c + "-3", ""},
		"percent-encoded, not decoded": {q, c[:4] + "%3D" + c[4:], ""},
	}
	for name, b := range bad {
		_, err := iocstream.List(ctx, st, b.q, &iocstream.ListOptions{Cursor: b.cursor, Order: b.order, Limit: 5})
		wantErr(t, "List with a cursor "+name, err, iocstream.ErrBadCursor)
	}
	// The same filter written differently is the same filter.
	if _, err := iocstream.List(ctx, st, mustParse(t, "  origin:hunting origin:hunting"), &iocstream.ListOptions{Cursor: c, Limit: 5}); err != nil {
		t.Errorf("cursor with an equivalent filter: %v", err)
	}
	// Deleting the notification the cursor points after does not break the listing.
	last := p.Notifications[len(p.Notifications)-1]
	if err := st.Delete(ctx, last.ID); err != nil {
		t.Fatal(err)
	}
	delete(model, last.ID)
	rest := ids(p.Notifications[:len(p.Notifications)-1])
	opts := &iocstream.ListOptions{Cursor: c, Limit: 5, Order: iocstream.OrderNewest}
	for {
		p, err := iocstream.List(ctx, st, q, opts)
		if err != nil {
			t.Fatalf("paging on from a cursor whose notification was deleted: %v", err)
		}
		rest = append(rest, ids(p.Notifications)...)
		if p.Cursor == "" {
			break
		}
		opts.Cursor = p.Cursor
	}
	if diff := cmp.Diff(expect(model, q, iocstream.OrderNewest), rest); diff != "" {
		t.Errorf("listing across a deleted cursor position (-want +got):\n%s", diff)
	}
}

// Page sizes are 1 to 40, 10 by default; anything else is ErrInvalid. Orders are date- and date+.
func (s *suite) limit(t *testing.T) {
	st, _ := s.make(t, 0)
	for _, n := range dataset(60, 8) {
		add(t, st, n)
	}
	for limit, want := range map[int]int{0: iocstream.DefaultLimit, 1: 1, 40: 40} {
		p, err := iocstream.List(ctx, st, nil, &iocstream.ListOptions{Limit: limit})
		if err != nil || len(p.Notifications) != want {
			t.Errorf("limit %d: %d notifications, %v; want %d", limit, len(p.Notifications), err, want)
		}
	}
	for _, limit := range []int{-1, 41, 1000} {
		_, err := iocstream.List(ctx, st, nil, &iocstream.ListOptions{Limit: limit})
		wantErr(t, fmt.Sprintf("limit %d", limit), err, iocstream.ErrInvalid)
	}
	_, err := iocstream.List(ctx, st, nil, &iocstream.ListOptions{Order: "date"})
	wantErr(t, "order \"date\"", err, iocstream.ErrInvalid)
}

// Notifications expire 7 days after their date by default.
func (s *suite) retentionDefault(t *testing.T) {
	s.retention(t, 0, iocstream.DefaultRetention)
}

// A configured retention replaces the default.
func (s *suite) retentionConfigured(t *testing.T) {
	s.retention(t, 90*time.Minute, 90*time.Minute)
}

func (s *suite) retention(t *testing.T, configured, want time.Duration) {
	st, clock := s.make(t, configured)
	// "edge" is one second short of expiring; "old" expires exactly now.
	add(t, st, Notification("edge", epoch.Add(-want+time.Second)), Notification("old", epoch.Add(-want)), Notification("new", epoch.Add(-time.Second)))
	if got := listAll(t, st, nil, iocstream.OrderNewest, 10); !slices.Equal(got, []string{"new", "edge"}) {
		t.Errorf("with retention %v: List = %q, want [new edge]", want, got)
	}
	if _, err := st.Get(ctx, "edge"); err != nil {
		t.Errorf("Get of a notification 1s short of expiry: %v", err)
	}
	_, err := st.Get(ctx, "old")
	wantErr(t, "Get of an expired notification", err, iocstream.ErrNotFound)
	wantErr(t, "Delete of an expired notification", st.Delete(ctx, "old"), iocstream.ErrNotFound)
	// An expired notification is accepted and never seen; its id is free.
	if err := st.Add(ctx, Notification("ancient", epoch.Add(-want-time.Hour))); err != nil {
		t.Errorf("Add of an expired notification: %v", err)
	}
	if err := st.Add(ctx, Notification("old", epoch.Add(-time.Minute))); err != nil {
		t.Errorf("Add with the id of an expired notification: %v", err)
	}
	clock.Advance(time.Second) // "edge" expires now
	if got := listAll(t, st, nil, iocstream.OrderOldest, 10); !slices.Equal(got, []string{"old", "new"}) {
		t.Errorf("a second later: List = %q, want [old new]", got)
	}
	_, err = st.Get(ctx, "edge")
	wantErr(t, "Get after expiry", err, iocstream.ErrNotFound)
	if n, err := st.DeleteMatching(ctx, mustParse(t, "")); err != nil || n != 2 {
		t.Errorf("DeleteMatching(all) = %d, %v; want 2 (expired ones do not count)", n, err)
	}
}

// Concurrent adds, deletes, gets and listings are safe (run with -race) and lose nothing.
func (s *suite) concurrent(t *testing.T) {
	st, _ := s.make(t, 0)
	const workers, each = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := Notification(fmt.Sprintf("w%d-%d", w, i), epoch.Add(-time.Duration(i)*time.Second))
				if err := st.Add(ctx, n); err != nil {
					errs <- err
				}
				if _, err := st.Get(ctx, n.ID); err != nil {
					errs <- err
				}
				if _, err := iocstream.List(ctx, st, nil, &iocstream.ListOptions{Limit: 5}); err != nil {
					errs <- err
				}
				if i%2 == 1 {
					if err := st.Delete(ctx, n.ID); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(listAll(t, st, nil, iocstream.OrderNewest, 40)); got != workers*each/2 {
		t.Errorf("after concurrent work, %d notifications, want %d", got, workers*each/2)
	}
}
