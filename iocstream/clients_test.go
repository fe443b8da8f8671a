package iocstream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/google/go-cmp/cmp"
)

// These tests drive the handler over real HTTP the way VirusTotal's own clients do, as
// learnt from their behaviour: vt-go follows links.next and resumes from (links.self,
// offset); vt-py sends meta.cursor back as the cursor parameter with its original
// parameters, and resumes from "<cursor>-<offset>".

type vtResponse struct {
	Data []struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Context struct {
			NotificationID string `json:"notification_id"`
		} `json:"context_attributes"`
	} `json:"data"`
	Meta  map[string]any `json:"meta"`
	Links struct{ Self, Next string }
	Error struct{ Code, Message string }
}

func fetch(t *testing.T, c *http.Client, method, u string) *vtResponse {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatalf("%s is not a URL a client can request: %v", u, err)
	}
	req.Header.Set("X-Apikey", "reader-key") // both clients write the header this way
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q; vt-py compares it with application/json exactly", ct)
	}
	var r vtResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || r.Error.Code != "" {
		t.Fatalf("%s %s: %d %+v", method, u, resp.StatusCode, r.Error)
	}
	return &r
}

// changingStream serves 200 notifications, one a minute, and changes them between pages.
type changingStream struct {
	t       *testing.T
	store   *iocstream.MemStore
	srv     *httptest.Server
	initial []string // ids, newest first
	deleted map[string]bool
	late    []*iocstream.Notification
	step    int
}

