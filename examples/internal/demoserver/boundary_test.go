package demoserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// streamScreensContainers says whether the live stream applies the container rule of
// access.Visibility.Screen (a container's object_refs lose the ids of hidden objects, in
// data and in patches). Package stream is being reworked and the lead applies Screen to it
// when integrating; until then the hidden-id scan of live-stream frames leaves out
// container contents (object_refs, and patch operations on it) and logs how many hidden
// ids it left out there. Everything else in a frame is scanned now.
//
// Switch it to true once the stream screens its groups: the whole frame is then scanned,
// and TestNoFeedLeaks fails if a container in a frame names a hidden id.
const streamScreensContainers = true

// caller is one demo caller: whom the feeds must run as, and the credentials to send.
type caller struct {
	name      string
	principal *access.Principal
	user, pw  string
}

func demoCallers() []caller {
	analyst, partner := principals()
	return []caller{
		{"partner", partner, PartnerUser, PartnerPassword},
		{"analyst", analyst, AnalystUser, AnalystPassword},
		{"anonymous", publicPrincipal(), "", ""},
	}
}

// startPlatform builds the demo platform and serves it on a free loopback port until the
// test ends; the returned URL is its base.
func startPlatform(t *testing.T) (*platform, baseURL) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := newPlatform(ctx, Config{Addr: "127.0.0.1:0", Indicators: 80}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- p.serve(ctx, Config{}, io.Discard, func(b string) { ready <- b }) }()
	select {
	case base := <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("demo platform: %v after shutdown", err)
			}
		})
		return p, baseURL{base}
	case err := <-done:
		cancel()
		t.Fatalf("demo platform did not start: %v", err)
		return nil, baseURL{}
	}
}

// baseURL is where startPlatform serves.
type baseURL struct{ URL string }

// body is one response body a feed sent, as text.
type body struct {
	feed, text string
}

// TestNoFeedLeaks reads every feed of the demo platform as each demo caller (the partner,
// cleared to TLP:GREEN in the Blue organization; the analyst, TLP:AMBER in Red; an
// anonymous caller) and checks the boundary of issue 16 on all of them: TAXII objects,
// single objects, versions and manifests of every collection; both CSV feeds; both live
// streams (replayed from the start); the IoC stream. Every object that arrives is one the
// caller may receive (for a relationship or sighting: with every stored end visible), and
// no response body, error bodies included, names the id of an object the caller may not
// receive, nor the value of an observable hidden from it. It also checks that the data
// hides objects of every kind concerned from each caller, so that it cannot pass
// vacuously. Before issue 16 it failed for every caller: relationships to hidden
// indicators on TAXII and the public stream, reports naming hidden indicators, and
// unmarked observables carrying hidden values.
func TestNoFeedLeaks(t *testing.T) {
	p, srv := startPlatform(t)
	for _, c := range demoCallers() {
		t.Run(c.name, func(t *testing.T) {
			hidden, stored := p.hiddenFrom(t, c.principal)
			p.checkNotVacuous(t, c, hidden, stored)
			values := hiddenValues(hidden, stored)
			var bodies []body
			received := 0
			check := func(feed string, o *stix.Object) {
				t.Helper()
				received++
				if hidden[o.ID()] {
					t.Errorf("%s sent %s, which %s may not receive", feed, o.ID(), c.name)
				}
				if !p.vis.CanSee(c.principal, o) {
					t.Errorf("%s sent %s as %s may not see it: %s", feed, o.ID(), c.name, o.Raw())
				}
			}
			bodies = append(bodies, p.readStreams(t, srv.URL, c, check)...)
			bodies = append(bodies, p.readTAXII(t, srv.URL, c, hidden, check)...)
			bodies = append(bodies, p.readCSV(t, srv.URL, c)...)
			bodies = append(bodies, p.readIoCStream(t, srv.URL, c)...)
			if received == 0 {
				t.Fatal("no feed sent any object")
			}
			scanBodies(t, c.name, bodies, hidden, values)
			t.Logf("%d objects received, %d response bodies scanned; %d stored objects hidden from %s, %d hidden values",
				received, len(bodies), len(hidden), c.name, len(values))
		})
	}
}

// hiddenFrom returns the ids of the stored objects p may not receive, by the one rule of
// access.Visibility.Screen, and every stored object.
func (pl *platform) hiddenFrom(t *testing.T, p *access.Principal) (map[stix.ID]bool, []*stix.Object) {
	t.Helper()
	ctx := context.Background()
	var all []*stix.Object
	for rec, err := range store.All(ctx, pl.store, store.ScanOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rec.Object)
	}
	out, err := pl.vis.Screen(ctx, p, all, store.Lookup{From: pl.store})
	if err != nil {
		t.Fatal(err)
	}
	hidden := map[stix.ID]bool{}
	for i, o := range out {
		if o == nil {
			hidden[all[i].ID()] = true
		}
	}
	return hidden, all
}

