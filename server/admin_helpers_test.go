package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/stix"
)

// The admin tests' users: a stream manager cleared to TLP:AMBER, a reader (data sharing
// only) cleared to TLP:AMBER, and a stream manager cleared to TLP:CLEAR only, below the
// hub's public clearance (TLP:GREEN).
const (
	adminToken  = "admin-test-token-0123456789"
	readerToken = "reader-test-token-0123456789"
	weakToken   = "weak-test-token-0123456789"
)

// configuredStream is the stream the admin tests' configuration defines.
const configuredStream = `    - {"id": "configured", "name": "Configured", "stream_live": true}`

func tokenSum(tok string) string {
	s := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(s[:])
}

// writeAdminConfig writes the admin tests' configuration in dir with the given store and
// stream definitions (YAML list items, "" for none) and returns its path.
func writeAdminConfig(t *testing.T, dir, storeYAML, streams string) string {
	t.Helper()
	if streams == "" {
		streams = "    []"
	}
	yaml := fmt.Sprintf(`listen: 127.0.0.1:0
store: %s
observability: {log_level: error}
access:
  public_clearance: ["TLP:GREEN"]
  groups:
    - {name: managers, capabilities: [TAXIIAPI_SETCOLLECTIONS], clearance: ["TLP:AMBER"]}
    - {name: readers, capabilities: [TAXIIAPI], clearance: ["TLP:AMBER"]}
    - {name: clear-managers, capabilities: [TAXIIAPI_SETCOLLECTIONS], clearance: ["TLP:CLEAR"]}
  users:
    - {name: admin, token_sha256: [%s], groups: [managers]}
    - {name: reader, token_sha256: [%s], groups: [readers]}
    - {name: weak, token_sha256: [%s], groups: [clear-managers]}
feeds:
  streams:
%s
`, storeYAML, tokenSum(adminToken), tokenSum(readerToken), tokenSum(weakToken), streams)
	path := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startAdminHub starts a hub whose live streams beat every 50 ms, so that definition
// changes reach open connections quickly.
func startAdminHub(t *testing.T, path string) *running {
	t.Helper()
	return startHubWith(t, path, &Options{StreamHeartbeat: 50 * time.Millisecond})
}

// call makes a request with a Bearer token ("" for none) and returns the status, the
// headers and the body.
func call(t *testing.T, method, url, token, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// mustCall is call that fails the test unless the status is want.
func mustCall(t *testing.T, want int, method, url, token, body string) string {
	t.Helper()
	code, _, got := call(t, method, url, token, body)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, code, want, got)
	}
	return got
}

// problemOf decodes an admin API error answer.
func problemOf(t *testing.T, h http.Header, body string) problem {
	t.Helper()
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json (body %s)", ct, body)
	}
	var p problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, body)
	}
	return p
}

// labelled returns an indicator with one label and one marking, created at a distinct
// time.
func labelled(t *testing.T, name, label string, marking stix.ID) *stix.Object {
	t.Helper()
	at := time.Now().UTC().Truncate(time.Millisecond)
	o, err := stix.NewIndicator(name, "[domain-name:value = '"+name+".example']", at,
		stix.Common{Created: at, Labels: []string{label}, ObjectMarkingRefs: []stix.ID{marking}})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func put(t *testing.T, r *running, objs ...*stix.Object) {
	t.Helper()
	for _, o := range objs {
		if _, _, err := r.s.Store().Put(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

// consumer reads a live stream over HTTP in the background.
type consumer struct {
	frames chan sse.Event
	ended  chan struct{} // closed when the connection has ended
	stop   chan struct{}
}

// connect opens url as token; it returns the status and, for 200, a consumer reading it.
func connect(t *testing.T, url, token string) (int, *consumer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	c := &consumer{frames: make(chan sse.Event, 1024), ended: make(chan struct{}), stop: make(chan struct{})}
	go func() {
		defer close(c.ended)
		rd := sse.NewReader(resp.Body, nil)
		for {
			ev, err := rd.Next()
			if err != nil {
				return
			}
			select {
			case c.frames <- ev:
			case <-c.stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(c.stop); resp.Body.Close(); <-c.ended })
	return resp.StatusCode, c
}

// next returns the next frame, or false when the connection ended or 10 s passed.
func (c *consumer) next(t *testing.T) (sse.Event, bool) {
	t.Helper()
	select {
	case ev := <-c.frames:
		return ev, true
	case <-c.ended:
		select { // frames read before the end
		case ev := <-c.frames:
			return ev, true
		default:
			return sse.Event{}, false
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no frame for 10 s")
		return sse.Event{}, false
	}
}

// expect reads frames until a create of want, failing on a frame naming any of never.
func (c *consumer) expect(t *testing.T, want *stix.Object, never ...*stix.Object) {
	t.Helper()
	for {
		ev, ok := c.next(t)
		if !ok {
			t.Fatalf("the stream ended before %s arrived", want.ID())
		}
		for _, n := range never {
			if bytes.Contains(ev.Data, []byte(n.ID())) {
				t.Fatalf("received %s (%s frame), which the stream must not send", n.ID(), ev.Event)
			}
		}
		if ev.Event == "create" && bytes.Contains(ev.Data, []byte(want.ID())) {
			return
		}
	}
}

// awaitFilter writes probes labelled label (matching the new filter, not the old one)
// until one arrives: from then on the connection decides with the new definition. A probe
// the old filter dropped is never sent later, so no timing is assumed; the wait per probe
// only paces the writes.
func (c *consumer) awaitFilter(t *testing.T, write func(*stix.Object), label string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		p := labelled(t, fmt.Sprintf("probe-%s-%d", label, i), label, stix.TLP2Green)
		write(p)
		if c.within(t, p, 200*time.Millisecond) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connection did not apply the filter on %q within 10 s", label)
		}
	}
}

// within reads frames until a create of want (true) or until d passed (false).
func (c *consumer) within(t *testing.T, want *stix.Object, d time.Duration) bool {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev := <-c.frames:
			if ev.Event == "create" && bytes.Contains(ev.Data, []byte(want.ID())) {
				return true
			}
		case <-c.ended:
			t.Fatal("the stream ended while waiting for a probe")
		case <-timeout:
			return false
		}
	}
}

// waitEnd waits for the server to end the connection.
func (c *consumer) waitEnd(t *testing.T) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-c.frames:
		case <-c.ended:
			return
		case <-deadline:
			t.Fatal("the connection did not end within 10 s")
		}
	}
}
