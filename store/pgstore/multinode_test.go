package pgstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/iocstream/iocstreamtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/pgstore"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// twoNodes opens two stores on one database, each with its own pool and listening
// connection, as two platform processes would.
func twoNodes(t *testing.T) (a, b *pgstore.Store) {
	t.Helper()
	a, dsn := open(t, nil)
	b, err := pgstore.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatalf("opening node B: %v", err)
	}
	t.Cleanup(b.Close)
	return a, b
}

func newIndicator(t testing.TB, i int) *stix.Object {
	t.Helper()
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	o, err := stix.NewIndicator(fmt.Sprintf("indicator %d", i), fmt.Sprintf("[ipv4-addr:value = '198.51.100.%d']", i%250), at,
		stix.Common{Created: at})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// A live-stream consumer that reconnects alternately to node A and node B, each time with
// the last id it received, gets every event exactly once while writers on both nodes
// append.
func TestMultiNodeLiveStreamResume(t *testing.T) {
	a, b := twoNodes(t)
	reg, err := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{
		{ID: "all", Name: "Everything", Live: true, Public: true}}})
	if err != nil {
		t.Fatal(err)
	}
	var servers []*httptest.Server
	for _, s := range []*pgstore.Store{a, b} {
		h, err := stream.NewHandler(&stream.HandlerOptions{Store: s, Streams: reg, Heartbeat: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		servers = append(servers, srv)
	}

	const total = 60
	want := map[string]bool{}
	objs := make([]*stix.Object, total)
	for i := range objs {
		objs[i] = newIndicator(t, i)
		want[string(objs[i].ID())] = true
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	writeErr := make(chan error, 1)
	go func() { // half the objects through each node, interleaved
		for i, o := range objs {
			node := []*pgstore.Store{a, b}[i%2]
			if _, _, err := node.Put(ctx, o); err != nil {
				writeErr <- err
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		writeErr <- nil
	}()

	got := map[string]int{}
	last := "0"
	for conn := 0; len(got) < total; conn++ {
		if ctx.Err() != nil {
			t.Fatalf("after %d connections: %d of %d objects received", conn, len(got), total)
		}
		srv := servers[conn%2]
		last = readFrames(t, ctx, srv.URL+"/stream/all?from="+last, 7, got)
	}
	if err := <-writeErr; err != nil {
		t.Fatalf("writer: %v", err)
	}
	for id, n := range got {
		if !want[id] {
			t.Errorf("received %s, which was never written", id)
		}
		if n != 1 {
			t.Errorf("received %s %d times", id, n)
		}
	}
}

// readFrames reads up to n create frames from url (a resume with from=), counting their
// objects in got, and returns the id of the last frame received (heartbeats included), as
// OpenCTI's consumers keep it.
func readFrames(t *testing.T, ctx context.Context, url string, n int, got map[string]int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	_, from, _ := strings.Cut(url, "from=")
	last := from
	var id, event, data string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for read := 0; read < n && sc.Scan(); {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "event: "):
			event = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		case line == "":
			if id != "" {
				last = id
			}
			if event == "create" {
				var msg struct {
					Data struct {
						ID string `json:"id"`
					} `json:"data"`
				}
				if err := json.Unmarshal([]byte(data), &msg); err != nil {
					t.Fatalf("create frame data %q: %v", data, err)
				}
				got[msg.Data.ID]++
				read++
			}
			id, event, data = "", "", ""
		}
	}
	return last
}

const taxiiColl = "5cc3b7f4-8c0d-4b53-9e5b-0d5c4a0e2b11"

func taxiiNode(t *testing.T, s *pgstore.Store, key string) http.Handler {
	t.Helper()
	writer := &access.Principal{UserID: "u-writer", Name: "writer", Capabilities: []access.Capability{access.CapAccessDataSharing}}
	auth, err := access.NewStatic(access.StaticOptions{Tokens: []access.StaticToken{{Token: "tok", Principal: writer}}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := taxii.NewHandler(&taxii.HandlerOptions{Store: s, Authenticator: auth, CursorKey: []byte(key),
		Statuses: s.Statuses(),
		APIRoots: []taxii.APIRoot{{Path: "api1", Title: "one", Collections: []taxii.Collection{{
			ID: taxiiColl, Alias: "all", Title: "All", Access: access.FeedAccess{Public: true}, CanRead: true, CanWrite: true}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func taxiiGet(t *testing.T, h http.Handler, target string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// TAXII page 1 from node A, page 2 from node B with A's next (both nodes configured with
// the same cursor key), page 3 from A again: the pages are the collection, in order, once.
// A node with another key refuses the token.
func TestMultiNodeTAXIIPagingAndStatus(t *testing.T) {
	a, b := twoNodes(t)
	const key = "one signing key for every node, from configuration"
	ha, hb := taxiiNode(t, a, key), taxiiNode(t, b, key)
	const total = 25
	var objs []*stix.Object
	for i := range total {
		objs = append(objs, newIndicator(t, i))
	}
	if _, err := a.PutMany(t.Context(), objs); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past the millisecond the handler holds back

	var ids []string
	next := ""
	for page, h := range []http.Handler{ha, hb, ha} {
		target := "/api1/collections/" + taxiiColl + "/objects/?limit=10"
		if next != "" {
			target += "&next=" + next
		}
		code, body := taxiiGet(t, h, target)
		if code != http.StatusOK {
			t.Fatalf("page %d: %d %s", page+1, code, body)
		}
		var env envelope
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatal(err)
		}
		for _, raw := range env.Objects {
			o, err := stix.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, string(o.ID()))
		}
		next = env.Next
		if page == 0 {
			code, body := taxiiGet(t, taxiiNode(t, b, "another key"), target[:strings.Index(target, "?")]+"?limit=10&next="+next)
			if code != http.StatusBadRequest {
				t.Errorf("a node with another cursor key answered %d %s to A's next, want 400", code, body)
			}
		}
	}
	all, err := a.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != total || all != total {
		t.Fatalf("three pages gave %d objects, store holds %d, want %d", len(ids), all, total)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("%s on two pages", id)
		}
		seen[id] = true
	}

	// A POST on node A is polled to completion on node B.
	post := newIndicator(t, 99)
	req := httptest.NewRequest(http.MethodPost, "/api1/collections/"+taxiiColl+"/objects/",
		strings.NewReader(`{"objects":[`+string(post.Raw())+`]}`))
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	ha.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("POST on A: %d %s", rec.Code, rec.Body)
	}
	var st taxii.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	code, body := taxiiGet(t, hb, "/api1/status/"+st.ID+"/")
	if code != http.StatusOK {
		t.Fatalf("status %s polled on B: %d %s", st.ID, code, body)
	}
	var polled taxii.Status
	if err := json.Unmarshal(body, &polled); err != nil {
		t.Fatal(err)
	}
	if polled.Status != taxii.StatusComplete || polled.SuccessCount != 1 {
		t.Errorf("status polled on B = %s with %d successes, want complete with 1", polled.Status, polled.SuccessCount)
	}
	if _, err := b.Get(t.Context(), post.ID()); err != nil {
		t.Errorf("the object POSTed on A is not on B: %v", err)
	}
}

// An IoC notification deleted on node A is gone on node B, and one added on B is listed on A.
func TestMultiNodeIoC(t *testing.T) {
	a, b := twoNodes(t)
	ia, ib := a.IoC("hunting", nil), b.IoC("hunting", nil)
	now := time.Now().UTC().Truncate(time.Second)
	for _, id := range []string{"n1", "n2"} {
		if err := ia.Add(t.Context(), iocstreamtest.Notification(id, now)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ib.Get(t.Context(), "n1"); err != nil {
		t.Fatalf("added on A, read on B: %v", err)
	}
	if err := ia.Delete(t.Context(), "n1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ib.Get(t.Context(), "n1"); !isNotFound(err) {
		t.Errorf("deleted on A, read on B: error %v, want iocstream.ErrNotFound", err)
	}
	if err := ib.Add(t.Context(), iocstreamtest.Notification("n3", now)); err != nil {
		t.Fatal(err)
	}
	page, err := iocstream.List(t.Context(), ia, nil, &iocstream.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range page.Notifications {
		ids = append(ids, n.ID)
	}
	if strings.Join(ids, ",") != "n3,n2" {
		t.Errorf("listed on A after changes on both nodes: %v, want [n3 n2]", ids)
	}
}
