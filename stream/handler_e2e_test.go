package stream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
)

// fakeClock is a settable clock shared by the store (positions) and the handler (the
// subscribers' caches).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// seedAnalyst is the seed scenario's subscriber: data sharing, cleared up to TLP:AMBER.
func seedAnalyst() *access.Principal {
	return &access.Principal{UserID: "analyst", Name: "analyst",
		Capabilities: []access.Capability{access.CapAccessDataSharing},
		Markings:     access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
}

// seedEnv serves the seed scenario's stream, restricted, to the token "analyst-token",
// with the real engine.
func seedEnv(t *testing.T, clk *fakeClock, heartbeat time.Duration) *env {
	t.Helper()
	auth, err := access.NewStatic(access.StaticOptions{Tokens: []access.StaticToken{{Token: "analyst-token", Principal: seedAnalyst()}}})
	if err != nil {
		t.Fatal(err)
	}
	f := seedscenario.Filters()
	return newEnv(t, envOptions{auth: auth, realEngine: true, heartbeat: heartbeat, clock: clk.now},
		Definition{ID: seedscenario.StreamID, Name: seedscenario.StreamName, Filters: &f, Live: true})
}

// untilHeartbeat reads frames until a heartbeat with id pos, returning the change frames'
// messages.
func (s *stream) untilHeartbeat(pos store.Position) []Message {
	s.t.Helper()
	var out []Message
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
		case "create", "update", "merge", "delete":
			m, err := decodeData(ev.Event, ev.ID, ev.Data)
			if err != nil {
				s.t.Fatal(err)
			}
			out = append(out, m)
		}
	}
}

// transcript formats messages as the engine's golden transcripts do.
func transcript(msgs []Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.String() + "\n")
		if m.Type == Update {
			b.WriteString("    patch   " + string(m.Patch) + "\n")
			b.WriteString("    reverse " + string(m.ReversePatch) + "\n")
		}
	}
	return b.String()
}

// The seed's table over HTTP: a consumer of the live stream receives, step by step, exactly
// the messages of the engine's golden transcripts (testdata/seed-scenario), decoded from
// OpenCTI's wire format, for both settings of "avoid dependencies resolution" (the second
// through the no-dependencies parameter).
func TestHTTPSeedScenario(t *testing.T) {
	for _, tc := range []struct {
		file           string
		noDependencies bool
	}{
		{"deps-off.golden", true},
		{"deps-on.golden", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ctx := context.Background()
			clk := &fakeClock{t: seedscenario.Start()}
			e := seedEnv(t, clk, 2*time.Millisecond)
			path := "/stream/" + seedscenario.StreamID + "?from=0"
			var got strings.Builder
			if tc.noDependencies {
				path += "&no-dependencies=true"
				got.WriteString("# The seed's live-stream table, avoid dependencies resolution = true: each step's\n" +
					"# messages in order, under the table's expected result.\n")
			} else {
				got.WriteString("# The seed's live-stream table, avoid dependencies resolution = false: each step's\n" +
					"# messages in order, under the table's expected result.\n")
			}
			s := e.open(path, "Authorization: Bearer analyst-token")
			got.WriteString("== setup: TLP:GREEN, CrowdStrike, Emotet\n")
			if err := seedscenario.Setup(ctx, e.store); err != nil {
				t.Fatal(err)
			}
			b, _ := e.store.Bounds(ctx)
			got.WriteString(transcript(s.untilHeartbeat(b.Last)))
			for _, step := range seedscenario.Steps() {
				clk.set(step.At)
				got.WriteString("== " + step.Name + "\n")
				if tc.noDependencies {
					got.WriteString("   table: " + step.WithoutResolution + "\n")
				} else {
					got.WriteString("   table: " + step.WithResolution + "\n")
				}
				if err := step.Apply(ctx, e.store); err != nil {
					t.Fatal(err)
				}
				b, _ := e.store.Bounds(ctx)
				got.WriteString(transcript(s.untilHeartbeat(b.Last)))
			}
			want, err := os.ReadFile(filepath.Join("..", "testdata", "seed-scenario", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("over HTTP (-want +got):\n%s", diff)
			}
		})
	}
}

