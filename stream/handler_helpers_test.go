package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// fakeProc stands in for the engine in handler tests: it sends every object (no
// filtering, no segregation) except those labelled with the definition's Description, and
// gives each create or update a two-message group (the object as a dependency, then the
// object), so that cuts inside groups can be tested.
type fakeProc struct {
	mu   *sync.Mutex
	skip string
	defs *[]Definition
	gate chan struct{} // if set, Process waits for it to close before its first event
}

func (f *fakeProc) skipped(o *stix.Object) bool {
	if o == nil || f.skip == "" {
		return false
	}
	for _, l := range o.Labels() {
		if l == f.skip {
			return true
		}
	}
	return false
}

func (f *fakeProc) Process(ctx context.Context, ev store.Event) ([]Message, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	at := func(m Message) Message { m.Pos, m.Time = ev.Pos, ev.Time; return m }
	switch ev.Kind {
	case store.EventCreate, store.EventUpdate:
		if f.skipped(ev.Cur) {
			return nil, nil
		}
		typ := Create
		if ev.Kind == store.EventUpdate && !f.skipped(ev.Prev) {
			typ = Update
		}
		last := Message{Type: typ, Object: ev.Cur}
		if typ == Update {
			last.Patch, last.ReversePatch = []byte(`[{"op":"replace","path":"/modified","value":"x"}]`), []byte(`[]`)
		}
		last.Seq = 1
		return []Message{at(Message{Type: Create, Object: ev.Cur, Dependency: true}), at(last)}, nil
	case store.EventDelete:
		if f.skipped(ev.Prev) {
			return nil, nil
		}
		return []Message{at(Message{Type: Delete, Object: ev.Prev})}, nil
	case store.EventMerge:
		return []Message{at(Message{Type: Merge, Object: ev.Cur, Sources: ev.SourceObjects})}, nil
	}
	return nil, fmt.Errorf("fake: unknown event kind %v", ev.Kind)
}

func (f *fakeProc) Recover(ctx context.Context, scan store.Scanner, since, until time.Time, at store.Position) ([]Message, error) {
	var out []Message
	for r, err := range store.All(ctx, scan, store.ScanOptions{Order: store.ByUpdated, Since: since, Until: until, Limit: 100}) {
		if err != nil {
			return nil, err
		}
		if !f.skipped(r.Object) {
			out = append(out, Message{Type: Create, Object: r.Object, Pos: at, Time: at.Time(), Seq: len(out)})
		}
	}
	return out, nil
}

func (f *fakeProc) RecoverBatches(ctx context.Context, scan store.Scanner, since, until time.Time, at store.Position, batch int) iter.Seq2[[]Message, error] {
	return func(yield func([]Message, error) bool) { yield(f.Recover(ctx, scan, since, until, at)) }
}

func (f *fakeProc) SetDefinition(def Definition) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	*f.defs = append(*f.defs, def)
	f.skip = def.Description
	return nil
}

// env is a handler over a memstore, served by httptest, with the fake engine.
type env struct {
	t      *testing.T
	store  *memstore.Store
	reg    *Registry
	h      *Handler
	srv    *httptest.Server
	client *http.Client

	mu      sync.Mutex
	setDefs []Definition  // SetDefinition calls seen by fake processors
	gate    chan struct{} // passed to the fake processors
}

type envOptions struct {
	maxEvents    int
	heartbeat    time.Duration
	writeTimeout time.Duration
	auth         access.Authenticator
	realEngine   bool
	vis          *access.Visibility
	clock        func() time.Time // drives the store and the subscribers' caches
}

