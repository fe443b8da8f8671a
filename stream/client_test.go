package stream

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// cutter cuts the responses of successive connections after the given numbers of frames
// (counted by their blank-line terminators), as a network failure would.
type cutter struct {
	next http.Handler
	mu   sync.Mutex
	cuts []int
}

func (c *cutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	n := -1
	if len(c.cuts) > 0 {
		n, c.cuts = c.cuts[0], c.cuts[1:]
	}
	c.mu.Unlock()
	if n < 0 {
		c.next.ServeHTTP(w, r)
		return
	}
	c.next.ServeHTTP(&cutWriter{ResponseWriter: w, left: n}, r)
}

type cutWriter struct {
	http.ResponseWriter
	left int
	cut  bool
}

var errCut = errors.New("test: connection cut")

func (w *cutWriter) Write(p []byte) (int, error) {
	if w.cut {
		return 0, errCut
	}
	i := 0
	for w.left > 0 {
		j := bytes.Index(p[i:], []byte("\n\n"))
		if j < 0 {
			return w.ResponseWriter.Write(p)
		}
		i += j + 2
		w.left--
	}
	w.cut = true
	n, _ := w.ResponseWriter.Write(p[:i])
	return n, errCut
}

func (w *cutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// snapshotOf returns the current objects of s, as JSON by id.
func snapshotOf(t *testing.T, s store.Scanner) map[stix.ID]string {
	t.Helper()
	out := map[stix.ID]string{}
	for r, err := range store.All(context.Background(), s, store.ScanOptions{Limit: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		out[r.Object.ID()] = string(r.Object.Raw())
	}
	return out
}

// untilPos stops frames once a frame with id last arrives.
func untilPos(frames func(func(Frame, error) bool), last store.Position) func(func(Frame, error) bool) {
	return func(yield func(Frame, error) bool) {
		for f, err := range frames {
			if !yield(f, err) || err != nil || f.ID == last.String() {
				return
			}
		}
	}
}

// A consumer mirroring a stream through connections cut at various frames ends with the
// same objects as the source (the fake engine sends every object).
func TestClientMirrorsThroughCuts(t *testing.T) {
	e := newEnv(t, envOptions{}, publicDef("s"))
	cut := &cutter{next: e.h, cuts: []int{2, 1, 4, 3}} // connected + frames, per connection
	e.srv.Config.Handler = cut
	scenario(t, e.store)
	b, _ := e.store.Bounds(context.Background())

	var reconnects []string
	c, err := NewClient(e.srv.URL+"/stream/s", &ClientOptions{
		HTTPClient: e.client, From: "0", MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		OnReconnect: func(_ error, id string) { reconnects = append(reconnects, id) },
	})
	if err != nil {
		t.Fatal(err)
	}
	dst := memstore.New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := NewMirror(dst, nil).Run(ctx, untilPos(c.Frames(ctx), b.Last)); err != nil {
		t.Fatal(err)
	}
	if len(reconnects) != 4 {
		t.Errorf("%d reconnections (%v), want 4", len(reconnects), reconnects)
	}
	if diff := cmp.Diff(snapshotOf(t, e.store), snapshotOf(t, dst)); diff != "" {
		t.Errorf("mirror differs from the source (-want +got):\n%s", diff)
	}
}

// Messages decode back to what the handler was given: type, object, dependency flag,
// patches, merge sources, and the position from the frame id.
func TestClientMessages(t *testing.T) {
	e := newEnv(t, envOptions{}, Definition{ID: "s", Live: true, Public: true, Description: "skip"})
	scenario(t, e.store)
	b, _ := e.store.Bounds(context.Background())
	var want []Message
	fp := &fakeProc{skip: "skip"}
	for ev, err := range store.Events(context.Background(), e.store, store.Position{}, 10) {
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ := fp.Process(context.Background(), ev)
		for i := range msgs {
			if i < len(msgs)-1 {
				msgs[i].Pos = store.Position{} // set below: the frame's id is the previous resume point
			}
		}
		want = append(want, msgs...)
	}
	c, err := NewClient(e.srv.URL+"/stream/s", &ClientOptions{HTTPClient: e.client, From: "0-0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []Message
	for m, err := range c.Messages(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
		if m.Pos == b.Last {
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Type != w.Type || g.Dependency != w.Dependency || !bytes.Equal(g.Object.Raw(), w.Object.Raw()) ||
			string(g.Patch) != string(w.Patch) || string(g.ReversePatch) != string(w.ReversePatch) || len(g.Sources) != len(w.Sources) {
			t.Errorf("message %d: got %+v, want %+v", i, g, w)
		}
		if w.Pos != (store.Position{}) && (g.Pos != w.Pos || !g.Time.Equal(w.Pos.Time())) {
			t.Errorf("message %d at %v %v, want %v", i, g.Pos, g.Time, w.Pos)
		}
	}
}

// Credentials go out as Basic or Bearer; refusals end the iteration with a StatusError.
func TestClientAuthAndRefusals(t *testing.T) {
	st, err := access.NewStatic(access.StaticOptions{
		Users:  []access.StaticUser{{Username: "ana", Password: "pw", Principal: analyst}},
		Tokens: []access.StaticToken{{Token: "tok", Principal: analyst}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{auth: st}, Definition{ID: "r", Live: true}, Definition{ID: "stopped", Public: true})
	mustPut(t, e.store, indicator(1))
	tests := []struct {
		rule string
		path string
		opts ClientOptions
		code int // 0: the stream opens
	}{
		{"Basic credentials open a restricted stream", "/stream/r", ClientOptions{Username: "ana", Password: "pw"}, 0},
		{"a Bearer token opens a restricted stream", "/stream/r", ClientOptions{Token: "tok"}, 0},
		{"extra headers are sent", "/stream/r", ClientOptions{Header: http.Header{"Authorization": {"Bearer tok"}}}, 0},
		{"no credentials end with 401", "/stream/r", ClientOptions{}, 401},
		{"wrong credentials end with 401", "/stream/r", ClientOptions{Token: "nope"}, 401},
		{"an unknown stream ends with 404", "/stream/x", ClientOptions{}, 404},
		{"a stopped stream ends with 410", "/stream/stopped", ClientOptions{}, 410},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			o := tc.opts
			o.HTTPClient, o.From = e.client, "0"
			c, err := NewClient(e.srv.URL+tc.path, &o)
			if err != nil {
				t.Fatal(err)
			}
			for f, err := range c.Frames(context.Background()) {
				var se *StatusError
				switch {
				case tc.code == 0 && err == nil && f.Event == "connected":
				case tc.code != 0 && errors.As(err, &se) && se.Code == tc.code:
				default:
					t.Errorf("first frame %+v, error %v; want status %d", f, err, tc.code)
				}
				break
			}
		})
	}
}

// The tuning options travel as query parameters the handler parses back.
func TestClientSendsOptions(t *testing.T) {
	yes := true
	var got params
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := parseParams(r)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		got = p
		mu.Unlock()
		http.Error(w, "done", http.StatusGone)
	})
	e := newEnv(t, envOptions{})
	e.srv.Config.Handler = h
	rec := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	c, err := NewClient(e.srv.URL+"/stream/s?x=1", &ClientOptions{
		HTTPClient: e.client, From: "1700000000000-2", Recover: rec,
		Options: Options{NoDependencies: true, NoDeletions: true, WithInferences: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range c.Frames(context.Background()) {
	}
	want := params{hasFrom: true, from: whole(store.Position{Millis: 1700000000000, Seq: 2}), fromName: "Last-Event-ID", fromRaw: "1700000000000-2", recover: rec,
		sw: Switches{NoDependencies: &yes, NoDeletions: &yes, WithInferences: &yes}}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(params{}, resumePoint{})); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
}

// Switches go out explicitly, false included, so a consumer can turn off a stream default.
func TestClientSendsSwitches(t *testing.T) {
	no := false
	got := make(chan params, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := parseParams(r)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		select {
		case got <- p:
		default:
		}
		http.Error(w, "done", http.StatusGone)
	})
	e := newEnv(t, envOptions{})
	e.srv.Config.Handler = h
	c, err := NewClient(e.srv.URL+"/stream/s", &ClientOptions{HTTPClient: e.client,
		Options:  Options{NoDeletions: true}, // overridden by the switch
		Switches: Switches{NoDeletions: &no, NoDependencies: &no}})
	if err != nil {
		t.Fatal(err)
	}
	for range c.Frames(context.Background()) {
	}
	want := params{sw: Switches{NoDeletions: &no, NoDependencies: &no}}
	if diff := cmp.Diff(want, <-got, cmp.AllowUnexported(params{}, resumePoint{}), cmpopts.IgnoreFields(params{}, "fromName", "fromRaw")); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
}

func TestNewClientRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "stream/s", "ftp://host/stream/s", "http:///stream/s", "://"} {
		if _, err := NewClient(u, nil); err == nil {
			t.Errorf("NewClient(%q) succeeded", u)
		}
	}
}

// Mirror applies messages idempotently: repeating any of them changes nothing.
func TestMirrorApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	src := memstore.New(&memstore.Options{Clock: tickClock()})
	scenario(t, src)
	var msgs []Message
	fp := &fakeProc{}
	for ev, err := range store.Events(ctx, src, store.Position{}, 10) {
		if err != nil {
			t.Fatal(err)
		}
		m, _ := fp.Process(ctx, ev)
		msgs = append(msgs, m...)
	}
	dst := memstore.New(nil)
	mr := NewMirror(dst, nil)
	for i, m := range msgs {
		for range 2 {
			if err := mr.Apply(ctx, m); err != nil {
				t.Fatalf("message %d (%s %s): %v", i, m.Type, m.Object.ID(), err)
			}
		}
	}
	if diff := cmp.Diff(snapshotOf(t, src), snapshotOf(t, dst)); diff != "" {
		t.Errorf("mirror (-want +got):\n%s", diff)
	}
	if err := mr.Apply(ctx, Message{Type: Create}); err == nil {
		t.Error("a message without an object was applied")
	}
	ids := []string{}
	for id := range snapshotOf(t, dst) {
		ids = append(ids, string(id))
	}
	sort.Strings(ids)
	if len(ids) != 3 { // indicators 1 (merged with 4), 2 and 5
		t.Errorf("mirror holds %v", ids)
	}
}

// The client decodes gap and heartbeat frames, and a Mirror passes gaps to OnGap before
// applying the recovery snapshot that follows.
func TestClientGapAndHeartbeatFrames(t *testing.T) {
	e := newEnv(t, envOptions{maxEvents: 3, heartbeat: 2 * time.Millisecond}, publicDef("s"))
	first := mustPut(t, e.store, indicator(1))
	for i := 2; i <= 6; i++ {
		mustPut(t, e.store, indicator(i))
	}
	b, _ := e.store.Bounds(context.Background())
	c, err := NewClient(e.srv.URL+"/stream/s", &ClientOptions{HTTPClient: e.client, From: first.Pos.String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var gaps []Gap
	var heartbeat Frame
	frames := func(yield func(Frame, error) bool) {
		for f, err := range c.Frames(ctx) {
			if f.Event == "heartbeat" {
				heartbeat = f
				return // a heartbeat comes once everything up to the log's end was sent
			}
			if !yield(f, err) {
				return
			}
		}
	}
	dst := memstore.New(nil)
	err = NewMirror(dst, &MirrorOptions{OnGap: func(g Gap) error {
		if n, _ := dst.Count(ctx); n != 0 {
			t.Errorf("the gap was reported after %d objects were applied", n)
		}
		gaps = append(gaps, g)
		return nil
	}}).Run(ctx, frames)
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || gaps[0].Requested != first.Pos || gaps[0].FirstRetained != b.First {
		t.Errorf("gaps %+v, want one from %s to %s", gaps, first.Pos, b.First)
	}
	if heartbeat.ID != b.Last.String() || !heartbeat.Time.Equal(b.LastTime) {
		t.Errorf("heartbeat %+v, want id %s and time %v", heartbeat, b.Last, b.LastTime)
	}
	if diff := cmp.Diff(snapshotOf(t, e.store), snapshotOf(t, dst)); diff != "" {
		t.Errorf("mirror after the gap (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	err = NewMirror(memstore.New(nil), &MirrorOptions{OnGap: func(Gap) error { return stop }}).Run(ctx, c.Frames(ctx))
	if !errors.Is(err, stop) {
		t.Errorf("Run returned %v, want OnGap's error", err)
	}
}