// The resume test with the real engine on the seed scenario (issue 15, item 5): after a cut
// at any frame, the resumed connection delivers, in order, every frame of the uninterrupted
// run after the last one received, with the same ids: no frame of the interrupted group is
// sent again and none is lost. The only frames it may add come in later groups: dependency
// creates of objects the consumer already received (a resumed connection's sent-objects
// cache starts empty, so it repeats a dependency rather than omit one).
func TestHTTPSeedScenarioResume(t *testing.T) {
	e, path, auth, full, groupEnd := seedResumeEnv(t)
	total := len(full)
	ctx := context.Background()
	b, _ := e.store.Bounds(ctx)
	for k := range total {
		s := e.open(path+"?from=0", auth)
		got := s.changes(k + 1)
		s.close()
		lastID := s.r.LastEventID()
		have := map[string]bool{}
		for _, f := range got {
			have[objectKey(t, frame{f.ID, f.Event, string(f.Data)})] = true
		}
		rs := e.open(path, auth, "Last-Event-ID: "+lastID)
		j := k + 1
		for _, f := range rs.changesUntilHeartbeat(b.Last) {
			key := objectKey(t, f)
			if j < total && f == full[j] {
				have[key] = true
				j++
				continue
			}
			if j <= groupEnd[k] || f.Event != "create" || !strings.Contains(f.Data, dependencyReferer) || !have[key] {
				t.Errorf("cut after frame %d (id %s): unexpected %s %s; only dependencies already received may be added, after the interrupted group",
					k, lastID, f.ID, describe(t, f))
			}
		}
		if j < total {
			t.Errorf("cut after frame %d (id %s): frames from %d on never arrived, first %s %s", k, lastID, j, full[j].ID, describe(t, full[j]))
		}
		rs.close()
	}
}

// Issue 15, reproduction 6: a consumer that always disconnects after a few frames, fewer
// than a group holds, still progresses through the whole stream (before, an interrupted
// group was sent again whole, so it never got past the first long group).
func TestHTTPSeedScenarioPeriodicCutProgresses(t *testing.T) {
	e, path, auth, full, _ := seedResumeEnv(t)
	ctx := context.Background()
	b, _ := e.store.Bounds(ctx)
	for _, perConn := range []int{1, 2, 3} {
		var got []frame
		lastID, conns := "0", 0
		for lastID != b.Last.String() {
			conns++
			if conns > 2*len(full) {
				t.Fatalf("%d frames per connection: no end after %d connections, %d frames", perConn, conns, len(got))
			}
			s := e.open(path, auth, "Last-Event-ID: "+lastID)
			for n := 0; n < perConn; {
				ev, err := s.next(true)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Event == "heartbeat" {
					lastID = ev.ID
					if ev.ID == b.Last.String() {
						break
					}
					continue
				}
				if ev.Event == "connected" {
					continue
				}
				got = append(got, frame{ev.ID, ev.Event, string(ev.Data)})
				lastID = ev.ID
				n++
			}
			s.close()
		}
		// Every frame of the uninterrupted run arrived, in order; extras are only repeated
		// dependencies (each connection starts with an empty cache).
		j := 0
		for _, f := range got {
			if j < len(full) && f == full[j] {
				j++
			}
		}
		if j < len(full) {
			t.Errorf("%d frames per connection: frame %d (%s) never arrived", perConn, j, describe(t, full[j]))
		}
	}
}

// seedResumeEnv runs the seed scenario on a handler with the real engine and returns the
// uninterrupted run's change frames and, per frame, the index of its group's last frame.
func seedResumeEnv(t *testing.T) (e *env, path, auth string, full []frame, groupEnd []int) {
	t.Helper()
	ctx := context.Background()
	clk := &fakeClock{t: seedscenario.Start()}
	e = seedEnv(t, clk, 2*time.Millisecond)
	if err := seedscenario.Setup(ctx, e.store); err != nil {
		t.Fatal(err)
	}
	for _, step := range seedscenario.Steps() {
		clk.set(step.At)
		if err := step.Apply(ctx, e.store); err != nil {
			t.Fatal(err)
		}
	}
	f := seedscenario.Filters()
	sub, err := NewSubscriber(e.store, Definition{ID: "x", Filters: &f, Live: true},
		SubscriberOptions{Principal: seedAnalyst(), Visibility: e.h.vis, Clock: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	for ev, err := range store.Events(ctx, e.store, store.Position{}, 100) {
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := sub.Process(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		for range msgs {
			groupEnd = append(groupEnd, 0)
		}
		for i := len(groupEnd) - len(msgs); i < len(groupEnd); i++ {
			groupEnd[i] = len(groupEnd) - 1
		}
	}
	if len(groupEnd) < 10 {
		t.Fatalf("only %d frames in the scenario", len(groupEnd))
	}
	path, auth = "/stream/"+seedscenario.StreamID, "Authorization: Bearer analyst-token"
	b, _ := e.store.Bounds(ctx)
	full = e.open(path+"?from=0", auth).changesUntilHeartbeat(b.Last)
	if len(full) != len(groupEnd) {
		t.Fatalf("the uninterrupted run has %d frames, the subscriber %d", len(full), len(groupEnd))
	}
	return e, path, auth, full, groupEnd
}

// objectKey identifies the object version a change frame carries.
func objectKey(t *testing.T, f frame) string {
	t.Helper()
	m, err := decodeData(f.Event, f.ID, []byte(f.Data))
	if err != nil {
		t.Fatal(err)
	}
	return string(m.Object.ID()) + "@" + string(m.Object.Raw())
}

func describe(t *testing.T, f frame) string {
	t.Helper()
	m, err := decodeData(f.Event, f.ID, []byte(f.Data))
	if err != nil {
		t.Fatal(err)
	}
	return m.String()
}
