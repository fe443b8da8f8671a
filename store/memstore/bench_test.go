package memstore_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/internal/benchcpu"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// sco returns a small synthetic observable with a deterministic id.
func sco(i int) *stix.Object {
	return stix.MustParse(fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%08x-0000-4000-8000-%012x","value":"10.%d.%d.%d"}`,
		i, i, i>>16&255, i>>8&255, i&255))
}

// tickClock advances one millisecond per reading, so every record has its own time.
func tickClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

const bigN = 1_000_000

type bigStore struct {
	s             *memstore.Store
	deep          string  // the cursor after the 900,000th record by date added
	bytesPerEntry float64 // live heap growth per record while building
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// big builds the 1,000,000-record store once per benchmark binary, on first use.
var big = sync.OnceValue(func() bigStore {
	ctx := context.Background()
	before := liveHeap()
	s := memstore.New(&memstore.Options{Clock: tickClock(), MaxEvents: 1000})
	for i := range bigN {
		if _, _, err := s.Put(ctx, sco(i)); err != nil {
			panic(err)
		}
	}
	opts := store.ScanOptions{Limit: store.MaxLimit}
	for range 900_000 / store.MaxLimit {
		p, err := s.Scan(ctx, opts)
		if err != nil {
			panic(err)
		}
		opts.After = p.Next
	}
	perEntry := float64(liveHeap()-before) / bigN
	return bigStore{s: s, deep: opts.After, bytesPerEntry: perEntry}
})

// BenchmarkScanPage compares the first page with one 900,000 records deep, in the same
// store and run: keyset paging makes them cost the same.
func BenchmarkScanPage(b *testing.B) {
	bs := big()
	ctx := context.Background()
	deepUpdated := cursorAt(b, bs.s, store.ByUpdated, true, 900_000)
	cases := []struct {
		name string
		opts store.ScanOptions
	}{
		{"date_added/first", store.ScanOptions{Limit: 100}},
		{"date_added/deep900k", store.ScanOptions{Limit: 100, After: bs.deep}},
		{"updated_desc/first", store.ScanOptions{Order: store.ByUpdated, Descending: true, Limit: 100}},
		{"updated_desc/deep900k", store.ScanOptions{Order: store.ByUpdated, Descending: true, Limit: 100, After: deepUpdated}},
		{"types/deep900k", store.ScanOptions{Limit: 100, After: bs.deep, Types: []string{"ipv4-addr"}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				p, err := bs.s.Scan(ctx, c.opts)
				if err != nil || len(p.Records) != 100 || p.Next == "" {
					b.Fatalf("page of %d, %v", len(p.Records), err)
				}
			}
			b.ReportMetric(bs.bytesPerEntry, "heapB/record")
		})
	}
}

