package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/examples/internal/demoserver"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/store/boltstore"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// runUntilStopped runs the feed server with cfg and returns its base URL and a function
// that stops it and waits until it has (the store is closed then).
func runUntilStopped(t *testing.T, cfg demoserver.Config) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- demoserver.Run(ctx, cfg, io.Discard, func(b string) { ready <- b }) }()
	select {
	case base := <-ready:
		var stopped bool
		stop := func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server stopped with %v", err)
			}
		}
		t.Cleanup(stop)
		return base, stop
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
		return "", nil
	}
}

type msgKey struct {
	typ    stream.MessageType
	id     string
	pos    string
	seq    int
	depend bool
}

// consume reads the detection stream from from, sending each message's key to out, until
// ctx ends.
func consume(ctx context.Context, base, from string, out chan<- msgKey) {
	c, err := stream.NewClient(base+"/stream/"+demoserver.StreamDetection, &stream.ClientOptions{
		Username: demoserver.AnalystUser, Password: demoserver.AnalystPassword, From: from,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	for m, err := range c.Messages(ctx) {
		if err != nil {
			return
		}
		select {
		case out <- msgKey{m.Type, string(m.Object.ID()), m.Pos.String(), m.Seq, m.Dependency}:
		case <-ctx.Done():
			return
		}
	}
}

// withoutResent drops the dependency creates of objects the consumer already received:
// a resumed connection starts with an empty sent cache, so its later groups may send
// again what an uninterrupted consumer's cache held back (documented in the stream
// package); everything else must be exactly what the uninterrupted consumer got.
func withoutResent(msgs []msgKey) []msgKey {
	held := map[string]bool{}
	var out []msgKey
	for _, m := range msgs {
		if m.depend && m.typ == stream.Create && held[m.id] {
			continue
		}
		held[m.id] = m.typ != stream.Delete
		out = append(out, m)
	}
	return out
}

// collect receives keys until n have arrived (n < 0: until none arrives for idle).
func collect(t *testing.T, in <-chan msgKey, n int, idle time.Duration) []msgKey {
	t.Helper()
	var got []msgKey
	bound := time.After(2 * time.Minute) // a bound on waiting, not a speed check (CI runs PostgreSQL tests beside it)
	for n < 0 || len(got) < n {
		select {
		case k := <-in:
			got = append(got, k)
		case <-time.After(idle):
			if n < 0 {
				return got
			}
		case <-bound:
			t.Fatalf("after %d of %d messages, no more came", len(got), n)
		}
	}
	return got
}

func body(t *testing.T, method, url string, header map[string]string, send string) (int, string) {
	t.Helper()
	resp, b := do(t, method, url, header, send)
	return resp.StatusCode, string(b)
}

// The feed server with -data restarts as if it had not: a live-stream consumer connected
// across the restart reconnects and gets exactly what an uninterrupted consumer gets; a
// TAXII `next` token, an IoC stream cursor and a TAXII status id issued before the restart
// work after it and give the same answers; the CSV feed is the same file.
func TestRestartContinuesEveryFeed(t *testing.T) {
	checkRestart(t, demoserver.Config{Addr: "127.0.0.1:0", Indicators: 40, Data: t.TempDir()})
}

// checkRestart is TestRestartContinuesEveryFeed on the durable store cfg names.
func checkRestart(t *testing.T, cfg demoserver.Config) {
	base, stopA := runUntilStopped(t, cfg)
	cfg.Addr = strings.TrimPrefix(base, "http://") // the restarted server answers at the same address

	// A live-stream consumer reads part of the log before the restart.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := make(chan msgKey, 1<<12)
	go consume(ctx, base, "0", live)
	before := collect(t, live, 10, time.Minute)

	taxiiHdr := map[string]string{"Accept": taxii.MediaType, "Authorization": "Bearer " + demoserver.AnalystToken}
	coll := base + "/taxii2/demo/collections/" + demoserver.CollectionKnowledge + "/objects/"
	var page1 struct{ Next string }
	code, b := body(t, "GET", coll+"?limit=7", taxiiHdr, "")
	if err := jsonUnmarshal(b, &page1); err != nil || code != 200 || page1.Next == "" {
		t.Fatalf("TAXII page 1: %d %v %s", code, err, b)
	}
	_, page2A := body(t, "GET", coll+"?limit=7&next="+page1.Next, taxiiHdr, "")

	iocHdr := map[string]string{"x-apikey": demoserver.AnalystToken}
	var ioc1 struct{ Meta struct{ Cursor string } }
	code, b = body(t, "GET", base+"/api/v3/ioc_stream?limit=4", iocHdr, "")
	if err := jsonUnmarshal(b, &ioc1); err != nil || code != 200 || ioc1.Meta.Cursor == "" {
		t.Fatalf("IoC stream page 1: %d %v %s", code, err, b)
	}
	_, ioc2A := body(t, "GET", base+"/api/v3/ioc_stream?limit=4&cursor="+ioc1.Meta.Cursor, iocHdr, "")

	csvHdr := map[string]string{"Authorization": "Bearer " + demoserver.AnalystToken}
	csvA := csvFile(t, base, csvHdr)

	post := (`{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--7e9f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","name":"posted before the restart","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"}]}`)
	inbox := base + "/taxii2/demo/collections/" + demoserver.CollectionInbox + "/objects/"
	code, statusA := body(t, "POST", inbox, map[string]string{"Accept": taxii.MediaType, "Content-Type": taxii.MediaType,
		"Authorization": "Bearer " + demoserver.AnalystToken}, post)
	var st taxii.Status
	if err := jsonUnmarshal(statusA, &st); err != nil || code != http.StatusAccepted || st.SuccessCount != 1 {
		t.Fatalf("POST: %d %v %s", code, err, statusA)
	}

	stopA()
	_, stopB := runUntilStopped(t, cfg)
	defer stopB()

	// The consumer reconnects by itself (Last-Event-ID) and goes on; an uninterrupted
	// consumer of the restarted server is the reference.
	ref := make(chan msgKey, 1<<12)
	go consume(ctx, base, "0", ref)
	want := collect(t, ref, -1, 2*time.Second)
	got := withoutResent(append(before, collect(t, live, -1, 2*time.Second)...))
	if len(got) != len(want) {
		t.Fatalf("the consumer across the restart got %d messages, an uninterrupted one %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: across the restart %+v, uninterrupted %+v", i, got[i], want[i])
		}
	}
	t.Logf("%d messages, %d of them before the restart", len(want), len(before))

	if code, page2B := body(t, "GET", coll+"?limit=7&next="+page1.Next, taxiiHdr, ""); code != 200 || page2B != page2A {
		t.Errorf("TAXII page 2 with the token issued before the restart: %d\n%s\nbefore the restart:\n%s", code, page2B, page2A)
	}
	if code, ioc2B := body(t, "GET", base+"/api/v3/ioc_stream?limit=4&cursor="+ioc1.Meta.Cursor, iocHdr, ""); code != 200 || ioc2B != ioc2A {
		t.Errorf("IoC stream page 2 with the cursor issued before the restart: %d\n%s\nbefore:\n%s", code, ioc2B, ioc2A)
	}
	if code, statusB := body(t, "GET", base+"/taxii2/demo/status/"+st.ID+"/", taxiiHdr, ""); code != 200 || statusB != statusA {
		t.Errorf("the status of a POST before the restart: %d %s, want %s", code, statusB, statusA)
	}
	if csvB := csvFile(t, base, csvHdr); csvB != csvA {
		t.Errorf("the CSV feed changed across the restart:\n%s\nbefore:\n%s", csvB, csvA)
	}
}

func csvFile(t *testing.T, base string, hdr map[string]string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // the first generation runs at start
	for {
		code, b := body(t, "GET", base+"/feeds/detection-indicators", hdr, "")
		if code == http.StatusOK {
			return b
		}
		if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("CSV feed: %d %s", code, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// A seed cut short after its objects and before their IoC notifications (the two are
// separate writes) is completed on the next start: a kept store whose IoC stream is empty
// gets its indicators' notifications again.
func TestRestartRenotifiesAnEmptyIoCStream(t *testing.T) {
	dir := t.TempDir()
	cfg := demoserver.Config{Addr: "127.0.0.1:0", Indicators: 20, Data: dir}
	_, stop := runUntilStopped(t, cfg)
	stop()
	s, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := iocstream.ParseFilter("")
	n, err := s.Notifications(nil).DeleteMatching(context.Background(), all)
	s.Close()
	if err != nil || n == 0 {
		t.Fatalf("emptying the IoC stream: %d, %v", n, err)
	}
	base, _ := runUntilStopped(t, cfg)
	code, b := body(t, "GET", base+"/api/v3/ioc_stream?limit=40", map[string]string{"x-apikey": demoserver.AnalystToken}, "")
	var page struct{ Data []struct{ ID string } }
	if err := jsonUnmarshal(b, &page); err != nil || code != 200 || len(page.Data) == 0 {
		t.Errorf("after restarting on a store whose IoC stream was emptied: %d %v %s", code, err, b)
	}
}
