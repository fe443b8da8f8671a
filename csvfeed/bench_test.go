package csvfeed_test

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

const (
	benchObjects = 1_000_000
	benchWindow  = 100_000
)

type benchStore struct {
	s      *memstore.Store
	window csvfeed.Window // the newest benchWindow records
	heapMB float64
}

// big builds the 1,000,000-object store once per benchmark binary: small ipv4-addr
// observables stamped one millisecond apart.
var big = sync.OnceValue(func() benchStore {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var mu sync.Mutex
	at := t0
	s := memstore.New(&memstore.Options{MaxEvents: 1000, Clock: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at = at.Add(time.Millisecond)
		return at
	}})
	for i := range benchObjects {
		if _, _, err := s.Put(context.Background(), ip(i)); err != nil {
			panic(err)
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Record i was stamped t0 + (i+1) ms: the window holds the last benchWindow records.
	w := csvfeed.Window{Since: t0.Add(time.Duration(benchObjects-benchWindow+1) * time.Millisecond),
		Until: t0.Add(time.Duration(benchObjects+1) * time.Millisecond)}
	return benchStore{s: s, window: w, heapMB: float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)}
})

// BenchmarkGenerate compares, on one 1,000,000-object store, generating a capped file
// (5,000 newest of the 100,000 objects in the window) by scanning newest first and
// stopping at the cap, against the baseline that collects the whole window, sorts it and
// keeps the 5,000 newest; and the same capped generation with the whole store as window.
func BenchmarkGenerate(b *testing.B) {
	bs := big()
	ctx := context.Background()
	vis, _ := access.NewVisibility(nil)
	f := compile(b, ipFeed)
	p := &access.Principal{Name: "public"}
	check := func(b *testing.B, content []byte) {
		if n := bytes.Count(content, []byte("\r\n")); n != csvfeed.DefaultMaxRows {
			b.Fatalf("%d rows", n)
		}
	}
	var want []byte
	b.Run("capped_scan", func(b *testing.B) {
		for b.Loop() {
			file, err := f.Generate(ctx, bs.s, vis, p, bs.window)
			if err != nil {
				b.Fatal(err)
			}
			want = file.Bytes()
		}
		check(b, want)
		b.ReportMetric(bs.heapMB, "storeMB")
	})
	b.Run("baseline_collect_sort", func(b *testing.B) {
		m, err := filter.Compile(filter.Group{Filters: []filter.Filter{{Key: []string{"entity_type"}, Values: []string{"IPv4-Addr"}}}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		var got []byte
		for b.Loop() {
			got = baselineGenerate(b, bs, m, vis, p)
		}
		check(b, got)
		if !bytes.Equal(got, want) {
			b.Fatal("the baseline's file differs from Generate's")
		}
	})
	b.Run("capped_scan_window_1M", func(b *testing.B) {
		for b.Loop() {
			file, err := f.Generate(ctx, bs.s, vis, p, csvfeed.Window{})
			if err != nil {
				b.Fatal(err)
			}
			check(b, file.Bytes())
		}
	})
}

// baselineGenerate is the obvious implementation: read every matching, visible record of
// the window, sort them newest first, keep the cap, render.
func baselineGenerate(b *testing.B, bs benchStore, m *filter.Matcher, vis *access.Visibility, p *access.Principal) []byte {
	var recs []store.Record
	opts := store.ScanOptions{Order: store.ByUpdated, Since: bs.window.Since, Until: bs.window.Until,
		Types: []string{"ipv4-addr"}, Match: m.Match}
	for r, err := range store.All(context.Background(), bs.s, opts) {
		if err != nil {
			b.Fatal(err)
		}
		if vis.CanSee(p, r.Object) {
			recs = append(recs, r)
		}
	}
	slices.SortFunc(recs, func(x, y store.Record) int {
		if c := y.Updated.Compare(x.Updated); c != 0 {
			return c
		}
		return strings.Compare(string(y.Object.ID()), string(x.Object.ID()))
	})
	recs = recs[:min(len(recs), csvfeed.DefaultMaxRows)]
	var buf bytes.Buffer
	w, _ := csvfeed.NewWriter(&buf, nil)
	for _, r := range recs {
		w.Write([]string{r.Object.Get("value").Str})
	}
	w.Flush()
	return buf.Bytes()
}
