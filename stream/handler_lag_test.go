package stream

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/store"
)

// slowProc processes every event after a delay: a connection that cannot keep up.
type slowProc struct {
	processor
	delay time.Duration
}

func (p slowProc) Process(ctx context.Context, ev store.Event) ([]Message, error) {
	time.Sleep(p.delay)
	return p.processor.Process(ctx, ev)
}

// endRecorder records the errors connections end with.
type endRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (r *endRecorder) ObserveStart(ctx context.Context, _ StartData) context.Context { return ctx }
func (r *endRecorder) ObserveEnd(_ context.Context, d EndData) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, d.Err)
}

// rawFrames reads an SSE body to its end by hand, keeping the comment lines the sse
// reader skips: the change frames (id, event, data) and the comments.
func rawFrames(t *testing.T, resp *http.Response) (changes []frame, comments []string) {
	t.Helper()
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var f frame
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if f.Event != "" && f.Event != "connected" && f.Event != "heartbeat" {
				changes = append(changes, f)
			}
			f = frame{}
		case strings.HasPrefix(line, ":"):
			comments = append(comments, line)
		case strings.HasPrefix(line, "id: "):
			f.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			f.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			f.Data = line[6:]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	return changes, comments
}

// A consumer that keeps falling behind (its connection processes 400 events a second
// while the log grows by 1,000) is cut with the reason in an SSE comment and an end error
// wrapping ErrTooFarBehind; reconnecting with the last id it received, it gets exactly
// the frames it lacked: together, what an uninterrupted consumer receives, none twice.
func TestHandlerCutsConsumerFallingBehind(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: 20 * time.Millisecond, clock: time.Now}, publicDef("s"))
	rec := &endRecorder{}
	e.h.obs, e.h.maxLag, e.h.batch = rec, 100*time.Millisecond, 8
	fast := e.h.newProcessor
	e.h.newProcessor = func(src store.History, def Definition, opts SubscriberOptions) (processor, error) {
		p, err := fast(src, def, opts)
		return slowProc{p, 2500 * time.Microsecond}, err
	}
	const events = 1500
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp := e.get(ctx, "/stream/s?from=0")
	written := make(chan store.Position, 1)
	go func() {
		var last store.Event
		for i := range events {
			last = mustPut(t, e.store, indicator(i))
			time.Sleep(time.Millisecond)
		}
		written <- last.Pos
	}()
	before, comments := rawFrames(t, resp)
	last := <-written
	if len(comments) != 1 || !strings.Contains(comments[0], "behind the log") || !strings.Contains(comments[0], "Last-Event-ID") {
		t.Fatalf("the cut connection's comments: %q, want one giving the reason", comments)
	}
	if len(before) == 0 || len(before) >= 2*events {
		t.Fatalf("%d frames before the cut: the consumer was not cut while behind", len(before))
	}
	rec.mu.Lock()
	ended := append([]error(nil), rec.errs...)
	rec.mu.Unlock()
	if len(ended) != 1 || !errors.Is(ended[0], ErrTooFarBehind) {
		t.Fatalf("connections ended with %v, want one error wrapping ErrTooFarBehind", ended)
	}

	e.h.newProcessor = fast
	resumed := e.open("/stream/s", "Last-Event-ID: "+before[len(before)-1].ID).changesUntilHeartbeat(last)
	whole := e.open("/stream/s?from=0").changesUntilHeartbeat(last)
	got := append(append([]frame(nil), before...), resumed...)
	if len(whole) != 2*events {
		t.Fatalf("an uninterrupted consumer got %d frames, want %d", len(whole), 2*events)
	}
	if len(got) != len(whole) {
		t.Fatalf("cut and resumed, the consumer got %d frames (%d + %d), want %d", len(got), len(before), len(resumed), len(whole))
	}
	for i := range whole {
		if got[i] != whole[i] {
			t.Fatalf("frame %d: cut and resumed %v, uninterrupted %v", i, got[i], whole[i])
		}
	}
	t.Logf("cut after %d of %d frames: %s", len(before), len(whole), comments[0])
}

// A replay from the start of a log written in a burst is far behind, and slower than the
// log was written, but the log is not running away from it: it is not cut.
func TestHandlerDoesNotCutReplayCatchingUp(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: 10 * time.Millisecond, clock: time.Now}, publicDef("s"))
	rec := &endRecorder{}
	e.h.obs, e.h.maxLag, e.h.batch = rec, time.Millisecond, 4
	fast := e.h.newProcessor
	e.h.newProcessor = func(src store.History, def Definition, opts SubscriberOptions) (processor, error) {
		p, err := fast(src, def, opts)
		return slowProc{p, 300 * time.Microsecond}, err // the replay spans many checks
	}
	var last store.Event
	for i := range 300 {
		last = mustPut(t, e.store, indicator(i))
	}
	time.Sleep(300 * time.Millisecond) // the whole log is now far older than MaxLag
	got := e.open("/stream/s?from=0").changesUntilHeartbeat(last.Pos)
	if len(got) != 600 {
		t.Fatalf("the replay got %d frames, want 600", len(got))
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, err := range rec.errs {
		if errors.Is(err, ErrTooFarBehind) {
			t.Fatalf("a replay catching up was cut: %v", err)
		}
	}
}
