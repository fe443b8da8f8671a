package taxii

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/benchcpu"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// benchSize objects are stored once per benchmark process (about 10 s and 1-2 GB), each
// a small observable with its own millisecond, so that keys are distinct and known:
// object i has date_added benchBase + i ms.
const benchSize = 1_000_000

var benchBase = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

var benchStore = sync.OnceValues(func() (*memstore.Store, error) {
	var n int64
	s := memstore.New(&memstore.Options{MaxEvents: 1000, Clock: func() time.Time {
		return benchBase.Add(time.Duration(n) * time.Millisecond)
	}})
	ctx := context.Background()
	for i := range benchSize {
		n = int64(i)
		o, err := stix.Parse(fmt.Appendf(nil, `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--00000000-0000-4000-8000-%012x","value":"10.%d.%d.%d"}`,
			i, i>>16&255, i>>8&255, i&255))
		if err != nil {
			return nil, err
		}
		if _, _, err := s.Put(ctx, o); err != nil {
			return nil, err
		}
	}
	return s, nil
})

func benchHandler(b *testing.B) (*Handler, *memstore.Store) {
	b.Helper()
	s, err := benchStore()
	if err != nil {
		b.Fatal(err)
	}
	h, err := NewHandler(&HandlerOptions{Store: s, MaxLimit: 1000, CursorKey: []byte("bench"),
		APIRoots: []APIRoot{{Path: "api", Title: "bench", Collections: []Collection{
			{ID: "all", Title: "all", Access: access.FeedAccess{Public: true}, CanRead: true}}}}})
	if err != nil {
		b.Fatal(err)
	}
	return h, s
}

// discard is a ResponseWriter that keeps nothing, so the benchmark measures serving.
type discard struct {
	h    http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }

// serveBench serves target repeatedly; first is the id the page must start with.
func serveBench(b *testing.B, h *Handler, target string, want, first int) {
	b.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept", MediaType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if id := fmt.Sprintf(`"id":"ipv4-addr--00000000-0000-4000-8000-%012x"`, first); !strings.Contains(rec.Body.String()[:min(300, rec.Body.Len())], id) {
		b.Fatalf("%s does not start with %s: %.300s", target, id, rec.Body)
	}
	measure(b, want, func() {
		w := &discard{h: http.Header{}, code: 200}
		h.ServeHTTP(w, r)
		if w.code != 200 {
			b.Fatalf("%s: %d", target, w.code)
		}
	})
}

// measure runs f b.N times on one locked OS thread and reports objects/s (wall) and the
// thread's CPU time per operation.
func measure(b *testing.B, objects int, f func()) {
	n := benchcpu.Loop(b, func(int) { f() })
	b.ReportMetric(float64(n*objects)/b.Elapsed().Seconds(), "objects/s")
}

// tokenAt returns the next token that resumes after the object at index i.
func tokenAt(h *Handler, raw string, i int) string {
	q, e := parseQuery(raw, kindObjects, h.defLimit, h.maxLimit)
	if e != nil {
		panic(e.Description)
	}
	fp := q.fingerprint("/api\x00all\x00" + fmt.Sprint(int(kindObjects)) + "\x00")
	id := stix.ID(fmt.Sprintf("ipv4-addr--00000000-0000-4000-8000-%012x", i))
	return h.encodeToken(fp, position{after: &key{t: benchBase.Add(time.Duration(i) * time.Millisecond), id: id}})
}

// Objects per second served in pages of 100 and 1,000 from the start of a
// 1,000,000-object collection, against the baseline of the store's own scan of the same
// page with the same per-object checks (the floor the handler adds HTTP and JSON to).
func BenchmarkObjectsPage(b *testing.B) {
	h, s := benchHandler(b)
	for _, limit := range []int{100, 1000} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			serveBench(b, h, fmt.Sprintf("/api/collections/all/objects/?limit=%d", limit), limit, 0)
		})
		b.Run(fmt.Sprintf("baseline-store-scan/limit=%d", limit), func(b *testing.B) {
			p := &access.Principal{Name: "public"}
			opts := store.ScanOptions{Order: store.ByUpdated, Limit: limit + 1, Until: time.Now(),
				Match: func(o *stix.Object) bool { return h.vis.CanSee(p, o) }}
			measure(b, limit, func() {
				pg, err := store.Scan(context.Background(), s, opts)
				if err != nil || len(pg.Records) != limit+1 {
					b.Fatal(err, len(pg.Records))
				}
			})
		})
	}
}

// The first page against a page 900,000 objects deep, reached with next (and, for
// comparison, with added_after): a keyset page costs O(log n + limit), so the ratio
// should stay near 1 (goal ≤ 2).
func BenchmarkDeepPage(b *testing.B) {
	h, _ := benchHandler(b)
	const raw = "limit=100"
	b.Run("first", func(b *testing.B) {
		serveBench(b, h, "/api/collections/all/objects/?"+raw, 100, 0)
	})
	b.Run("deep-900000-next", func(b *testing.B) {
		serveBench(b, h, "/api/collections/all/objects/?"+raw+"&next="+url.QueryEscape(tokenAt(h, raw, 899_999)), 100, 900_000)
	})
	b.Run("deep-900000-added_after", func(b *testing.B) {
		after := FormatTime(benchBase.Add(899_999 * time.Millisecond))
		serveBench(b, h, "/api/collections/all/objects/?"+raw+"&added_after="+url.QueryEscape(after), 100, 900_000)
	})
}
