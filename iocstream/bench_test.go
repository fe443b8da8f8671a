package iocstream

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// The benchmark stream: 1,000,000 notifications over six days, built once on first use.
const benchSize = 1_000_000

var benchNow = time.Date(2023, 2, 7, 12, 0, 0, 0, time.UTC)

type benchData struct {
	store  *MemStore
	sorted []*Notification // newest first: the baseline's only index
}

var benchOnce = sync.OnceValue(func() *benchData {
	s := NewMemStore(&StoreOptions{Now: func() time.Time { return benchNow }})
	types := []EntityType{EntityFile, EntityURL, EntityDomain, EntityIPAddress}
	all := make([]*Notification, 0, benchSize)
	for i := range benchSize {
		n := &Notification{
			ID:      fmt.Sprintf("n%07d", i),
			Date:    benchNow.Add(-time.Duration(i%(6*24*3600)) * time.Second),
			Origin:  OriginSubscriptions,
			Sources: []Source{{Type: SourceCollection, ID: fmt.Sprintf("c%d", i%50)}},
			Tags:    []string{fmt.Sprintf("t%d", i%20), "common"},
			Entity:  Entity{Type: types[i%4], ID: fmt.Sprintf("e%d", i)},
		}
		if i%2 == 0 {
			n.Origin = OriginHunting
		}
		if i%100 == 7 {
			n.Tags = append(n.Tags, "rare") // 1% of the stream
		}
		if i%1000 == 3 {
			n.Tags = append(n.Tags, "scarce") // 0.1% of the stream
		}
		if err := s.Add(context.Background(), n); err != nil {
			panic(err)
		}
		all = append(all, n)
	}
	sortNewest := func(a, b *Notification) int { return cmpKey(a.Key(), b.Key(), OrderNewest) }
	slices.SortFunc(all, sortNewest)
	return &benchData{store: s, sorted: all}
})

// benchCases are filters of decreasing selectivity; each page starts half-way down the
// stream (500,000 notifications deep), with a cursor.
var benchCases = []struct{ name, filter string }{
	{"scarce-tag-0.1pct", "notification_tag:scarce"},
	{"rare-tag-1pct", "notification_tag:rare"},
	{"type-and-origin-25pct", "entity_type:file origin:hunting"},
	{"source-id-2x2pct", "source_id:c3 source_id:c4"},
	{"date-range-only", "date:2023-02-02+ date:2023-02-05-"},
	{"no-filter", ""},
}

func depthKey(d *benchData) Key { return d.sorted[benchSize/2].Key() }

// BenchmarkListDepth measures a page of 40 at depth through List on the indexed MemStore.
func BenchmarkListDepth(b *testing.B) {
	d := benchOnce()
	for _, bc := range benchCases {
		q, err := ParseFilter(bc.filter)
		if err != nil {
			b.Fatal(err)
		}
		opts := &ListOptions{Limit: MaxLimit, Cursor: encodeCursor(q, cursor{order: OrderNewest, key: depthKey(d)})}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := List(context.Background(), d.store, q, opts)
				if err != nil || len(p.Notifications) != MaxLimit {
					b.Fatalf("List: %d, %v", len(p.Notifications), err)
				}
			}
		})
	}
}

// BenchmarkBaselineDateIndexScan is the baseline: the same page from a store with only a
// date index (a sorted slice): binary search to the cursor, then test every notification
// until 40 match.
func BenchmarkBaselineDateIndexScan(b *testing.B) {
	d := benchOnce()
	for _, bc := range benchCases {
		q, err := ParseFilter(bc.filter)
		if err != nil {
			b.Fatal(err)
		}
		after := depthKey(d)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				i := sort.Search(len(d.sorted), func(i int) bool { return d.sorted[i].Key().Less(after) })
				var page []*Notification
				for ; i < len(d.sorted) && len(page) < MaxLimit; i++ {
					if q.Match(d.sorted[i]) {
						page = append(page, d.sorted[i].clone())
					}
				}
				if len(page) != MaxLimit {
					b.Fatalf("baseline page of %d", len(page))
				}
			}
		})
	}
}
