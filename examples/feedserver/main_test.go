package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ctifeed/ctifeed/examples/internal/demoserver"
	"github.com/ctifeed/ctifeed/stream"
)

// startServer runs the feed server (what main runs) on a free port until the test ends.
func startServer(t *testing.T, cfg demoserver.Config) (base string, output func() string) {
	t.Helper()
	if cfg.Indicators == 0 {
		cfg.Indicators = 60
	}
	out := &syncBuffer{}
	return demoserver.StartForTest(t, cfg, out), out.String
}

// syncBuffer collects the server's output, which the simulation writes concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	return do(t, http.MethodGet, url, header, "")
}

// do sends a request with header and the body send, and returns the response with its
// body read.
func do(t *testing.T, method, url string, header map[string]string, send string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(send))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestBannerNamesEveryFeedAndCredentials(t *testing.T) {
	base, output := startServer(t, demoserver.Config{})
	banner := output()
	for _, want := range []string{base, demoserver.AnalystUser, demoserver.AnalystPassword, demoserver.PartnerUser, demoserver.PartnerPassword, demoserver.AnalystToken, "curl "} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
}

func TestIoCStream(t *testing.T) {
	base, _ := startServer(t, demoserver.Config{})
	resp, body := get(t, base+"/api/v3/ioc_stream?limit=5", map[string]string{"x-apikey": demoserver.AnalystToken})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var page struct {
		Data []struct{ Type, ID string }
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(page.Data) != 5 {
		t.Errorf("got %d notifications, want 5: %s", len(page.Data), body)
	}
	if resp, body := get(t, base+"/api/v3/ioc_stream", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous: status %d, want 401: %s", resp.StatusCode, body)
	}
}

// The simulation changes data, and shutting down ends everything, a live-stream consumer
// that stopped reading its connection included (Ctrl-C must not wait for consumers).
func TestSimulationChangesDataAndStops(t *testing.T) {
	// Registered before the server starts, so they run after its cleanup has stopped it:
	// the consumer is still connected when the server shuts down.
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	var conn net.Conn
	t.Cleanup(func() {
		if conn != nil {
			conn.Close()
		}
	})
	base, output := startServer(t, demoserver.Config{Simulate: 5 * time.Millisecond})
	deadline := time.Now().Add(10 * time.Second) // a bound on waiting, not a speed check
	for !strings.Contains(output(), "simulate: ") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(output(), "simulate: ") {
		t.Fatalf("no simulated change was reported:\n%s", output())
	}
	// A consumer opens the public stream from the start, reads the status line, and stops.
	var err error
	if conn, err = net.Dial("tcp", strings.TrimPrefix(base, "http://")); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("GET /stream/" + demoserver.StreamPublic + "?from=0 HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, "200") {
		t.Fatalf("stream status line %q, %v", status, err)
	}
}

func TestTAXII(t *testing.T) {
	base, _ := startServer(t, demoserver.Config{})
	taxiiJSON := map[string]string{"Accept": "application/taxii+json;version=2.1"}
	resp, body := get(t, base+"/taxii2/", taxiiJSON)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "version=2.1") {
		t.Fatalf("discovery: status %d, type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	auth := map[string]string{"Accept": taxiiJSON["Accept"], "Authorization": "Bearer " + demoserver.AnalystToken}
	resp, body = get(t, base+"/taxii2/demo/collections/"+demoserver.CollectionIndicators+"/objects/?limit=3", auth)
	var env struct {
		More    bool
		Objects []struct{ Type string }
	}
	if err := json.Unmarshal(body, &env); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("objects: status %d, %v: %s", resp.StatusCode, err, body)
	}
	if len(env.Objects) != 3 || !env.More {
		t.Errorf("got %d objects, more=%v; want 3 and more", len(env.Objects), env.More)
	}
	for _, o := range env.Objects {
		if o.Type != "indicator" {
			t.Errorf("indicators collection served a %s", o.Type)
		}
	}
	if resp, body := get(t, base+"/taxii2/demo/collections/"+demoserver.CollectionIndicators+"/objects/", taxiiJSON); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous on a restricted collection: status %d, want 401: %s", resp.StatusCode, body)
	}
	if resp, body := get(t, base+"/taxii2/demo/collections/"+demoserver.CollectionPublic+"/objects/", taxiiJSON); resp.StatusCode != http.StatusOK {
		t.Errorf("anonymous on the public collection: status %d, want 200: %s", resp.StatusCode, body)
	}
}

func TestCSVFeeds(t *testing.T) {
	base, _ := startServer(t, demoserver.Config{})
	deadline := time.Now().Add(10 * time.Second) // the scheduler's first generation runs at start
	var resp *http.Response
	var body []byte
	for {
		resp, body = get(t, base+"/feeds/detection-indicators", map[string]string{"Authorization": "Bearer " + demoserver.AnalystToken})
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
	if lines[0] != "id,name,pattern,confidence,malware" || len(lines) < 2 {
		t.Errorf("unexpected file (header then rows):\n%s", body)
	}
	if resp, body := get(t, base+"/feeds/detection-indicators", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous on a restricted feed: status %d, want 401: %s", resp.StatusCode, body)
	}
}

func TestLiveStream(t *testing.T) {
	base, _ := startServer(t, demoserver.Config{})
	c, err := stream.NewClient(base+"/stream/"+demoserver.StreamDetection, &stream.ClientOptions{
		Username: demoserver.AnalystUser, Password: demoserver.AnalystPassword, From: "0", MaxFailures: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sent := map[string]bool{}
	for m, err := range c.Messages(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range m.Object.RefIDs() {
			if !sent[string(id)] {
				t.Errorf("%s %s arrived before %s, which it references", m.Type, m.Object.ID(), id)
			}
		}
		sent[string(m.Object.ID())] = true
		// Apart from dependencies, the stream sends indicators labelled detection and the
		// relationships created with them (whose ends were checked above).
		if m.Type == stream.Create && !m.Dependency && m.Object.Type() != "relationship" && m.Object.Type() != "sighting" {
			if m.Object.Type() != "indicator" || !slices.Contains(m.Object.Labels(), "detection") {
				t.Errorf("the stream's own object is a %s with labels %v", m.Object.Type(), m.Object.Labels())
			}
			if len(sent) > 20 {
				break // enough: the stream works from the beginning of the log
			}
		}
	}
	if len(sent) <= 20 {
		t.Errorf("only %d objects arrived", len(sent))
	}
	resp, body := get(t, base+"/stream/"+demoserver.StreamDetection, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous on a restricted stream: status %d, want 401: %s", resp.StatusCode, body)
	}
}
