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
	"github.com/ctifeed/ctifeed/stix"
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
	b.Run("closed_window", func(b *testing.B) {
		// The same window closed at the log's last position, as the scheduler makes it:
		// the same file, read as of the close (no change since).
		bounds, err := bs.s.Bounds(ctx)
		if err != nil {
			b.Fatal(err)
		}
		w := csvfeed.Window{Since: bs.window.Since, Until: bs.window.Until, Closed: true,
			After: store.PositionAt(bs.window.Since), Through: bounds.Last}
		for b.Loop() {
			file, err := f.Generate(ctx, bs.s, vis, p, w)
			if err != nil {
				b.Fatal(err)
			}
			if !bytes.Equal(file.Bytes(), want) {
				b.Fatal("the closed window's file differs from the open one's")
			}
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

// BenchmarkGenerateClosedAfterChanges: a closed window of 20,000 objects whose file is
// asked for after 1,000 of them changed again; the changed ones are read as of the close.
// The baseline generates the same window open, from the current store (what the lazy
// file cost before windows were read as of their close, and which loses those 1,000).
func BenchmarkGenerateClosedAfterChanges(b *testing.B) {
	ctx := context.Background()
	var mu sync.Mutex
	at := t0
	s := memstore.New(&memstore.Options{MaxEvents: -1, Clock: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at = at.Add(time.Millisecond)
		return at
	}})
	const n, changed = 20_000, 1_000
	for i := range n {
		if _, _, err := s.Put(ctx, ip(i)); err != nil {
			b.Fatal(err)
		}
	}
	bounds, err := s.Bounds(ctx)
	if err != nil {
		b.Fatal(err)
	}
	w := csvfeed.Window{Closed: true, Through: bounds.Last}
	for i := range changed { // a new value: an update of an unversioned object
		o := ip(i * (n / changed))
		o2 := must[*stix.Object](b)(stix.Parse([]byte(strings.Replace(string(o.Raw()), `"value":"10.`, `"value":"11.`, 1))))
		if _, _, err := s.Put(ctx, o2); err != nil {
			b.Fatal(err)
		}
	}
	vis, _ := access.NewVisibility(nil)
	f := compile(b, ipFeed)
	p := &access.Principal{Name: "public"}
	b.Run("closed_as_of_close", func(b *testing.B) {
		for b.Loop() {
			file, err := f.Generate(ctx, s, vis, p, w)
			if err != nil {
				b.Fatal(err)
			}
			if file.Rows != csvfeed.DefaultMaxRows || strings.Contains(file.String(), "11.") {
				b.Fatalf("%d rows; changed values present: %t", file.Rows, strings.Contains(file.String(), "11."))
			}
		}
	})
	b.Run("baseline_open_current", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.Generate(ctx, s, vis, p, csvfeed.Window{Until: bounds.LastTime.Add(time.Millisecond)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