func cursorAt(b *testing.B, s store.Store, o store.Order, desc bool, n int) string {
	b.Helper()
	opts := store.ScanOptions{Order: o, Descending: desc, Limit: store.MaxLimit}
	for range n / store.MaxLimit {
		p, err := s.Scan(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		opts.After = p.Next
	}
	return opts.After
}

// BenchmarkPut measures storing new objects (each a create event) against the baseline of
// a bare map under a mutex.
func BenchmarkPut(b *testing.B) {
	const pool = 200_000
	objs := make([]*stix.Object, pool)
	for i := range objs {
		objs[i] = sco(i)
	}
	ctx := context.Background()
	b.Run("memstore", func(b *testing.B) {
		s := memstore.New(&memstore.Options{MaxEvents: 10_000})
		benchcpu.Loop(b, func(n int) {
			i := n % pool
			if i == 0 && n > 0 {
				s = memstore.New(&memstore.Options{MaxEvents: 10_000}) // the pool is used up: start afresh
			}
			if _, _, err := s.Put(ctx, objs[i]); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("baseline_map", func(b *testing.B) {
		var mu sync.Mutex
		m := map[stix.ID]*stix.Object{}
		benchcpu.Loop(b, func(n int) {
			i := n % pool
			if i == 0 {
				m = map[stix.ID]*stix.Object{}
			}
			mu.Lock()
			m[objs[i].ID()] = objs[i]
			mu.Unlock()
		})
	})
}

// BenchmarkRelationsOf looks up the 5 relationships of one object among 10,000 objects and
// 10,000 relationships, against the baseline of scanning every record for them.
func BenchmarkRelationsOf(b *testing.B) {
	ctx := context.Background()
	s := memstore.New(nil)
	const n = 10_000
	var ends []stix.ID
	for i := range n {
		o := sco(i)
		if _, _, err := s.Put(ctx, o); err != nil {
			b.Fatal(err)
		}
		ends = append(ends, o.ID())
	}
	for i := range n {
		r, err := stix.NewRelationship("related-to", ends[i], ends[(i*7+1)%n], stix.Common{})
		if err != nil {
			b.Fatal(err)
		}
		s.Put(ctx, r)
	}
	target := ends[n/2]
	want, _ := s.RelationsOf(ctx, target)
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			rs, err := s.RelationsOf(ctx, target)
			if err != nil || len(rs) != len(want) {
				b.Fatal(len(rs), err)
			}
		}
	})
	b.Run("baseline_scan", func(b *testing.B) {
		for b.Loop() {
			found := 0
			for r, err := range store.All(ctx, s, store.ScanOptions{Types: []string{"relationship"}}) {
				if err != nil {
					b.Fatal(err)
				}
				if r.Object.Get("source_ref").String() == string(target) || r.Object.Get("target_ref").String() == string(target) {
					found++
				}
			}
			if found != len(want) {
				b.Fatal(found)
			}
		}
	})
}

// version returns the i-th version of one indicator (modified one millisecond apart).
func version(i int) *stix.Object {
	return stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2024-01-01T00:00:00.000Z","modified":"` + stix.FormatTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Millisecond)) +
		`","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`)
}

// BenchmarkLog measures appending (a Put of a newer version: one update event, retention
// trimming at 10,000 events) and reading 100 events from a full 100,000-event log, against
// reading the same events from a bare slice.
func BenchmarkLog(b *testing.B) {
	ctx := context.Background()
	const pool = 100_000
	versions := make([]*stix.Object, pool)
	for i := range versions {
		versions[i] = version(i)
	}
	b.Run("append", func(b *testing.B) {
		s := memstore.New(&memstore.Options{MaxEvents: 10_000})
		benchcpu.Loop(b, func(n int) {
			i := n % pool
			if i == 0 && n > 0 {
				s = memstore.New(&memstore.Options{MaxEvents: 10_000}) // the versions are used up: start afresh
			}
			if _, _, err := s.Put(ctx, versions[i]); err != nil {
				b.Fatal(err)
			}
		})
	})
	s := memstore.New(&memstore.Options{MaxEvents: pool})
	for _, v := range versions {
		if _, _, err := s.Put(ctx, v); err != nil {
			b.Fatal(err)
		}
	}
	bounds, _ := s.Bounds(ctx)
	evs, err := s.Read(ctx, bounds.First, pool)
	if err != nil || len(evs) != pool-1 {
		b.Fatal(len(evs), err)
	}
	mid := evs[len(evs)/2].Pos
	b.Run("read100", func(b *testing.B) {
		for b.Loop() {
			got, err := s.Read(ctx, mid, 100)
			if err != nil || len(got) != 100 {
				b.Fatal(len(got), err)
			}
		}
	})
	b.Run("baseline_slice_read100", func(b *testing.B) {
		for b.Loop() {
			i := sort.Search(len(evs), func(i int) bool { return evs[i].Pos.Compare(mid) > 0 })
			got := append([]store.Event(nil), evs[i:i+100]...)
			if len(got) != 100 {
				b.Fatal(len(got))
			}
		}
	})
}