func newChangingStream(t *testing.T) *changingStream {
	cs := &changingStream{t: t, deleted: map[string]bool{}}
	cs.store = iocstream.NewMemStore(&iocstream.StoreOptions{Now: func() time.Time { return handlerNow }})
	for i := range 200 {
		n := &iocstream.Notification{ID: fmt.Sprintf("n%03d", i), Date: handlerNow.Add(-time.Duration(i) * time.Minute),
			Origin: iocstream.OriginSubscriptions, Entity: iocstream.Entity{Type: iocstream.EntityDomain, ID: fmt.Sprintf("d%d.example", i)}}
		if err := cs.store.Add(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		cs.initial = append(cs.initial, n.ID)
	}
	cs.srv = httptest.NewServer(iocstream.NewHandler(&iocstream.HandlerOptions{Store: cs.store, Authenticator: testKeys}))
	t.Cleanup(cs.srv.Close)
	return cs
}

// change deletes two notifications further down the stream and one already passed, and
// adds one at the top (behind a newest-first reader) and one deep down (ahead of it).
func (cs *changingStream) change() {
	cs.step++
	for _, i := range []int{199 - cs.step*3, 198 - cs.step*3, cs.step} {
		if id := cs.initial[i]; !cs.deleted[id] && cs.store.Delete(context.Background(), id) == nil {
			cs.deleted[id] = true
		}
	}
	for _, minutesAgo := range []int{-cs.step, 150 + cs.step} {
		n := &iocstream.Notification{ID: fmt.Sprintf("late%03d-%d", cs.step, minutesAgo), Date: handlerNow.Add(-time.Duration(minutesAgo)*time.Minute - 30*time.Second),
			Origin: iocstream.OriginSubscriptions, Entity: iocstream.Entity{Type: iocstream.EntityDomain, ID: "late.example"}}
		if err := cs.store.Add(context.Background(), n); err != nil {
			cs.t.Fatal(err)
		}
		cs.late = append(cs.late, n)
	}
}

// check applies the keyset guarantees to what a client saw, newest first.
func (cs *changingStream) check(seen []string, lastDate map[string]time.Time) {
	t := cs.t
	count := map[string]int{}
	for _, id := range seen {
		if count[id]++; count[id] == 2 {
			t.Errorf("%s seen twice", id)
		}
	}
	for i, id := range cs.initial {
		if !cs.deleted[id] && count[id] == 0 {
			t.Errorf("%s (%d minutes old), present throughout, was skipped", id, i)
		}
	}
	for _, n := range cs.late {
		if n.Date.Before(lastDate[n.ID]) && count[n.ID] == 0 {
			t.Errorf("%s, added ahead of the reader, was skipped", n.ID)
		}
		if !n.Date.Before(lastDate[n.ID]) && count[n.ID] != 0 {
			t.Errorf("%s, added behind the reader, was seen", n.ID)
		}
	}
	if cs.step < 5 {
		t.Fatalf("only %d changes happened during the iteration", cs.step)
	}
}

func TestVTGoClientFollowsNextWhileChanging(t *testing.T) {
	cs := newChangingStream(t)
	c := cs.srv.Client()
	next := cs.srv.URL + "/api/v3/ioc_stream?limit=17"
	var seen []string
	readerAt := map[string]time.Time{} // for each late addition: the reader's position when it was added
	position := handlerNow.Add(time.Hour)
	for next != "" {
		r := fetch(t, c, "GET", next)
		for _, o := range r.Data {
			seen = append(seen, o.Context.NotificationID)
			n, err := cs.store.Get(context.Background(), o.Context.NotificationID)
			if err != nil {
				t.Fatalf("%s was listed but is gone: %v", o.Context.NotificationID, err)
			}
			position = n.Date
		}
		if len(r.Data) == 0 {
			break // vt-go stops on an empty page too
		}
		next = r.Links.Next
		if next != "" && !strings.HasPrefix(next, cs.srv.URL+"/api/v3/ioc_stream?") {
			t.Fatalf("links.next %q is not an absolute link to the stream", next)
		}
		before := len(cs.late)
		cs.change()
		for _, n := range cs.late[before:] {
			readerAt[n.ID] = position
		}
	}
	cs.check(seen, readerAt)
}

// vt-go's iterator cursor is (links.self of the page, offset in it); resuming re-reads
// links.self and skips offset objects. links.self must therefore name the same page.
func TestVTGoClientResumesFromSelfAndOffset(t *testing.T) {
	cs := newChangingStream(t)
	c := cs.srv.Client()
	type resume struct {
		link   string
		offset int
	}
	var all []string
	var points []resume // the cursor vt-go holds after each object
	next := cs.srv.URL + "/api/v3/ioc_stream?limit=7"
	for next != "" {
		r := fetch(t, c, "GET", next)
		for i, o := range r.Data {
			all = append(all, o.Context.NotificationID)
			if i == len(r.Data)-1 {
				points = append(points, resume{r.Links.Next, 0})
			} else {
				points = append(points, resume{r.Links.Self, i + 1})
			}
		}
		next = r.Links.Next
	}
	for _, k := range []int{0, 3, 6, 7, 50, len(all) - 2} {
		p := points[k]
		var rest []string
		for next, skip := p.link, p.offset; next != ""; skip = 0 {
			r := fetch(t, c, "GET", next)
			for _, o := range r.Data[skip:] {
				rest = append(rest, o.Context.NotificationID)
			}
			next = r.Links.Next
		}
		if diff := cmp.Diff(all[k+1:], rest); diff != "" {
			t.Errorf("resuming after object %d (-want +got):\n%s", k, diff)
		}
	}
}

// vt-py sends its original parameters plus cursor=<meta.cursor>, and stops when a page
// brings neither objects nor a cursor.
func TestVTPyClientSendsCursorBackWhileChanging(t *testing.T) {
	cs := newChangingStream(t)
	c := cs.srv.Client()
	params := url.Values{"filter": {"entity_type:domain origin:subscriptions"}, "limit": {"13"}}
	var seen []string
	readerAt := map[string]time.Time{}
	position := handlerNow.Add(time.Hour)
	serverCursor := ""
	for first := true; first || serverCursor != ""; first = false {
		p := url.Values{}
		for k, v := range params {
			p[k] = v
		}
		if serverCursor != "" {
			p.Set("cursor", serverCursor)
		}
		r := fetch(t, c, "GET", cs.srv.URL+"/api/v3/ioc_stream?"+p.Encode())
		for _, o := range r.Data {
			seen = append(seen, o.Context.NotificationID)
			n, _ := cs.store.Get(context.Background(), o.Context.NotificationID)
			position = n.Date
		}
		serverCursor, _ = r.Meta["cursor"].(string)
		if serverCursor != "" && strings.Contains(serverCursor, "=") {
			t.Errorf("cursor %q has padding, which clients may mangle", serverCursor)
		}
		before := len(cs.late)
		cs.change()
		for _, n := range cs.late[before:] {
			readerAt[n.ID] = position
		}
	}
	cs.check(seen, readerAt)
}

// vt-py's own cursor is "<server cursor>-<objects consumed from that batch>"; it splits
// at the last '-', which base64url cursors may themselves contain.
func TestVTPyClientResumesFromItsCursor(t *testing.T) {
	cs := newChangingStream(t)
	c := cs.srv.Client()
	list := func(cursor string) *vtResponse {
		u := cs.srv.URL + "/api/v3/ioc_stream?limit=10"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		return fetch(t, c, "GET", u)
	}
	first := list("")
	second := list(first.Meta["cursor"].(string))
	clientCursor := first.Meta["cursor"].(string) + "-4" // vt-py after consuming 4 of the second batch
	i := strings.LastIndex(clientCursor, "-")
	server, offset := clientCursor[:i], clientCursor[i+1:]
	if offset != "4" {
		t.Fatalf("split %q wrongly", clientCursor)
	}
	again := list(server)
	if diff := cmp.Diff(second.Data[4:], again.Data[4:]); diff != "" {
		t.Errorf("re-reading the batch to resume (-want +got):\n%s", diff)
	}
}

func TestHTTPDeleteTakesEffect(t *testing.T) {
	cs := newChangingStream(t)
	c := cs.srv.Client()
	req, _ := http.NewRequest("DELETE", cs.srv.URL+"/api/v3/ioc_stream_notifications/n005", nil)
	req.Header.Set("x-apikey", "reader-key")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != 0 {
		t.Errorf("DELETE: %d, %d bytes; want 200 and an empty body (vt-go then skips decoding)", resp.StatusCode, resp.ContentLength)
	}
	if _, err := cs.store.Get(context.Background(), "n005"); err == nil {
		t.Error("n005 still stored after DELETE")
	}
	filter := url.QueryEscape("date:" + handlerNow.Add(-100*time.Minute).Format("2006-01-02T15:04:05") + "-")
	req, _ = http.NewRequest("DELETE", cs.srv.URL+"/api/v3/ioc_stream?filter="+filter, nil)
	req.Header.Set("x-apikey", "reader-key")
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var left []string
	for n, err := range iocstream.All(context.Background(), cs.store, nil, iocstream.OrderOldest) {
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, n.ID)
	}
	want := slices.Clone(cs.initial[:101]) // n100 is exactly at the bound: "-" means strictly before
	want = slices.DeleteFunc(want, func(id string) bool { return id == "n005" })
	slices.Reverse(want)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("DELETE by filter: %d", resp.StatusCode)
	}
	if diff := cmp.Diff(want, left); diff != "" {
		t.Errorf("after DELETE of notifications more than 100 minutes old (-want +got):\n%s", diff)
	}
	// HEAD is answered like GET, without a body.
	req, _ = http.NewRequest("HEAD", cs.srv.URL+"/api/v3/ioc_stream", nil)
	req.Header.Set("x-apikey", "reader-key")
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD: %d", resp.StatusCode)
	}
}
