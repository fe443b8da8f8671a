package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

const (
	alicePassword = "alice-test-password"
	aliceToken    = "alice-test-token-0123456789"
	remoteColID   = "0f7d3a2e-5b1c-4d8e-9f60-7a1b2c3d4e5f"
	hubColID      = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"
)

// indicator returns a TLP:GREEN indicator named name, created at t.
func indicator(t *testing.T, name string, at time.Time) *stix.Object {
	t.Helper()
	o, err := stix.NewIndicator(name, "[domain-name:value = '"+name+".example']", at,
		stix.Common{Created: at, ObjectMarkingRefs: []stix.ID{stix.TLP2Green}, Labels: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// writeBundle writes objs as a bundle file.
func writeBundle(t *testing.T, path string, objs ...*stix.Object) {
	t.Helper()
	if err := os.WriteFile(path, stix.MarshalBundle(stix.ID("bundle--"+uuid.NewString()), objs), 0o644); err != nil {
		t.Fatal(err)
	}
}

// remote is another platform: a TAXII collection and a live stream served by the SDK's
// own handlers over one memstore.
type remote struct {
	store *memstore.Store
	srv   *httptest.Server
}

func newRemote(t *testing.T) *remote {
	t.Helper()
	st := memstore.New(nil)
	reader := &access.Principal{UserID: "anon", Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
	th, err := taxii.NewHandler(&taxii.HandlerOptions{Store: st, Title: "partner",
		APIRoots: []taxii.APIRoot{{Path: "partner", Title: "Partner", Collections: []taxii.Collection{{
			ID: remoteColID, Title: "Partner indicators", CanRead: true,
			Access: access.FeedAccess{Public: true, PublicPrincipal: reader}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{
		{ID: "feed", Name: "Partner feed", Live: true, Public: true}}})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := stream.NewHandler(&stream.HandlerOptions{Store: st, Streams: reg, PublicPrincipal: reader,
		Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/taxii2/", th)
	mux.Handle("/partner/", th)
	mux.Handle("/stream/", sh)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { sh.Close(); srv.Close() })
	return &remote{store: st, srv: srv}
}

func (r *remote) put(t *testing.T, objs ...*stix.Object) {
	t.Helper()
	for _, o := range objs {
		if _, _, err := r.store.Put(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

// hubConfig is a test hub's configuration file; limits are small so the tests are quick.
type hubConfig struct {
	dir, remoteURL      string
	maxEvents, maxConns int
}

func (h hubConfig) write(t *testing.T) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(alicePassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(aliceToken))
	yaml := fmt.Sprintf(`listen: 127.0.0.1:0
store: {engine: shared, max_events: %d}
http:
  idle_timeout: 300ms
  body_timeout: 400ms
  max_connections: %d
  max_streams_per_principal: 1
  retry_after: 2s
  auth_failures: {per_minute: 1, burst: 3}
  cors_origins: ["https://console.example"]
observability: {log_level: error}
access:
  groups:
    - {name: analysts, capabilities: [TAXIIAPI], clearance: ["TLP:AMBER"]}
  users:
    - {name: alice, password_bcrypt: "%s", token_sha256: [%s], groups: [analysts]}
feeds:
  streams:
    - {"id": "all", "name": "All", "stream_live": true}
  taxii:
    api_roots:
      - path: hub
        title: Hub
        collections:
          - {"id": "%s", "alias": "all", "name": "All", "can_write": true}
  csv:
    - {"id": "indicators", "name": "Indicators", "feed_types": ["Indicator"], "include_header": true,
       "rolling_time": 5256000, "window": "rolling", "interval": "1s",
       "filters": {"mode": "and", "filters": [], "filterGroups": []},
       "feed_attributes": [{"attribute": "id", "mappings": [{"type": "Indicator", "attribute": "id"}]}]}
  ioc_stream: {writable: false}
ingest:
  - {name: files, files: [bundles], watch: 100ms}
  - name: partner-taxii
    taxii: {url: "%s", api_root: partner, collection: "%s", interval: 100ms}
  - name: partner-stream
    stream: {url: "%s/stream/feed"}
`, h.maxEvents, h.maxConns, hash, hex.EncodeToString(sum[:]), hubColID, h.remoteURL, remoteColID, h.remoteURL)
	path := filepath.Join(h.dir, "hub.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sharedEngine stands in for a durable engine: the same store and checkpoints are
// handed to every hub the test starts, as a database would be after a restart.
func sharedEngine(st store.Store, cps Checkpoints) map[string]Engine {
	e := BuiltinEngines()
	e["shared"] = func(context.Context, StoreConfig) (Opened, error) {
		return Opened{Store: st, Checkpoints: cps, Durable: true}, nil
	}
	return e
}

// running is a hub started by a test.
type running struct {
	s    *Server
	base string
	stop func()
}

func startHub(t *testing.T, path string, engines map[string]Engine, logs io.Writer) *running {
	t.Helper()
	return startHubWith(t, path, &Options{Engines: engines, Logger: slog.New(slog.NewJSONHandler(orDiscard(logs), nil))})
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// startHubWith starts the hub of the configuration file path with opts (a 5 s shutdown
// timeout and a discarding logger unless set).
func startHubWith(t *testing.T, path string, opts *Options) *running {
	t.Helper()
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	o := *opts
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	s, err := New(context.Background(), cfg, &o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for s.Addr() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the hub did not start listening")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var once sync.Once
	r := &running{s: s, base: "http://" + s.Addr(), stop: func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}}
	t.Cleanup(r.stop)
	return r
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func has(st store.Store, id stix.ID) bool {
	_, err := st.Get(context.Background(), id)
	return err == nil
}

// logCount is how many events the store's log holds: a duplicate write would add one.
func logCount(t *testing.T, st store.Store) int {
	t.Helper()
	b, err := st.Bounds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b.Count
}

func get(t *testing.T, url string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
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

func basic(user, pw string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, pw)
	return req.Header.Get("Authorization")
}

// metric returns the largest value of the samples whose line starts with prefix (a name
// and, as Prometheus writes them in name order, the first labels).
func metric(t *testing.T, base, prefix string) (float64, bool) {
	t.Helper()
	_, _, body := get(t, base+"/metrics")
	best, found := 0.0, false
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, prefix) || strings.HasPrefix(line, "#") {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil && (!found || v > best) {
			best, found = v, true
		}
	}
	return best, found
}
