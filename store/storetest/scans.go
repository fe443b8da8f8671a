package storetest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// key is a record's position in a scan order.
type key struct {
	t  time.Time
	id stix.ID
}

func keyOf(r store.Record, o store.Order) key { return key{o.TimeOf(r), r.Object.ID()} }

func (a key) compare(b key) int {
	if c := a.t.Compare(b.t); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

func (a key) String() string { return fmt.Sprintf("(%s, %s)", a.t.Format(time.RFC3339Nano), a.id) }

type direction struct {
	order store.Order
	desc  bool
}

func (d direction) String() string { return fmt.Sprintf("%s/descending=%t", d.order, d.desc) }

// directions returns the four ways to scan.
func directions() []direction {
	return []direction{{store.ByDateAdded, false}, {store.ByDateAdded, true}, {store.ByUpdated, false}, {store.ByUpdated, true}}
}

// scanIDs pages through a scan and returns the ids in the order received, reporting pages
// over the limit and an empty page that claims more.
func scanIDs(t *testing.T, s store.Store, opts store.ScanOptions) []stix.ID {
	t.Helper()
	var out []stix.ID
	for range 10000 {
		p, err := store.Scan(t.Context(), s, opts)
		if err != nil {
			t.Fatalf("Scan(%+v): %v", opts, err)
		}
		if len(p.Records) > opts.Limit {
			t.Errorf("page of %d records, limit %d", len(p.Records), opts.Limit)
		}
		if len(p.Records) == 0 && p.Next != "" {
			t.Errorf("empty page with Next %q", p.Next)
		}
		for _, r := range p.Records {
			out = append(out, r.Object.ID())
		}
		if p.Next == "" {
			return out
		}
		opts.After = p.Next
	}
	t.Fatal("scan did not end")
	return nil
}

// expected returns the current records' ids that keep says to keep, in d's order.
func expected(t *testing.T, s store.Store, ids []stix.ID, d direction, keep func(store.Record) bool) []stix.ID {
	t.Helper()
	recs, err := s.GetMany(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	var rs []store.Record
	for _, r := range recs {
		if keep == nil || keep(r) {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b store.Record) int {
		c := keyOf(a, d.order).compare(keyOf(b, d.order))
		if d.desc {
			return -c
		}
		return c
	})
	out := make([]stix.ID, len(rs))
	for i, r := range rs {
		out[i] = r.Object.ID()
	}
	return out
}

// populate puts n objects of the given types (round robin) and updates every third one, so
// that the two orders differ; it returns their ids.
func populate(t *testing.T, s store.Store, n int, types ...string) []stix.ID {
	t.Helper()
	var objs []*stix.Object
	for i := range n {
		o := object(t, types[i%len(types)])
		mustPut(t, s, o)
		objs = append(objs, o)
	}
	for i := 0; i < n; i += 3 {
		mustPut(t, s, next(t, objs[i], 1, "updated"))
	}
	ids := make([]stix.ID, n)
	for i, o := range objs {
		ids[i] = o.ID()
	}
	return ids
}

func testScanOrders(t *testing.T, s store.Store) {
	ids := populate(t, s, 25, "malware", "indicator", "tool")
	for _, d := range directions() {
		want := expected(t, s, ids, d, nil)
		for _, limit := range []int{1, 4, 25, 100} {
			got := scanIDs(t, s, store.ScanOptions{Order: d.order, Descending: d.desc, Limit: limit})
			if !slices.Equal(got, want) {
				t.Errorf("%v limit %d: scan order differs from the (time, id) order:\n got %v\nwant %v", d, limit, got, want)
			}
		}
	}
}

// Next is set exactly when another record exists: an exactly full last page has none.
func testScanExactNext(t *testing.T, s store.Store) {
	populate(t, s, 6, "malware")
	for _, d := range directions() {
		for _, c := range []struct{ limit, pages int }{{3, 2}, {6, 1}, {7, 1}, {2, 3}} {
			opts := store.ScanOptions{Order: d.order, Descending: d.desc, Limit: c.limit}
			pages := 0
			for {
				p, err := store.Scan(t.Context(), s, opts)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if p.Next == "" || pages > c.pages {
					break
				}
				opts.After = p.Next
			}
			if pages != c.pages {
				t.Errorf("%v: 6 records with limit %d took %d pages, want %d", d, c.limit, pages, c.pages)
			}
		}
	}
}

func testScanTypes(t *testing.T, s store.Store) {
	ids := populate(t, s, 30, "malware", "indicator", "identity")
	for _, d := range directions() {
		for _, types := range [][]string{{"identity"}, {"malware", "identity"}, {"identity", "identity", "tool"}, {"tool"}} {
			want := expected(t, s, ids, d, func(r store.Record) bool { return slices.Contains(types, r.Object.Type()) })
			got := scanIDs(t, s, store.ScanOptions{Order: d.order, Descending: d.desc, Limit: 4, Types: types})
			if !slices.Equal(got, want) {
				t.Errorf("%v Types %v:\n got %v\nwant %v", d, types, got, want)
			}
		}
	}
}

// Since and Until bound the ordering time to [Since, Until).
func testScanSinceUntil(t *testing.T, s store.Store) {
	ids := populate(t, s, 12, "malware", "indicator")
	for _, d := range directions() {
		all := expected(t, s, ids, d, nil)
		recs, _ := s.GetMany(t.Context(), ids)
		var times []time.Time
		for _, id := range all {
			times = append(times, d.order.TimeOf(recs[id]))
		}
		slices.SortFunc(times, time.Time.Compare)
		bounds := []struct{ since, until time.Time }{
			{times[3], times[8]},
			{times[3], time.Time{}},
			{time.Time{}, times[8]},
			{times[5], times[5]},
			{times[0].Add(-time.Hour), times[len(times)-1].Add(time.Nanosecond)},
		}
		for _, b := range bounds {
			want := expected(t, s, ids, d, func(r store.Record) bool {
				tm := d.order.TimeOf(r)
				return (b.since.IsZero() || !tm.Before(b.since)) && (b.until.IsZero() || tm.Before(b.until))
			})
			got := scanIDs(t, s, store.ScanOptions{Order: d.order, Descending: d.desc, Limit: 2, Since: b.since, Until: b.until})
			if !slices.Equal(got, want) {
				t.Errorf("%v [%v, %v):\n got %v\nwant %v", d, b.since, b.until, got, want)
			}
		}
	}
}

// Match and MatchRecord filter while pages stay full and Next stays exact; given both, a
// record must pass both; Filter falls back to them.
func testScanMatch(t *testing.T, s store.Store) {
	ids := populate(t, s, 40, "malware", "indicator")
	chosen, second := map[stix.ID]bool{}, map[stix.ID]bool{}
	for i, id := range ids {
		if i%3 == 1 && i < 30 { // the last ten records never match: Next must not promise them
			chosen[id] = true
		}
		if i%2 == 0 {
			second[id] = true
		}
	}
	match := func(o *stix.Object) bool { return chosen[o.ID()] }
	// MatchRecord reads the record, as created_at/updated_at filters do: it is handed the
	// record's DateAdded, which must be the one the store reports.
	byRecord := func(set map[stix.ID]bool) func(store.Record) bool {
		return func(r store.Record) bool { return set[r.Object.ID()] && !r.DateAdded.IsZero() }
	}
	variants := []struct {
		name  string
		opts  store.ScanOptions
		keeps func(stix.ID) bool
	}{
		{"Match", store.ScanOptions{Match: match}, func(id stix.ID) bool { return chosen[id] }},
		{"MatchRecord", store.ScanOptions{MatchRecord: byRecord(chosen)}, func(id stix.ID) bool { return chosen[id] }},
		{"Match and MatchRecord", store.ScanOptions{Match: match, MatchRecord: byRecord(second)},
			func(id stix.ID) bool { return chosen[id] && second[id] }},
	}
	for _, v := range variants {
		for _, d := range directions() {
			want := expected(t, s, ids, d, func(r store.Record) bool { return v.keeps(r.Object.ID()) })
			for _, filter := range []json.RawMessage{nil, json.RawMessage(`{"mode":"and","filters":[],"filterGroups":[]}`)} {
				opts := v.opts
				opts.Order, opts.Descending, opts.Limit, opts.Filter = d.order, d.desc, 3, filter
				var got []stix.ID
				for {
					p, err := store.Scan(t.Context(), s, opts)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range p.Records {
						got = append(got, r.Object.ID())
					}
					if p.Next == "" {
						break
					}
					if len(p.Records) != opts.Limit {
						t.Errorf("%s %v: a page with more to come holds %d matches, want %d", v.name, d, len(p.Records), opts.Limit)
					}
					opts.After = p.Next
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s %v (filter %s):\n got %v\nwant %v", v.name, d, filter, got, want)
				}
			}
		}
	}
}

func testScanInvalid(t *testing.T, s store.Store) {
	populate(t, s, 5, "malware")
	p, err := store.Scan(t.Context(), s, store.ScanOptions{Order: store.ByUpdated, Limit: 2})
	if err != nil || p.Next == "" {
		t.Fatalf("first page: %v (next %q)", err, p.Next)
	}
	cases := []struct {
		rule string
		opts store.ScanOptions
		want error
	}{
		{"limit ≥ 1", store.ScanOptions{Limit: 0}, store.ErrInvalid},
		{"limit ≥ 1", store.ScanOptions{Limit: -5}, store.ErrInvalid},
		{"limit ≤ MaxLimit", store.ScanOptions{Limit: store.MaxLimit + 1}, store.ErrInvalid},
		{"a known order", store.ScanOptions{Order: 7, Limit: 1}, store.ErrInvalid},
		{"until not before since", store.ScanOptions{Limit: 1, Since: at(5), Until: at(1)}, store.ErrInvalid},
		{"a filter needs its Match fallback", store.ScanOptions{Limit: 1, Filter: json.RawMessage(`{}`)}, store.ErrInvalid},
		{"a cursor is what Next gave", store.ScanOptions{Limit: 1, After: "not a cursor"}, store.ErrInvalidCursor},
		{"a cursor is what Next gave", store.ScanOptions{Order: store.ByUpdated, Limit: 1, After: p.Next + "x"}, store.ErrInvalidCursor},
		{"a cursor keeps its order", store.ScanOptions{Order: store.ByDateAdded, Limit: 1, After: p.Next}, store.ErrInvalidCursor},
		{"a cursor keeps its direction", store.ScanOptions{Order: store.ByUpdated, Descending: true, Limit: 1, After: p.Next}, store.ErrInvalidCursor},
	}
	for _, c := range cases {
		if _, err := store.Scan(t.Context(), s, c.opts); !errors.Is(err, c.want) {
			t.Errorf("%s: Scan(%+v) error = %v, want %v", c.rule, c.opts, err, c.want)
		}
	}
	// A cursor is stateless: replaying it gives the same page.
	opts := store.ScanOptions{Order: store.ByUpdated, Limit: 2, After: p.Next}
	a, err1 := store.Scan(t.Context(), s, opts)
	b, err2 := store.Scan(t.Context(), s, opts)
	if err1 != nil || err2 != nil || a.Next != b.Next || len(a.Records) != len(b.Records) {
		t.Errorf("replaying a cursor gave a different page (%v, %v)", err1, err2)
	}
}

// Inserting while paging: records inserted beyond the cursor appear, those behind it do not,
// and no record is skipped or repeated, in both orders and both directions.
func testScanWhileInserting(t *testing.T, s store.Store) {
	for i, d := range directions() {
		typ := fmt.Sprintf("x-paging-%d", i)
		var pre []stix.ID
		for range 40 {
			o := object(t, typ)
			mustPut(t, s, o)
			pre = append(pre, o.ID())
		}
		type inserted struct {
			k      key
			behind bool // at or behind the cursor when inserted
		}
		ins := map[stix.ID]inserted{}
		var cursor *key
		seen := map[stix.ID]int{}
		var prev *key
		opts := store.ScanOptions{Order: d.order, Descending: d.desc, Limit: 6, Types: []string{typ}}
		for pages := 0; ; pages++ {
			if pages > 1000 {
				t.Fatal("paging did not end")
			}
			p, err := store.Scan(t.Context(), s, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Records {
				k := keyOf(r, d.order)
				if prev != nil {
					if c := k.compare(*prev); d.desc && c >= 0 || !d.desc && c <= 0 {
						t.Errorf("%v: key %v does not follow %v", d, k, *prev)
					}
				}
				prev, cursor = &k, &k
				seen[r.Object.ID()]++
			}
			if p.Next == "" {
				break
			}
			opts.After = p.Next
			for range 2 { // insert between pages, noting where each lands relative to the cursor
				o := object(t, typ)
				mustPut(t, s, o)
				k := keyOf(mustGet(t, s, o.ID()), d.order)
				c := k.compare(*cursor)
				ins[o.ID()] = inserted{k, d.desc && c >= 0 || !d.desc && c <= 0}
			}
		}
		for _, id := range pre {
			if seen[id] != 1 {
				t.Errorf("%v: pre-existing record %s seen %d times, want 1", d, id, seen[id])
			}
		}
		for id, in := range ins {
			want := 1
			if in.behind {
				want = 0
			}
			if seen[id] != want {
				t.Errorf("%v: record %s inserted %s the cursor seen %d times, want %d", d, id,
					map[bool]string{true: "behind", false: "beyond"}[in.behind], seen[id], want)
			}
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("%v: record %s seen %d times", d, id, n)
			}
		}
	}
}

// By last change, a record updated while paging moves: if not yet reached it appears once,
// in its new version; if already passed it appears again when its new key is beyond the cursor.
func testScanUpdatedMoves(t *testing.T, s store.Store) {
	var objs []*stix.Object
	for range 9 {
		o := object(t, "malware")
		mustPut(t, s, o)
		objs = append(objs, o)
	}
	opts := store.ScanOptions{Order: store.ByUpdated, Limit: 3}
	p, err := store.Scan(t.Context(), s, opts)
	if err != nil || p.Next == "" {
		t.Fatalf("first page: %v", err)
	}
	cursor := keyOf(p.Records[len(p.Records)-1], store.ByUpdated)
	passed := p.Records[0].Object
	var ahead *stix.Object // the first object the first page did not return
	for _, o := range objs {
		if !slices.ContainsFunc(p.Records, func(r store.Record) bool { return r.Object.ID() == o.ID() }) {
			ahead = o
			break
		}
	}
	passed2 := next(t, passed, 1, "changed")
	ahead2 := next(t, ahead, 1, "changed")
	mustPut(t, s, passed2)
	mustPut(t, s, ahead2)
	passedKey := keyOf(mustGet(t, s, passed.ID()), store.ByUpdated)
	var rest []store.Record
	opts.After = p.Next
	for r, err := range store.All(t.Context(), s, opts) {
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, r)
	}
	count := func(id stix.ID) (n int, last *stix.Object) {
		for _, r := range rest {
			if r.Object.ID() == id {
				n, last = n+1, r.Object
			}
		}
		return n, last
	}
	if n, last := count(ahead.ID()); n != 1 || !sameObject(last, ahead2) {
		t.Errorf("a record changed before being reached appears %d times after the cursor (want once, in its new version)", n)
	}
	wantPassed := 0
	if passedKey.compare(cursor) > 0 {
		wantPassed = 1
	}
	if n, _ := count(passed.ID()); n != wantPassed {
		t.Errorf("a passed record whose new key %v is beyond the cursor %v: seen %d more times, want %d", passedKey, cursor, n, wantPassed)
	}
}

func testAll(t *testing.T, s store.Store) {
	ids := populate(t, s, 23, "malware", "tool")
	want := expected(t, s, ids, direction{store.ByDateAdded, false}, nil)
	var got []stix.ID
	for r, err := range store.All(t.Context(), s, store.ScanOptions{Limit: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Object.ID())
	}
	if !slices.Equal(got, want) {
		t.Errorf("All:\n got %v\nwant %v", got, want)
	}
	n := 0
	for range store.All(t.Context(), s, store.ScanOptions{Limit: 5}) {
		if n++; n == 7 {
			break // stopping early must be safe
		}
	}
	errs := 0
	for _, err := range store.All(t.Context(), s, store.ScanOptions{Limit: store.MaxLimit + 1}) {
		if err == nil || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("All with a bad limit yielded error %v, want ErrInvalid", err)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("All with a bad limit yielded %d times, want one error", errs)
	}
	if c, err := store.Count(t.Context(), s); err != nil || c != 23 {
		t.Errorf("Count = %d, %v; want 23", c, err)
	}
}
