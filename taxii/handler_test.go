package taxii_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/taxii"
)

func TestNewHandlerRefuses(t *testing.T) {
	bad, _ := filter.Parse([]byte(`{"mode":"and","filters":[{"key":["no_such_key"],"values":["x"]}],"filterGroups":[]}`))
	s := memstore.New(nil)
	for _, tc := range []struct {
		rule string
		opts *taxii.HandlerOptions
	}{
		{"a store is required", &taxii.HandlerOptions{}},
		{"nil options have no store", nil},
		{"an API root needs a title", &taxii.HandlerOptions{Store: s, APIRoots: []taxii.APIRoot{{Path: "a"}}}},
		{"an API root needs a path", &taxii.HandlerOptions{Store: s, APIRoots: []taxii.APIRoot{{Path: "/", Title: "t"}}}},
		{"API root paths are unique", &taxii.HandlerOptions{Store: s, APIRoots: []taxii.APIRoot{{Path: "a", Title: "t"}, {Path: "/a/", Title: "u"}}}},
		{"an API root may not hide discovery", &taxii.HandlerOptions{Store: s, APIRoots: []taxii.APIRoot{{Path: "taxii2", Title: "t"}}}},
		{"a collection needs an id and a title", &taxii.HandlerOptions{Store: s, APIRoots: []taxii.APIRoot{{Path: "a", Title: "t", Collections: []taxii.Collection{{ID: "c"}}}}}},
		{"collection ids and aliases are unique", &taxii.HandlerOptions{Store: s, APIRoots: []taxii.APIRoot{{Path: "a", Title: "t", Collections: []taxii.Collection{{ID: "c", Title: "c"}, {ID: "d", Alias: "c", Title: "d"}}}}}},
		{"a collection's filter must compile", &taxii.HandlerOptions{Store: s, APIRoots: []taxii.APIRoot{{Path: "a", Title: "t", Collections: []taxii.Collection{{ID: "c", Title: "c", Filters: &bad}}}}}},
	} {
		if _, err := taxii.NewHandler(tc.opts); !errors.Is(err, taxii.ErrInvalidOptions) {
			t.Errorf("%s: %v", tc.rule, err)
		}
	}
}

// With AsyncWrites a POST answers pending at once, counting every object as pending; the
// status then turns complete with consistent counts.
func TestAsyncPost(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := newFixture(t, func(o *taxii.HandlerOptions) { o.AsyncWrites = true })
	body := envelope(newIndicator(1, t0), newIndicator(2, t0), fixtureObjects()[3])
	rec := send(f.h, exchange{method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: body})
	var st taxii.Status
	if rec.Code != http.StatusAccepted || json.Unmarshal(rec.Body.Bytes(), &st) != nil {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	if st.Status != taxii.StatusPending || st.PendingCount != 3 || len(st.Pendings) != 3 || st.TotalCount != 3 {
		t.Fatalf("POST status = %+v, want 3 pending", st)
	}
	for st.Status != taxii.StatusComplete {
		time.Sleep(time.Millisecond)
		rec := send(f.h, exchange{method: "GET", target: "/api1/status/" + st.ID + "/", user: "reader"})
		st = taxii.Status{}
		if json.Unmarshal(rec.Body.Bytes(), &st) != nil {
			t.Fatalf("status: %s", rec.Body)
		}
		if st.SuccessCount+st.FailureCount+st.PendingCount != st.TotalCount || len(st.Pendings) != st.PendingCount {
			t.Fatalf("inconsistent counts: %+v", st)
		}
	}
	if st.SuccessCount != 2 || st.FailureCount != 1 {
		t.Errorf("final status = %+v", st)
	}
}

// Statuses expire after StatusTTL and the oldest go first beyond MaxStatuses.
func TestStatusRetention(t *testing.T) {
	n := 0
	f := newFixture(t, func(o *taxii.HandlerOptions) {
		o.StatusTTL, o.MaxStatuses = time.Hour, 2
		o.NewID = func() string { n++; return "status-" + string(rune('a'+n-1)) }
	})
	post := func() {
		rec := send(f.h, exchange{method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: `{"objects":[]}`})
		if rec.Code != http.StatusAccepted {
			t.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
	}
	status := func(id string) int {
		return send(f.h, exchange{method: "GET", target: "/api1/status/" + id + "/", user: "reader"}).Code
	}
	post()
	post()
	post() // evicts status-a
	if status("status-a") != 404 || status("status-b") != 200 || status("status-c") != 200 {
		t.Errorf("after 3 posts with room for 2: a=%d b=%d c=%d", status("status-a"), status("status-b"), status("status-c"))
	}
	f.clock.set(f.clock.now().Add(time.Hour))
	if status("status-c") != 404 {
		t.Errorf("a status older than StatusTTL is still served")
	}
}

// Every version served is checked on its own: an older version marked beyond the
// caller's clearance is left out even when the current one is visible; granted
// organizations are stripped from what is served.
func TestSegregationPerVersion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	red := must(stix.Parse([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"red","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + string(stix.TLPRed) + `"]}`)))
	clear := must(stix.Parse([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b","created":"2024-01-01T00:00:00.000Z","modified":"2024-03-01T00:00:00.000Z","name":"clear","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","x_opencti_granted_refs":["identity--0a3ef6c4-9c7e-4e6a-9f3e-1f1c6f0b6a01"]}`)))
	for _, o := range []*stix.Object{red, clear} {
		if _, _, err := f.store.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.set(f.clock.now().Add(time.Minute))
	env, _ := getEnvelope(t, f.h, objs+"?match[version]=all&match[id]="+string(red.ID()))
	if len(env.Objects) != 1 || !strings.Contains(string(env.Objects[0]), `"name":"clear"`) {
		t.Fatalf("anonymous, all versions: %s", env.Objects)
	}
	if strings.Contains(string(env.Objects[0]), "granted_refs") {
		t.Errorf("granted organizations served to a caller who may not see them: %s", env.Objects[0])
	}
	rec := send(f.h, exchange{method: "GET", target: "/api1/collections/public/objects/" + string(red.ID()) + "/versions/"})
	if !strings.Contains(rec.Body.String(), "2024-03-01") || strings.Contains(rec.Body.String(), "2024-01-01T00:00:00.000Z") {
		t.Errorf("versions list a version the caller may not see: %s", rec.Body)
	}
}

// The handler is safe for concurrent use: readers and writers at once (run with -race).
func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t, nil)
	f.clock.mu.Lock()
	f.clock.tick = time.Millisecond
	f.clock.mu.Unlock()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				if w%2 == 0 {
					body := envelope(newIndicator(100*w+i, t0))
					if rec := send(f.h, exchange{method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: body}); rec.Code != 202 {
						t.Errorf("POST: %d", rec.Code)
					}
				} else if rec := send(f.h, exchange{method: "GET", target: objs + "?limit=3&match[version]=all"}); rec.Code != 200 {
					t.Errorf("GET: %d", rec.Code)
				}
			}
		})
	}
	wg.Wait()
}

// A body of unknown length is cut at max_content_length as it is read: 413 as well.
func TestPostTooLargeStreamed(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"objects":[` + strings.Repeat(string(newIndicator(3, t0).Raw())+",", 20) + string(newIndicator(3, t0).Raw()) + `]}`
	r := request(exchange{method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType})
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = -1
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"http_status":"413"`) {
		t.Errorf("streamed oversized body: %d %s", rec.Code, rec.Body)
	}
}
