package taxii

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// BenchmarkRegardingOfPage serves a page of 1,000 indicators from a collection filtered
// by `regardingOf (indicates, Emotet)` and, as the in-run baseline, the same page from a
// collection filtered by a label every one of them carries (issue 21's goal: at most 2×).
// The store holds Emotet, 1,000 indicators and 1,000 relationships indicates Emotet, so a
// binding resolves 1,000 relationships and each object then costs a set look-up.
// "regarding" reuses the binding of the last request (the log has not moved);
// "regarding-rebind" drops it before each request, as after every write.
func BenchmarkRegardingOfPage(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	var tick int64
	s := memstore.New(&memstore.Options{Clock: func() time.Time {
		tick++
		return benchBase.Add(time.Duration(tick) * time.Millisecond)
	}})
	emotet := fmt.Sprintf("malware--%08x-0000-4000-8000-000000000000", 1)
	put := func(js string) {
		o, err := stix.Parse([]byte(js))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Put(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	put(`{"type":"malware","spec_version":"2.1","id":"` + emotet + `","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"Emotet","is_family":true}`)
	for i := range n {
		ind := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012x", i)
		put(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","labels":["detection"],"pattern":"[ipv4-addr:value = '10.0.%d.%d']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}`,
			ind, i>>8&255, i&255))
		put(fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-%012x","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","relationship_type":"indicates","source_ref":"%s","target_ref":"%s"}`,
			i, ind, emotet))
	}
	group := func(text string) *filter.Group {
		g, err := filter.ParseText(text)
		if err != nil {
			b.Fatal(err)
		}
		return &g
	}
	h, err := NewHandler(&HandlerOptions{Store: s, MaxLimit: n, CursorKey: []byte("bench"),
		APIRoots: []APIRoot{{Path: "api", Title: "bench", Collections: []Collection{
			{ID: "label", Title: "label", Access: access.FeedAccess{Public: true}, CanRead: true,
				Filters: group("entity_type = Indicator and objectLabel = detection")},
			{ID: "regarding", Title: "regarding", Access: access.FeedAccess{Public: true}, CanRead: true,
				Filters: group("entity_type = Indicator and regardingOf = {id = " + emotet + ", relationship_type = indicates}")},
		}}}})
	if err != nil {
		b.Fatal(err)
	}
	serve := func(coll string, c *collection, rebind bool) func() {
		r := httptest.NewRequest("GET", fmt.Sprintf("/api/collections/%s/objects/?limit=%d", coll, n), nil)
		r.Header.Set("Accept", MediaType)
		return func() {
			if rebind {
				c.bound.p.Store(nil)
			}
			w := &discard{h: make(map[string][]string), code: 200}
			h.ServeHTTP(w, r)
			if w.code != 200 {
				b.Fatalf("%s: %d", coll, w.code)
			}
		}
	}
	colls := map[string]*collection{}
	for _, x := range h.roots[0].colls {
		colls[x.ID] = x
	}
	defer b.Run("rebind-paired", func(b *testing.B) {
		paired(b, "rebind/label", serve("label", colls["label"], false), serve("regarding", colls["regarding"], true))
	})
	for _, run := range []string{"label", "regarding", "regarding-rebind"} {
		coll, rebind, _ := strings.Cut(run, "-")
		var c *collection
		for _, x := range h.roots[0].colls {
			if x.ID == coll {
				c = x
			}
		}
		b.Run(run, func(b *testing.B) {
			r := httptest.NewRequest("GET", fmt.Sprintf("/api/collections/%s/objects/?limit=%d", coll, n), nil)
			r.Header.Set("Accept", MediaType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if got := strings.Count(rec.Body.String(), `"type":"indicator"`); rec.Code != 200 || got != n {
				b.Fatalf("%s: %d with %d indicators, want 200 with %d", coll, rec.Code, got, n)
			}
			measure(b, n, func() {
				if rebind != "" {
					c.bound.p.Store(nil)
				}
				w := &discard{h: make(map[string][]string), code: 200}
				h.ServeHTTP(w, r)
				if w.code != 200 {
					b.Fatalf("%s: %d", coll, w.code)
				}
			})
		})
	}
}
