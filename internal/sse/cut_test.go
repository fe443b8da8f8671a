package sse

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// Issue 23, item 1: a frame's id must not be taken before the blank line that completes the
// frame. Our writer puts "id:" first, so a connection cut between a frame's id line and its
// end would otherwise make the client resume after a frame it never received.
func TestReaderIDOfACutFrameIsNotTaken(t *testing.T) {
	in := "id: 1\nevent: create\ndata: {\"n\":1}\n\nid: 2\nevent: create\ndata: {\"n\":2}"
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(in),
		"one byte": iotest.OneByteReader(strings.NewReader(in)),
	} {
		got, rd, err := readAll(r, nil)
		if err != io.EOF {
			t.Fatalf("%s: ended with %v", name, err)
		}
		if d := cmp.Diff([]Event{withID(ev("1", "create", `{"n":1}`))}, got); d != "" {
			t.Errorf("%s: events (-want +got):\n%s", name, d)
		}
		if rd.LastEventID() != "1" {
			t.Errorf("%s: LastEventID = %q after a stream cut inside frame 2, want 1", name, rd.LastEventID())
		}
	}
}

// cutServer serves a recorded stream of frames with ids "1".."n", resuming after the
// request's Last-Event-ID; connection i is cut (aborted) after cuts[i] bytes, and once every
// frame was served the server answers 204.
type cutServer struct {
	frames [][]byte // frame i has id i+1
	ids    []string

	mu    sync.Mutex
	conns int
	cuts  []int // bytes of the stream to send on connection i before cutting it; beyond: whole
	asked []string
}

func (s *cutServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	conn := s.conns
	s.conns++
	last := r.Header.Get("Last-Event-ID")
	s.asked = append(s.asked, last)
	cut := -1
	if conn < len(s.cuts) {
		cut = s.cuts[conn]
	}
	s.mu.Unlock()
	next := 0
	if last != "" {
		next = -1
		for i, id := range s.ids {
			if id == last {
				next = i + 1
			}
		}
		if next < 0 {
			http.Error(w, "unknown id "+last, http.StatusBadRequest)
			return
		}
	}
	if next == len(s.frames) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	SetHeaders(w.Header())
	body := bytes.Join(s.frames[next:], nil)
	if cut >= 0 && cut < len(body) {
		_, _ = w.Write(body[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write(body)
}

// recordedFrames writes n frames as our servers do (id first, then event and data; some
// with multi-line data, some preceded by a comment or a frame without an id).
func recordedFrames(t *testing.T, n int) ([][]byte, []string) {
	t.Helper()
	var frames [][]byte
	var ids []string
	for i := 1; i <= n; i++ {
		var b bytes.Buffer
		w := NewWriter(&b)
		if i%4 == 0 {
			if err := w.WriteComment("keep-alive"); err != nil {
				t.Fatal(err)
			}
		}
		if i%5 == 0 { // a frame without an id, as connected and gap frames are: it belongs to this one
			if err := w.WriteEvent(Event{Event: "gap", Data: []byte(fmt.Sprintf(`{"before":%d}`, i))}); err != nil {
				t.Fatal(err)
			}
		}
		data := fmt.Sprintf(`{"n":%d}`, i)
		if i%3 == 0 {
			data = fmt.Sprintf("line one of %d\nline two", i)
		}
		id := fmt.Sprintf("%d-%d", 1000+i/2, i%2)
		if err := w.WriteEvent(Event{ID: id, Event: "create", Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, b.Bytes())
		ids = append(ids, id)
	}
	return frames, ids
}

// Property (issue 23): whatever byte offset a connection is cut at, and however often, the
// client delivers every frame exactly once, in order. The first connection is cut at every
// offset of the recorded stream in turn; the next two at random offsets of what they send.
func TestClientCutAtEveryByteDeliversEachFrameOnce(t *testing.T) {
	frames, ids := recordedFrames(t, 12)
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	rng := rand.New(rand.NewPCG(23, 1))
	srv := &cutServer{frames: frames, ids: ids}
	c, url := start(t, srv, ClientOptions{MaxFailures: 50})
	var failures []string
	for off := 0; off <= total; off++ {
		srv.mu.Lock()
		srv.conns, srv.asked = 0, nil
		srv.cuts = []int{off, rng.IntN(total + 1), rng.IntN(total + 1)}
		srv.mu.Unlock()
		var got []string
		var err error
		for ev, e := range c.Stream(t.Context(), url) {
			if e != nil {
				err = e
				break
			}
			if ev.Event == "create" {
				got = append(got, ev.ID)
			}
		}
		if err != nil {
			t.Fatalf("cut at %d: stream failed: %v", off, err)
		}
		if d := cmp.Diff(ids, got); d != "" {
			srv.mu.Lock()
			failures = append(failures, fmt.Sprintf("cut at byte %d (then %v), Last-Event-ID sent %q: (-want +got)\n%s", off, srv.cuts[1:], srv.asked, d))
			srv.mu.Unlock()
		}
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d cut offsets lost or repeated frames; first:\n%s", len(failures), total+1, failures[0])
	}
}

// End to end at the SSE level: a connection cut inside frame 2 (after its id line) resumes
// with Last-Event-ID 1, so frame 2 is received.
func TestClientResumesBeforeACutFrame(t *testing.T) {
	frames, ids := recordedFrames(t, 3)
	cut := len(frames[0]) + len("id: "+ids[1]+"\nevent: create\n")
	srv := &cutServer{frames: frames, ids: ids, cuts: []int{cut}}
	c, url := start(t, srv, ClientOptions{})
	got, err := collect(t.Context(), c, url, -1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ids, got); d != "" {
		t.Errorf("ids received (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"", ids[0], ids[2]}, srv.asked); d != "" {
		t.Errorf("Last-Event-ID per request (-want +got):\n%s", d)
	}
}

// StartID puts a resume point in force from a frame without an id, only while none is.
func TestClientStartID(t *testing.T) {
	srv := &logServer{total: 4, script: []step{{n: 0, end: "abort"}, {n: 2, end: "abort"}, {n: 100, end: "eof"}, {status: http.StatusNoContent}}}
	h := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Last-Event-ID") == "" {
			SetHeaders(w.Header())
			_, _ = io.WriteString(w, "event: connected\ndata: 1\n\n")
		}
		srv.ServeHTTP(w, r)
	}
	var offered []string
	c, url := start(t, http.HandlerFunc(h), ClientOptions{StartID: func(ev Event) (string, bool) {
		offered = append(offered, string(ev.Data))
		return string(ev.Data), ev.Event == "connected"
	}})
	ids, err := collect(t.Context(), c, url, -1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"", "1", "3", "4"}, srv.lastEventIDs()); d != "" {
		t.Errorf("Last-Event-ID per request (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"1", "2", "3", "4"}, ids); d != "" {
		t.Errorf("ids of the events (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"1"}, offered); d != "" {
		t.Errorf("events offered to StartID (-want +got):\n%s", d)
	}
}
