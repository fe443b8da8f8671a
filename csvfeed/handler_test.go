package csvfeed_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
)

const indicatorColumns = `"feed_attributes":[{"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"}]}]`

// server serves three indicator feeds over the fixture: public, restricted, and
// restricted to the group "soc"; "late" is never generated.
func server(t testing.TB, prefix string) (*csvfeed.Scheduler, http.Handler) {
	t.Helper()
	s := fixture(t)
	now := &clock{t: t0.Add(time.Hour)}
	pub := compile(t, `{"id":"pub","name":"pub","feed_public":true,"include_header":true,"feed_types":["Indicator"],`+indicatorColumns+`}`)
	restricted := compile(t, `{"id":"restricted","name":"r","feed_types":["Indicator"],`+indicatorColumns+`}`)
	members := compile(t, `{"id":"members","name":"m","feed_types":["Indicator"],"authorized_members":[{"kind":"group","id":"soc"}],`+indicatorColumns+`}`)
	late := compile(t, `{"id":"late","name":"l","feed_public":true,"feed_types":["Indicator"],`+indicatorColumns+`}`)
	sc := scheduler(t, s, now, pub, restricted, members, late)
	for _, id := range []string{"pub", "restricted", "members"} {
		if err := sc.Regenerate(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	red := amber()
	red.Markings.Max = []stix.ID{stix.TLP2Red}
	analyst := amber()
	analyst.Groups = []string{"soc"}
	auth, err := access.NewStatic(access.StaticOptions{
		Users: []access.StaticUser{
			{Username: "analyst", Password: "pw", Principal: analyst},
			{Username: "outsider", Password: "pw", Principal: amber()},
			{Username: "red", Password: "pw", Principal: red},
			{Username: "nocap", Password: "pw", Principal: &access.Principal{Name: "nocap"}},
		},
		Tokens: []access.StaticToken{{Token: "tok-analyst", Principal: analyst}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := csvfeed.NewHandler(&csvfeed.HandlerOptions{Scheduler: sc, Authenticator: auth, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return sc, h
}

func do(h http.Handler, method, target string, hdr ...string) *http.Response {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	if len(hdr)%2 == 1 {
		r.SetBasicAuth(hdr[len(hdr)-1], "pw")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// TestHandlerAccess: the status, headers and message each caller gets.
func TestHandlerAccess(t *testing.T) {
	_, h := server(t, "")
	tests := []struct {
		rule   string
		method string
		path   string
		hdr    []string // header pairs; an odd last element is a Basic user
		status int
		body   string // a substring of the body
		header map[string]string
	}{
		{"a public feed needs no credentials", "GET", "/feeds/pub", nil, 200, "name\r\n\"Zürich",
			map[string]string{"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "private, no-cache"}},
		{"text/csv when Accept asks for it", "GET", "/feeds/pub", []string{"Accept", "text/csv"}, 200, "name\r\n",
			map[string]string{"Content-Type": "text/csv; charset=utf-8; header=present"}},
		{"text/plain when Accept prefers it", "GET", "/feeds/pub", []string{"Accept", "text/plain, text/csv;q=0.5"}, 200, "",
			map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		{"a restricted feed needs credentials", "GET", "/feeds/restricted", nil, 401, "requires authentication",
			map[string]string{"WWW-Authenticate": "Basic, Bearer"}},
		{"wrong credentials are 401", "GET", "/feeds/restricted", []string{"Authorization", "Basic " + "YW5hbHlzdDpubw=="}, 401, "invalid credentials",
			map[string]string{"WWW-Authenticate": "Basic, Bearer"}},
		{"without the data-sharing capability: 403", "GET", "/feeds/restricted", []string{"nocap"}, 403, "may not use this feed", nil},
		{"a member may read a members-only feed", "GET", "/feeds/members", []string{"analyst"}, 200, "Emotet C2", nil},
		{"a bearer token works too", "GET", "/feeds/members", []string{"Authorization", "Bearer tok-analyst"}, 200, "Emotet C2", nil},
		{"a non-member gets 404 as for an unknown feed", "GET", "/feeds/members", []string{"outsider"}, 404, `no feed "members"`, nil},
		{"an unknown feed is 404", "GET", "/feeds/nope", []string{"outsider"}, 404, `no feed "nope"`, nil},
		{"an anonymous caller cannot probe ids", "GET", "/feeds/nope", nil, 401, "requires authentication", nil},
		{"other paths are 404", "GET", "/feeds/pub/x", nil, 404, "no feed at this path", nil},
		{"the prefix is required", "GET", "/other/pub", nil, 404, "no feed at this path", nil},
		{"only GET and HEAD", "POST", "/feeds/pub", nil, 405, "only GET and HEAD", map[string]string{"Allow": "GET, HEAD"}},
		{"a non-member learns nothing from the method either", "DELETE", "/feeds/members", []string{"outsider"}, 404, "no feed", nil},
		{"not generated yet: 503", "GET", "/feeds/late", nil, 503, "has not been generated yet", map[string]string{"Retry-After": "10"}},
		{"an authenticated caller of a public feed sees by its own clearance", "GET", "/feeds/pub", []string{"red"}, 200, "SECRET", nil},
		{"a restricted file holds what the caller sees: amber", "GET", "/feeds/restricted", []string{"outsider"}, 200, "Emotet C2", nil},
		{"a restricted file holds what the caller sees: red", "GET", "/feeds/restricted", []string{"red"}, 200, "SECRET", nil},
	}
	for _, tt := range tests {
		res := do(h, tt.method, tt.path, tt.hdr...)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
			t.Errorf("%s: %d %q, want %d containing %q", tt.rule, res.StatusCode, body, tt.status, tt.body)
		}
		for k, v := range tt.header {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tt.rule, k, got, v)
			}
		}
		if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: error Content-Type %q", tt.rule, res.Header.Get("Content-Type"))
		}
	}
	// Neither the amber caller nor an anonymous one ever gets TLP:RED content.
	for _, req := range []struct{ path, user string }{{"/feeds/restricted", "outsider"}, {"/feeds/pub", ""}, {"/feeds/members", "analyst"}} {
		var res *http.Response
		if req.user == "" {
			res = do(h, "GET", req.path)
		} else {
			res = do(h, "GET", req.path, req.user)
		}
		if body, _ := io.ReadAll(res.Body); res.StatusCode != 200 || strings.Contains(string(body), "SECRET") {
			t.Errorf("%s as %q: %d\n%s", req.path, req.user, res.StatusCode, body)
		}
	}
}

// TestHandlerConditional: ETag and Last-Modified let clients skip unchanged files.
func TestHandlerConditional(t *testing.T) {
	sc, h := server(t, "/api")
	res := do(h, "GET", "/api/feeds/pub")
	body, _ := io.ReadAll(res.Body)
	etag, lm := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
	f := must[*csvfeed.File](t)(sc.File(context.Background(), "pub", &access.Principal{Name: "public"}))
	if res.StatusCode != 200 || etag != f.ETag || string(body) != f.String() || lm != t0.Add(time.Hour).Format(http.TimeFormat) {
		t.Fatalf("%d etag %q last-modified %q", res.StatusCode, etag, lm)
	}
	tests := []struct {
		rule   string
		method string
		hdr    []string
		status int
		body   string
	}{
		{"If-None-Match with the ETag: 304", "GET", []string{"If-None-Match", etag}, 304, ""},
		{"If-None-Match with another ETag: 200", "GET", []string{"If-None-Match", `"other"`}, 200, f.String()},
		{"If-Modified-Since at Last-Modified: 304", "GET", []string{"If-Modified-Since", lm}, 304, ""},
		{"If-Modified-Since before: 200", "GET", []string{"If-Modified-Since", t0.Format(http.TimeFormat)}, 200, f.String()},
		{"HEAD: headers, no body", "HEAD", nil, 200, ""},
	}
	for _, tt := range tests {
		res := do(h, tt.method, "/api/feeds/pub", tt.hdr...)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != tt.status || string(body) != tt.body {
			t.Errorf("%s: %d %q", tt.rule, res.StatusCode, body)
		}
		if tt.status == 304 && res.Header.Get("ETag") != etag {
			t.Errorf("%s: 304 without the ETag", tt.rule)
		}
	}
	if res := do(h, "HEAD", "/api/feeds/pub"); res.Header.Get("Content-Length") != strconv.Itoa(f.Len()) {
		t.Errorf("HEAD Content-Length %q, want %d", res.Header.Get("Content-Length"), f.Len())
	}
	if _, err := csvfeed.NewHandler(nil); err == nil {
		t.Error("NewHandler(nil) accepted")
	}
}

// TestHandlerWhileRegenerating reads a public feed over HTTP continuously while the
// scheduler regenerates it from a changing store: every response is one complete file of
// one generation, its ETag that file's.
func TestHandlerWhileRegenerating(t *testing.T) {
	s := newStore()
	now := &clock{t: t0}
	f := compile(t, publicIPs(`,"window":"rolling","rolling_time":600,"include_header":true`))
	sc := scheduler(t, s, now, f)
	h := must[*csvfeed.Handler](t)(csvfeed.NewHandler(&csvfeed.HandlerOptions{Scheduler: sc}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	pub := &access.Principal{Name: "public"}
	if err := sc.Regenerate(context.Background(), "ips"); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	made := map[string]string{} // ETag → content of every generated file
	record := func() {
		f := must[*csvfeed.File](t)(sc.File(context.Background(), "ips", pub))
		mu.Lock()
		made[f.ETag] = f.String()
		mu.Unlock()
	}
	record()
	stop := make(chan struct{})
	type seen struct{ etag, body string }
	got := make(chan []seen, 4)
	for range 4 {
		go func() {
			var out []seen
			defer func() { got <- out }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := srv.Client().Get(srv.URL + "/feeds/ips")
				if err != nil {
					t.Error(err)
					return
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != 200 {
					t.Errorf("%d %v", res.StatusCode, err)
					return
				}
				out = append(out, seen{res.Header.Get("ETag"), string(body)})
			}
		}()
	}
	const generations = 40
	for g := range generations {
		for i := range 50 { // each generation adds 50 objects, so files differ in size
			s.putAt(t, now.Add(time.Millisecond), ip(g*50+i))
		}
		now.Add(time.Second)
		if err := sc.Regenerate(context.Background(), "ips"); err != nil {
			t.Fatal(err)
		}
		record()
	}
	close(stop)
	total, distinct := 0, map[string]bool{}
	for range 4 {
		for _, r := range <-got {
			total++
			distinct[r.etag] = true
			want, ok := made[r.etag]
			if !ok || want != r.body {
				t.Fatalf("response with ETag %s is not the file of that generation (%d bytes)", r.etag, len(r.body))
			}
		}
	}
	if len(made) != generations+1 {
		t.Errorf("%d distinct files made, want %d", len(made), generations+1)
	}
	t.Logf("%d responses, %d distinct generations seen", total, len(distinct))
}
