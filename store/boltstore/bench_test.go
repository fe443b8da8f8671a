package boltstore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/boltstore"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// Every benchmark runs memstore beside boltstore in the same process, as the baseline.

// observable i is a small SCO (~110 bytes of JSON) with an id and value of its own.
func observable(i int) *stix.Object {
	o, err := stix.Parse(fmt.Appendf(nil, `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--00000000-0000-4000-8000-%012x","value":"10.%d.%d.%d"}`,
		i, i>>16&255, i>>8&255, i&255))
	if err != nil {
		panic(err)
	}
	return o
}

// engines returns a fresh memstore and a fresh boltstore (fsync on, as deployed).
func engines(b *testing.B) map[string]store.Store {
	return map[string]store.Store{
		"memstore":  memstore.New(&memstore.Options{MaxEvents: -1}),
		"boltstore": open(b, nil),
	}
}

func BenchmarkPut(b *testing.B) {
	for _, name := range []string{"memstore", "boltstore"} {
		b.Run(name, func(b *testing.B) {
			s := engines(b)[name]
			ctx := context.Background()
			i := 0
			for b.Loop() {
				if _, _, err := s.Put(ctx, observable(i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkPutMany: batches of 1,000 objects; the figure is per object.
func BenchmarkPutMany(b *testing.B) {
	const batch = 1000
	for _, name := range []string{"memstore", "boltstore"} {
		b.Run(name, func(b *testing.B) {
			s := engines(b)[name]
			ctx := context.Background()
			i := 0
			objs := make([]*stix.Object, batch)
			for b.Loop() {
				for j := range objs {
					objs[j] = observable(i)
					i++
				}
				if _, err := store.PutMany(ctx, s, objs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/object")
		})
	}
}

// The large store: bench1MSize objects, object i stored at benchBase + (i+1) ms, so each
// has its own date_added. Building the bbolt file is slow, so it is built once into
// $CTIFEED_BOLT_BENCH_DIR (default: a directory under os.TempDir()) and reused; its build
// time is kept beside it. The memstore baseline is built in each process that needs it.
const bench1MSize = 1_000_000

var benchBase = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func benchClock() func() time.Time {
	var n int64
	return func() time.Time { n++; return benchBase.Add(time.Duration(n) * time.Millisecond) }
}

func fill(s store.Store) error {
	ctx := context.Background()
	objs := make([]*stix.Object, 0, 10000)
	for i := range bench1MSize {
		objs = append(objs, observable(i))
		if len(objs) == cap(objs) || i == bench1MSize-1 {
			if _, err := store.PutMany(ctx, s, objs); err != nil {
				return err
			}
			objs = objs[:0]
		}
	}
	return nil
}

func bench1MDir(b *testing.B) string {
	dir := os.Getenv("CTIFEED_BOLT_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ctifeed-boltstore-bench-1m")
	}
	done := filepath.Join(dir, "built-in")
	if d, err := os.ReadFile(done); err == nil {
		b.Logf("1,000,000-object store in %s (built once with PutMany in %s)", dir, d)
		return dir
	}
	os.RemoveAll(dir)
	start := time.Now()
	s, err := boltstore.Open(dir, &boltstore.Options{Clock: benchClock()})
	if err != nil {
		b.Fatal(err)
	}
	if err := fill(s); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start).Round(time.Second).String()
	os.WriteFile(done, []byte(took), 0o600)
	b.Logf("built the 1,000,000-object store in %s with PutMany (batches of 10,000, fsync per batch) in %s", dir, took)
	return dir
}

var bench1MMem = sync.OnceValues(func() (*memstore.Store, error) {
	s := memstore.New(&memstore.Options{MaxEvents: -1, Clock: benchClock()})
	return s, fill(s)
})

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkOpen1M: opening the 1,000,000-object file (and counting it), and the live Go
// heap of the whole benchmark process with it open; memstore's heap holding the same
// objects is the baseline.
func BenchmarkOpen1M(b *testing.B) {
	b.Run("boltstore", func(b *testing.B) {
		dir := bench1MDir(b)
		for b.Loop() {
			s, err := boltstore.Open(dir, nil)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := s.Count(context.Background()); err != nil || n != bench1MSize {
				b.Fatalf("Count = %d, %v", n, err)
			}
			b.StopTimer()
			b.ReportMetric(float64(liveHeap())/(1<<20), "heap-MB") // the whole process's, store open
			s.Close()
			b.StartTimer()
		}
	})
	b.Run("memstore-heap", func(b *testing.B) {
		s, err := bench1MMem()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if n, _ := s.Count(context.Background()); n != bench1MSize {
				b.Fatal(n)
			}
		}
		b.ReportMetric(float64(liveHeap())/(1<<20), "heap-MB")
	})
}

func taxiiHandler(b *testing.B, s store.Store) http.Handler {
	h, err := taxii.NewHandler(&taxii.HandlerOptions{Store: s, MaxLimit: 1000, CursorKey: []byte("bench"),
		APIRoots: []taxii.APIRoot{{Path: "api", Title: "bench", Collections: []taxii.Collection{
			{ID: "all", Title: "all", Access: access.FeedAccess{Public: true}, CanRead: true}}}}})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkTAXIIPage1M: a TAXII page of 1,000 objects from the start and at depth 900,000
// of 1,000,000 (added_after the 900,000th object): a keyset page costs the same at any depth.
func BenchmarkTAXIIPage1M(b *testing.B) {
	depth := url.QueryEscape(taxii.FormatTime(benchBase.Add(900_000 * time.Millisecond)))
	pages := map[string]string{"first": "", "depth900k": "&added_after=" + depth}
	for _, engine := range []string{"memstore", "boltstore"} {
		for _, page := range []string{"first", "depth900k"} {
			b.Run(engine+"/"+page, func(b *testing.B) {
				var s store.Store
				if engine == "boltstore" {
					bs, err := boltstore.Open(bench1MDir(b), nil)
					if err != nil {
						b.Fatal(err)
					}
					defer bs.Close()
					s = bs
				} else {
					ms, err := bench1MMem()
					if err != nil {
						b.Fatal(err)
					}
					s = ms
				}
				h := taxiiHandler(b, s)
				target := "/api/collections/all/objects/?limit=1000" + pages[page]
				for b.Loop() {
					rec := httptest.NewRecorder()
					req := httptest.NewRequest("GET", target, nil)
					req.Header.Set("Accept", taxii.MediaType)
					h.ServeHTTP(rec, req)
					if rec.Code != 200 || rec.Header().Get("X-TAXII-Date-Added-First") == "" {
						b.Fatalf("%d %s", rec.Code, rec.Body.String()[:min(200, rec.Body.Len())])
					}
				}
			})
		}
	}
}

// BenchmarkStreamDelivery: creates per second delivered over loopback HTTP to one
// live-stream consumer reading a pre-written log of 20,000 events from the start.
func BenchmarkStreamDelivery(b *testing.B) {
	const n = 20_000
	for _, engine := range []string{"memstore", "boltstore"} {
		b.Run(engine, func(b *testing.B) {
			s := engines(b)[engine]
			ctx := context.Background()
			objs := make([]*stix.Object, 0, 10000)
			for i := range n {
				objs = append(objs, observable(i))
				if len(objs) == cap(objs) {
					if _, err := store.PutMany(ctx, s, objs); err != nil {
						b.Fatal(err)
					}
					objs = objs[:0]
				}
			}
			reg, err := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{{ID: "s", Name: "s", Live: true, Public: true}}})
			if err != nil {
				b.Fatal(err)
			}
			h, err := stream.NewHandler(&stream.HandlerOptions{Store: s, Streams: reg})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer func() { h.Close(); srv.Close() }()
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			for b.Loop() {
				start := time.Now()
				resp, err := client.Get(srv.URL + "/stream/s?from=0")
				if err != nil {
					b.Fatal(err)
				}
				r := sse.NewReader(resp.Body, nil)
				for got := 0; got < n; {
					ev, err := r.Next()
					if err != nil {
						b.Fatal(err)
					}
					if ev.Event == "create" {
						got++
					}
				}
				resp.Body.Close()
				b.ReportMetric(n/time.Since(start).Seconds(), "msgs/s")
			}
		})
	}
}