// tickClock returns a clock starting at 2024-01-01 that advances 1 ms per call, so that
// log positions and record times are deterministic.
func tickClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func newEnv(t *testing.T, o envOptions, defs ...Definition) *env {
	t.Helper()
	storeClock, subClock := tickClock(), func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }
	if o.clock != nil {
		storeClock, subClock = o.clock, o.clock
	}
	e := &env{t: t, store: memstore.New(&memstore.Options{Clock: storeClock, MaxEvents: o.maxEvents})}
	var err error
	if e.reg, err = NewRegistry(&RegistryOptions{Definitions: defs}); err != nil {
		t.Fatal(err)
	}
	hb := o.heartbeat
	if hb == 0 {
		hb = time.Hour // tests that need heartbeats ask for them
	}
	e.h, err = NewHandler(&HandlerOptions{
		Store: e.store, Streams: e.reg, Authenticator: o.auth, Heartbeat: hb, WriteTimeout: o.writeTimeout,
		Visibility: o.vis, Clock: subClock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !o.realEngine {
		e.h.newProcessor = func(_ store.History, def Definition, _ SubscriberOptions) (processor, error) {
			return &fakeProc{mu: &e.mu, skip: def.Description, defs: &e.setDefs, gate: e.gate}, nil
		}
	}
	e.srv = httptest.NewServer(e.h)
	e.client = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	e.h.Close()
	e.srv.Close()
	e.client.CloseIdleConnections()
}

func (e *env) setDefinitions() []Definition {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Definition(nil), e.setDefs...)
}

// get opens path with the given headers ("Name: value").
func (e *env) get(ctx context.Context, path string, headers ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// stream is an open event stream read frame by frame.
type stream struct {
	t      *testing.T
	resp   *http.Response
	r      *sse.Reader
	cancel context.CancelFunc
}

func (e *env) open(path string, headers ...string) *stream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	resp := e.get(ctx, path, headers...)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		e.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	s := &stream{t: e.t, resp: resp, r: sse.NewReader(resp.Body, nil), cancel: cancel}
	e.t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.cancel()
	s.resp.Body.Close()
}

// next returns the next frame, skipping heartbeats unless keepHeartbeats.
func (s *stream) next(keepHeartbeats bool) (sse.Event, error) {
	for {
		ev, err := s.r.Next()
		if err != nil {
			return ev, err
		}
		if !ev.HasID {
			ev.ID = ""
		}
		if ev.Event == "heartbeat" && !keepHeartbeats {
			continue
		}
		return ev, nil
	}
}

// changes reads n change frames (skipping connected, heartbeat and gap frames).
func (s *stream) changes(n int) []sse.Event {
	s.t.Helper()
	var out []sse.Event
	for len(out) < n {
		ev, err := s.next(false)
		if err != nil {
			s.t.Fatalf("after %d of %d change frames: %v", len(out), n, err)
		}
		if ev.Event == "connected" || ev.Event == "gap" {
			continue
		}
		out = append(out, ev)
	}
	return out
}

// untilEOF reads until the server ends the stream and returns the frames read.
func (s *stream) untilEOF() ([]sse.Event, error) {
	var out []sse.Event
	for {
		ev, err := s.next(true)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// Objects for scenarios.

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func indicator(i int, labels ...string) *stix.Object {
	c := stix.Common{
		ID:      stix.ID(fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i)),
		Created: t0, Modified: t0, Labels: labels,
	}
	o, err := stix.NewIndicator(fmt.Sprintf("ind-%d", i), "[ipv4-addr:value = '10.0.0.1']", t0, c)
	if err != nil {
		panic(err)
	}
	return o
}

func mustPut(t testing.TB, s store.Writer, o *stix.Object) store.Event {
	t.Helper()
	ev, _, err := s.Put(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// publicDef is a live public stream.
func publicDef(id string) Definition {
	return Definition{ID: id, Name: id, Live: true, Public: true}
}

// changesUntilHeartbeat reads the change frames until a heartbeat with id pos: everything
// the server sends for the log up to pos, so that a missing frame fails a test instead of
// blocking it.
func (s *stream) changesUntilHeartbeat(pos store.Position) []frame {
	s.t.Helper()
	out := []frame{}
	for {
		ev, err := s.next(true)
		if err != nil {
			s.t.Fatalf("waiting for a heartbeat at %s: %v", pos, err)
		}
		switch ev.Event {
		case "heartbeat":
			if ev.ID == pos.String() {
				return out
			}
		case "connected", "gap":
		default:
			out = append(out, frame{ev.ID, ev.Event, string(ev.Data)})
		}
	}
}
