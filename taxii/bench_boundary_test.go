package taxii

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// attackMarking is the statement marking every object of the ATT&CK bundle carries.
const attackMarking = stix.ID("marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168")

// BenchmarkAttackPageBoundary serves pages of 1,000 objects (and manifests) of the MITRE
// ATT&CK mobile bundle (2,148 objects, 1,766 of them relationships) to a principal cleared
// for its marking, who is not all-seeing, so every relationship's ends and every
// container's contents are looked up. "before" is the handler with the per-object checks
// alone (CanSee and Redact, as before issue 16), "after" adds the relationship and
// container rules (access.Visibility.Screen, one GetMany per page); both run in the same
// process on the same store, so their ratio is the cost of the boundary.
func BenchmarkAttackPageBoundary(b *testing.B) {
	path := sharedtest.AttackBundle(b)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var n int64
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	st := memstore.New(&memstore.Options{Clock: func() time.Time { n++; return base.Add(time.Duration(n) * time.Millisecond) }})
	ctx := context.Background()
	for o, err := range stix.DecodeBundle(f) {
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := st.Put(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	reader := &access.Principal{Name: "reader", Markings: access.Clearance{Markings: []stix.ID{attackMarking}}}
	handler := func(unscreened bool) *Handler {
		h, err := NewHandler(&HandlerOptions{Store: st, MaxLimit: 1000, CursorKey: []byte("bench"),
			APIRoots: []APIRoot{{Path: "api", Title: "bench", Collections: []Collection{
				{ID: "attack", Title: "attack", Access: access.FeedAccess{Public: true, PublicPrincipal: reader}, CanRead: true}}}}})
		if err != nil {
			b.Fatal(err)
		}
		h.unscreened = unscreened
		return h
	}
	before, after := handler(true), handler(false)
	// The first page holds ATT&CK's x-mitre-collection, whose x_mitre_contents name all
	// 2,148 objects (each looked up, relationships with their ends); the second page,
	// reached with next, is the usual case of objects naming a few others.
	first := httptest.NewRecorder()
	r1 := httptest.NewRequest("GET", "/api/collections/attack/objects/?limit=1000", nil)
	r1.Header.Set("Accept", MediaType)
	after.ServeHTTP(first, r1)
	var p1 struct{ Next string }
	if err := json.Unmarshal(first.Body.Bytes(), &p1); err != nil || p1.Next == "" {
		b.Fatalf("first page: %v %.200s", err, first.Body)
	}
	for _, ep := range []string{"objects", "manifest", "objects-page2"} {
		target := "/api/collections/attack/" + ep + "/?limit=1000"
		if ep == "objects-page2" {
			target = "/api/collections/attack/objects/?limit=1000&next=" + url.QueryEscape(p1.Next)
		}
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("Accept", MediaType)
		// Both answer the same here: ATT&CK's relationships have visible ends.
		rb, ra := httptest.NewRecorder(), httptest.NewRecorder()
		before.ServeHTTP(rb, r)
		after.ServeHTTP(ra, r)
		var page struct {
			Objects []json.RawMessage `json:"objects"`
		}
		want := 1000
		if ep == "objects-page2" {
			want = 1000 // 2,148 objects: the second page is full too
		}
		if err := json.Unmarshal(ra.Body.Bytes(), &page); rb.Code != 200 || err != nil || ra.Body.String() != rb.Body.String() || len(page.Objects) != want {
			b.Fatalf("%s: %d %v, bodies differ or the page is not full (%d)", target, ra.Code, err, len(page.Objects))
		}
		serve := func(h *Handler) func() {
			return func() {
				w := &discard{h: http.Header{}, code: 200}
				h.ServeHTTP(w, r)
				if w.code != 200 {
					b.Fatalf("%s: %d", target, w.code)
				}
			}
		}
		for _, c := range []struct {
			name string
			h    *Handler
		}{{"before", before}, {"after", after}} {
			b.Run(ep+"/limit=1000/"+c.name, func(b *testing.B) { measure(b, 1000, serve(c.h)) })
		}
		b.Run(ep+"/limit=1000/paired", func(b *testing.B) { paired(b, "after/before", serve(before), serve(after)) })
	}
}

// paired runs base and f alternately, one page each, in both orders in turn, and reports
// the ratio of f's total CPU time (the benchmark thread's, per page; wall time where the
// platform does not tell it) to base's as the metric unit. On a shared machine a load
// that comes and goes then weighs on both alike, where runs of one after the other (as
// the before and after sub-benchmarks are) can each meet a different load.
func paired(b *testing.B, unit string, base, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tBase, tF int64
	timed := func(g func()) int64 {
		c0, ok0 := threadCPU()
		t := time.Now()
		g()
		c1, ok1 := threadCPU()
		if ok0 && ok1 {
			return c1 - c0
		}
		return int64(time.Since(t))
	}
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			tBase += timed(base)
			tF += timed(f)
		} else {
			tF += timed(f)
			tBase += timed(base)
		}
	}
	if tBase > 0 {
		b.ReportMetric(float64(tF)/float64(tBase), unit)
	}
}