// checkNotVacuous fails unless the data hides from c objects of every kind the boundary
// is about: a relationship or sighting hidden only by an end, a container naming a hidden
// object, a hidden observable.
func (pl *platform) checkNotVacuous(t *testing.T, c caller, hidden map[stix.ID]bool, stored []*stix.Object) {
	t.Helper()
	var byEnd, container, observable int
	for _, o := range stored {
		switch {
		case stix.IsRelationshipType(o.Type()) && hidden[o.ID()] && pl.vis.CanSee(c.principal, o):
			byEnd++
		case stix.IsContainer(o.Type()) && !hidden[o.ID()]:
			for _, id := range o.RefIDs() {
				if hidden[id] {
					container++
					break
				}
			}
		case o.Category() == stix.CategorySCO && hidden[o.ID()]:
			observable++
		}
	}
	if byEnd == 0 || container == 0 || observable == 0 {
		t.Fatalf("the demo data hides too little from %s (%d relations hidden by an end, %d containers naming hidden objects, %d hidden observables): the test would prove nothing",
			c.name, byEnd, container, observable)
	}
}

// hiddenValues returns the IoC values (hashes, and the value of domains, URLs and
// addresses) of the hidden observables that no object the caller may receive carries.
func hiddenValues(hidden map[stix.ID]bool, stored []*stix.Object) []string {
	var visible strings.Builder
	for _, o := range stored {
		if !hidden[o.ID()] {
			visible.Write(o.Raw())
		}
	}
	seen := visible.String()
	var out []string
	for _, o := range stored {
		if !hidden[o.ID()] || o.Category() != stix.CategorySCO {
			continue
		}
		var vals []string
		if v := o.Get("value").Str; v != "" {
			vals = append(vals, v)
		}
		for _, h := range o.Get("hashes").Map() {
			vals = append(vals, h.Str)
		}
		for _, v := range vals {
			if !strings.Contains(seen, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// scanBodies fails for every body that holds a hidden id or value as a string.
func scanBodies(t *testing.T, who string, bodies []body, hidden map[stix.ID]bool, values []string) {
	t.Helper()
	waived := 0
	for _, b := range bodies {
		text := b.text
		if !streamScreensContainers && strings.HasPrefix(b.feed, "stream ") {
			var n int
			text, n = withoutContainerContents(t, text, hidden)
			waived += n
		}
		for id := range hidden {
			if strings.Contains(text, string(id)) {
				t.Errorf("%s sent %s a body naming %s, which it may not receive: %.400s", b.feed, who, id, b.text)
			}
		}
		for _, v := range values {
			if strings.Contains(text, v) {
				t.Errorf("%s sent %s a body holding %q, the value of an observable it may not see: %.400s", b.feed, who, v, b.text)
			}
		}
	}
	if waived > 0 {
		t.Logf("PENDING (streamScreensContainers = false): %d hidden ids in live-stream container contents were left out of the scan", waived)
	}
}

// withoutContainerContents returns a live-stream frame's data without the object_refs of
// a container (in data and in sources) and without patch operations on object_refs, and
// how many hidden ids it removed: the part that waits for the stream to apply Screen.
func withoutContainerContents(t *testing.T, data string, hidden map[stix.ID]bool) (string, int) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return data, 0 // not a change frame: scanned whole
	}
	removed := 0
	strip := func(v any) {
		o, ok := v.(map[string]any)
		if !ok || !stix.IsContainer(fmt.Sprint(o["type"])) {
			return
		}
		if refs, ok := o["object_refs"].([]any); ok {
			for _, r := range refs {
				if hidden[stix.ID(fmt.Sprint(r))] {
					removed++
				}
			}
		}
		delete(o, "object_refs")
	}
	strip(m["data"])
	if ctx, ok := m["context"].(map[string]any); ok {
		if srcs, ok := ctx["sources"].([]any); ok {
			for _, s := range srcs {
				strip(s)
			}
		}
		for _, k := range []string{"patch", "reverse_patch"} {
			ops, ok := ctx[k].([]any)
			if !ok {
				continue
			}
			kept := ops[:0]
			for _, op := range ops {
				if o, ok := op.(map[string]any); ok && strings.HasPrefix(fmt.Sprint(o["path"]), "/object_refs") {
					b, _ := json.Marshal(o)
					for id := range hidden {
						if strings.Contains(string(b), string(id)) {
							removed++
						}
					}
					continue
				}
				kept = append(kept, op)
			}
			ctx[k] = kept
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), removed
}

// get sends a GET as c and returns the status and body.
func get(t *testing.T, c caller, u string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pw)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// readStreams reads every live stream the caller may use from the start of the log to its
// end (the first heartbeat after the last event), and returns each frame's data.
func (pl *platform) readStreams(t *testing.T, base string, c caller, check func(string, *stix.Object)) []body {
	var out []body
	for _, id := range []string{StreamDetection, StreamPublic} {
		cl, err := stream.NewClient(base+"/stream/"+id, &stream.ClientOptions{Username: c.user, Password: c.pw, From: "0", MaxFailures: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for f, err := range cl.Frames(ctx) {
			var se *stream.StatusError
			if errors.As(err, &se) && c.user == "" {
				break // the restricted stream refuses anonymous callers
			}
			if err != nil {
				t.Fatalf("stream %s: %v", id, err)
			}
			if f.Event == "heartbeat" {
				break // caught up with the log
			}
			out = append(out, body{"stream " + id, string(f.Data)})
			if f.Message.Object != nil {
				check("stream "+id, f.Message.Object)
				for _, s := range f.Message.Sources {
					check("stream "+id+" (merge source)", s)
				}
			}
		}
		cancel()
	}
	return out
}

var taxiiAccept = map[string]string{"Accept": taxii.MediaType}

// readTAXII reads, in every collection the caller may use, every object with all its
// versions and the manifest, page by page; then, in the collections of everything, each
// object alone and its versions, and each hidden id, which must answer exactly as an id
// that is not stored.
func (pl *platform) readTAXII(t *testing.T, base string, c caller, hidden map[stix.ID]bool, check func(string, *stix.Object)) []body {
	root := base + "/taxii2/demo/"
	code, text := get(t, c, root+"collections/", taxiiAccept)
	if code != http.StatusOK {
		t.Fatalf("collections: %d %s", code, text)
	}
	out := []body{{"taxii collections", text}}
	var cols struct{ Collections []taxii.CollectionResource }
	if err := json.Unmarshal([]byte(text), &cols); err != nil {
		t.Fatal(err)
	}
	for _, col := range cols.Collections {
		if !col.CanRead {
			continue
		}
		coll := root + "collections/" + col.ID + "/"
		var ids []stix.ID
		for _, ep := range []string{"objects/", "manifest/"} {
			next := ""
			for {
				q := url.Values{"limit": {"100"}, "match[version]": {"all"}}
				if next != "" {
					q.Set("next", next)
				}
				code, text := get(t, c, coll+ep+"?"+q.Encode(), taxiiAccept)
				if code != http.StatusOK {
					t.Fatalf("%s%s: %d %s", coll, ep, code, text)
				}
				out = append(out, body{"taxii " + col.Alias + " " + ep, text})
				var page struct {
					More    bool
					Next    string
					Objects []json.RawMessage
				}
				if err := json.Unmarshal([]byte(text), &page); err != nil {
					t.Fatal(err)
				}
				if ep == "objects/" {
					for _, raw := range page.Objects {
						o, err := stix.Parse(raw)
						if err != nil {
							t.Fatalf("%s: %v", col.Alias, err)
						}
						check("taxii "+col.Alias, o)
						ids = append(ids, o.ID())
					}
				}
				if !page.More {
					break
				}
				next = page.Next
			}
		}
		if col.Alias != "knowledge" && col.Alias != "public" {
			continue // the other collections are subsets of these
		}
		for _, id := range ids {
			for _, ep := range []string{"objects/" + string(id) + "/", "objects/" + string(id) + "/versions/"} {
				code, text := get(t, c, coll+ep, taxiiAccept)
				if code != http.StatusOK {
					t.Errorf("%s%s: %d %s", coll, ep, code, text)
				}
				out = append(out, body{"taxii " + col.Alias + " " + ep, text})
			}
		}
		_, unknown := get(t, c, coll+"objects/indicator--00000000-0000-4000-8000-00000000dead/", taxiiAccept)
		for id := range hidden {
			code, text := get(t, c, coll+"objects/"+string(id)+"/", taxiiAccept)
			if code != http.StatusNotFound || text != unknown {
				t.Errorf("GET %s in %s: %d %s; want the answer for an id that is not stored: %s", id, col.Alias, code, text, unknown)
			}
			out = append(out, body{"taxii " + col.Alias + " hidden object", text})
		}
	}
	return out
}

// readCSV reads the CSV feeds the caller may use.
func (pl *platform) readCSV(t *testing.T, base string, c caller) []body {
	var out []body
	for _, id := range []string{"detection-indicators", "public-file-hashes"} {
		var code int
		var text string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			code, text = get(t, c, base+"/feeds/"+id, nil)
			if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
				break // generated: the scheduler's first run may still be under way
			}
		}
		if c.user == "" && code == http.StatusUnauthorized {
			continue
		}
		if code != http.StatusOK {
			t.Fatalf("feed %s: status %d", id, code)
		}
		if strings.Count(text, "\n") < 2 {
			t.Errorf("feed %s has no rows for %s: the scan proves little", id, c.name)
		}
		out = append(out, body{"csv " + id, text})
	}
	return out
}

// readIoCStream reads every notification of the IoC stream, page by page, for a caller
// who may use it.
func (pl *platform) readIoCStream(t *testing.T, base string, c caller) []body {
	var out []body
	cursor := ""
	for {
		q := url.Values{"limit": {"40"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		code, text := get(t, c, base+"/api/v3/ioc_stream?"+q.Encode(), nil)
		if c.user == "" && code == http.StatusUnauthorized {
			return nil
		}
		if code != http.StatusOK {
			t.Fatalf("IoC stream: %d %s", code, text)
		}
		out = append(out, body{"ioc stream", text})
		var page struct {
			Meta struct{ Cursor string }
		}
		if err := json.Unmarshal([]byte(text), &page); err != nil {
			t.Fatal(err)
		}
		if page.Meta.Cursor == "" {
			return out
		}
		cursor = page.Meta.Cursor
	}
}
