package stream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/store"
)

// Issue 15, reproduction 5: a consumer resuming after the in-memory store restarted gets a
// gap frame (its id belongs to the old log), then everything of the new log; before, it
// silently received the new log from the middle.
func TestHandlerResumeAfterStoreRestartIsAGap(t *testing.T) {
	old := newEnv(t, envOptions{}, publicDef("s"))
	mustPut(t, old.store, indicator(1))
	last := mustPut(t, old.store, indicator(2))

	// The restarted process: a new, empty memstore, whose clock has moved on.
	var mu sync.Mutex
	now := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	later := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Millisecond); return now }
	e := newEnv(t, envOptions{clock: later}, publicDef("s"))
	mustPut(t, e.store, indicator(3))
	mustPut(t, e.store, indicator(4))

	s := e.open("/stream/s", "Last-Event-ID: "+last.Pos.String())
	var events, names []string
	for len(names) < 2 {
		ev, err := s.next(false)
		if err != nil {
			t.Fatalf("after %v: %v", events, err)
		}
		events = append(events, ev.Event)
		if ev.Event == "gap" {
			var g Gap
			if err := json.Unmarshal(ev.Data, &g); err != nil || g.Requested != last.Pos {
				t.Errorf("gap %s (%v), want requested %s", ev.Data, err, last.Pos)
			}
		}
		if ev.Event == "create" && !strings.Contains(string(ev.Data), dependencyReferer) {
			var d struct {
				Data struct{ Name string } `json:"data"`
			}
			_ = json.Unmarshal(ev.Data, &d)
			names = append(names, d.Data.Name)
		}
	}
	if len(events) < 2 || events[0] != "connected" || events[1] != "gap" {
		t.Errorf("frames %v, want connected then gap", events)
	}
	if strings.Join(names, ",") != "ind-3,ind-4" {
		t.Errorf("objects after the gap %v, want the new log's ind-3, ind-4", names)
	}
}

// Issue 15, reproduction 5 (second half) and item 3: a Last-Event-ID beyond the log's last
// position (an hour in the future, or an id of a store that restarted with a clock that
// went back) is a 400 naming it, not a stream that skips new events until the clock
// reaches it. A date in the future starts at the log's end instead (nothing is skipped).
func TestHandlerResumeBeyondTheLogIs400(t *testing.T) {
	e := newEnv(t, envOptions{}, publicDef("s"))
	last := mustPut(t, e.store, indicator(1))
	future := store.Position{Millis: last.Pos.Millis + uint64(time.Hour/time.Millisecond)}
	for _, h := range []string{
		"Last-Event-ID: " + future.String(),
		"Last-Event-ID: " + midID(future, 3).String(),
		"Last-Event-ID: " + store.Position{Millis: last.Pos.Millis, Seq: last.Pos.Seq + 1}.String(),
	} {
		resp := e.get(context.Background(), "/stream/s", h)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Last-Event-ID") ||
			!strings.Contains(string(body), last.Pos.String()) {
			t.Errorf("%s: %d %q, want 400 naming Last-Event-ID and the last position %s", h, resp.StatusCode, body, last.Pos)
		}
	}
	s := e.open("/stream/s?from=" + last.Time.Add(time.Hour).Format(time.RFC3339Nano))
	if ev, err := s.next(false); err != nil || ev.Event != "connected" {
		t.Fatalf("from a future date: %v %v", ev, err)
	}
	ev2 := mustPut(t, e.store, indicator(2))
	if got := s.changes(2); got[1].ID != ev2.Pos.String() {
		t.Errorf("from a future date: got %+v, want indicator 2, written after connecting", frames(got))
	}
}
