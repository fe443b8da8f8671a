package stream

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/stix"
)

// byteCutter cuts the first response after n bytes of body, wherever they fall.
type byteCutter struct {
	next http.Handler
	mu   sync.Mutex
	n    int // < 0: no more cuts
}

func (c *byteCutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	n := c.n
	c.n = -1
	c.mu.Unlock()
	if n < 0 {
		c.next.ServeHTTP(w, r)
		return
	}
	c.next.ServeHTTP(&byteCutWriter{ResponseWriter: w, left: n}, r)
}

type byteCutWriter struct {
	http.ResponseWriter
	left int
}

func (w *byteCutWriter) Write(p []byte) (int, error) {
	if len(p) <= w.left {
		w.left -= len(p)
		return w.ResponseWriter.Write(p)
	}
	n, _ := w.ResponseWriter.Write(p[:w.left])
	w.left = 0
	return n, errCut
}

func (w *byteCutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Issue 23, item 1, end to end over Handler and Client: a connection cut inside the last
// frame of a group, after its id line (which carries the event's position), resumes before
// that frame, so its object is received; before, the client resumed after it and the
// object was lost for good.
func TestClientCutInsideAFrameLosesNothing(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: 5 * time.Millisecond}, publicDef("s"))
	ev1 := mustPut(t, e.store, indicator(1))
	mustPut(t, e.store, indicator(2))

	// Where the first group's last frame begins in the uninterrupted response.
	resp := e.get(context.Background(), "/stream/s?from=0")
	var raw strings.Builder
	buf := make([]byte, 4096)
	idLine := "id: " + ev1.Pos.String() + "\nevent: create\n"
	for !strings.Contains(raw.String(), idLine+"data: ") {
		n, err := resp.Body.Read(buf)
		raw.Write(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
	}
	resp.Body.Close()
	cut := strings.Index(raw.String(), idLine) + len(idLine) + len(`data: {"version"`)
	e.srv.Config.Handler = &byteCutter{next: e.h, n: cut}

	c, err := NewClient(e.srv.URL+"/stream/s", &ClientOptions{HTTPClient: e.client, From: "0",
		MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []stix.ID
	for f, err := range c.Frames(ctx) {
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if f.Message.Object != nil && !f.Message.Dependency {
			got = append(got, f.Message.Object.ID())
		}
		if f.Event == "heartbeat" {
			break
		}
	}
	if d := cmp.Diff([]stix.ID{indicator(1).ID(), indicator(2).ID()}, got); d != "" {
		t.Errorf("objects received (-want +got):\n%s", d)
	}
}

// Property, end to end (issues 15 and 23): whatever byte of the response a connection is
// cut at, the Client, resuming with the last id it holds, delivers every change frame of
// the uninterrupted run exactly once, in order, with its id. The offsets step through the
// whole response, so cuts fall inside ids, data, frame ends and groups.
func TestClientCutAtAnyByteDeliversEachFrameOnce(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: 2 * time.Millisecond}, Definition{ID: "s", Live: true, Public: true, Description: "skip"})
	scenario(t, e.store)
	b, _ := e.store.Bounds(context.Background())
	full := e.open("/stream/s?from=0").changesUntilHeartbeat(b.Last)
	size := 0
	for _, f := range full {
		size += len(f.ID) + len(f.Event) + len(f.Data) + len("id: \nevent: \ndata: \n\n")
	}
	cutter := &byteCutter{next: e.h}
	e.srv.Config.Handler = cutter
	c, err := NewClient(e.srv.URL+"/stream/s", &ClientOptions{HTTPClient: e.client, From: "0",
		MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for off := 0; off < size+200; off += 13 {
		cutter.mu.Lock()
		cutter.n = off
		cutter.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var got []frame
		for f, err := range c.Frames(ctx) {
			if err != nil {
				t.Fatalf("cut at byte %d: %v after %d frames", off, err, len(got))
			}
			if f.Event == "heartbeat" && f.ID == b.Last.String() {
				break
			}
			if f.Message.Object != nil {
				got = append(got, frame{f.ID, f.Event, string(f.Data)})
			}
		}
		cancel()
		if d := cmp.Diff(full, got); d != "" {
			if failures++; failures <= 3 {
				t.Errorf("cut at byte %d: frames (-want +got):\n%s", off, d)
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d cut offsets lost or repeated frames", failures)
	}
}
