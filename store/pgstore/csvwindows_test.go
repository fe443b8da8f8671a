package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/pgstore"
)

// manualClock is a clock the test moves.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// manualTicker fires when the test sends on it.
type manualTicker chan time.Time

func (t manualTicker) C() <-chan time.Time { return t }
func (manualTicker) Stop()                 {}

// csvNode is one node's running scheduler of the public feed "ips".
type csvNode struct {
	sc     *csvfeed.Scheduler
	anon   *access.Principal // an unauthenticated caller of the public feed
	tick   manualTicker
	cancel context.CancelFunc
	done   chan error
}

func startCSVNode(t *testing.T, s *pgstore.Store, clock *manualClock) *csvNode {
	t.Helper()
	var def csvfeed.Definition
	if err := json.Unmarshal([]byte(`{"id":"ips","name":"IPs","feed_types":["IPv4-Addr"],"feed_public":true,"interval":"10m",
		"feed_attributes":[{"attribute":"value","mappings":[{"type":"IPv4-Addr","attribute":"value"}]}]}`), &def); err != nil {
		t.Fatal(err)
	}
	feed, err := csvfeed.Compile(def, nil)
	if err != nil {
		t.Fatal(err)
	}
	vis, err := access.NewVisibility(nil)
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := feed.Access().Authorize(nil)
	n := &csvNode{tick: make(manualTicker), done: make(chan error, 1), anon: anon}
	n.sc, err = csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Visibility: vis, Feeds: []*csvfeed.Feed{feed},
		Clock: clock.Now, State: s.CSVWindows(), NewTicker: func(time.Duration) csvfeed.Ticker { return n.tick }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	n.cancel = cancel
	go func() { n.done <- n.sc.Run(ctx) }()
	t.Cleanup(n.stop)
	return n
}

func (n *csvNode) stop() {
	if n.cancel != nil {
		n.cancel()
		<-n.done
		n.cancel = nil
	}
}

// window waits for the node's public file to cover a window other than not, and returns it.
func (n *csvNode) window(t *testing.T, not *csvfeed.Window) (csvfeed.Window, *csvfeed.File) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f, err := n.sc.File(t.Context(), "ips", n.anon)
		if err != nil && !errors.Is(err, csvfeed.ErrNotGenerated) {
			t.Fatal(err)
		}
		if err == nil && (not == nil || f.Window.Through != not.Through || !f.Window.Until.Equal(not.Until)) {
			return f.Window, f
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no new window within 10s")
	return csvfeed.Window{}, nil
}

func sameWindow(a, b csvfeed.Window) bool {
	return a.Since.Equal(b.Since) && a.Until.Equal(b.Until) && a.After == b.After && a.Through == b.Through
}

// Two nodes' schedulers on one database publish the same windows, each closed once by the
// first tick and adopted by the other node's, chained without gap; a scheduler restarted
// later continues from the stored close rather than starting a fresh first window.
func TestCSVWindowsSharedByNodes(t *testing.T) {
	a, dsn := open(t, nil)
	b, err := pgstore.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	put := func(value string) {
		t.Helper()
		o := stix.MustParse(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--` + map[string]string{
			"10.0.0.1": "00000001", "10.0.0.2": "00000002", "10.0.0.3": "00000003"}[value] + `-0000-4000-8000-000000000000","value":"` + value + `"}`)
		if _, _, err := a.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// The clock runs a minute ahead, so that every object stored below is before its windows close.
	clock := &manualClock{t: time.Now().UTC().Add(time.Minute).Truncate(time.Millisecond)}
	put("10.0.0.1")

	// Both start at once: one closes the first window, the other adopts it.
	nodeA, nodeB := startCSVNode(t, a, clock), startCSVNode(t, b, clock)
	w1, f1 := nodeA.window(t, nil)
	w1b, _ := nodeB.window(t, nil)
	if !sameWindow(w1, w1b) {
		t.Fatalf("first windows differ: A %+v, B %+v", w1, w1b)
	}
	if !strings.Contains(f1.String(), "10.0.0.1") {
		t.Errorf("the first window %+v misses 10.0.0.1:\n%q", w1, f1.String())
	}

	// A's tick one interval later closes the second window; B's tick a minute after that
	// adopts it instead of closing a third.
	put("10.0.0.2")
	clock.add(10 * time.Minute)
	nodeA.tick <- clock.Now()
	w2, f2 := nodeA.window(t, &w1)
	clock.add(time.Minute)
	nodeB.tick <- clock.Now()
	w2b, f2b := nodeB.window(t, &w1)
	if !sameWindow(w2, w2b) {
		t.Fatalf("B's tick did not adopt A's window: A %+v, B %+v", w2, w2b)
	}
	if w2.After != w1.Through || !w2.Since.Equal(w1.Until) {
		t.Errorf("the second window %+v does not start where the first %+v closed", w2, w1)
	}
	for _, f := range []*csvfeed.File{f2, f2b} {
		if s := f.String(); !strings.Contains(s, "10.0.0.2") || strings.Contains(s, "10.0.0.1") {
			t.Errorf("second window's file, want 10.0.0.2 only:\n%s", s)
		}
	}

	// B restarts half an hour later: its first window continues from the stored close.
	nodeB.stop()
	nodeA.stop()
	put("10.0.0.3")
	clock.add(30 * time.Minute)
	nodeC := startCSVNode(t, b, clock)
	w3, f3 := nodeC.window(t, nil)
	if w3.After != w2.Through || !w3.Since.Equal(w2.Until) {
		t.Errorf("after the restart, window %+v does not continue from the stored close %+v", w3, w2)
	}
	if s := f3.String(); !strings.Contains(s, "10.0.0.3") || strings.Contains(s, "10.0.0.2") {
		t.Errorf("third window's file, want 10.0.0.3 only:\n%s", s)
	}
}

// Advances of one feed from two nodes at once are serialised by the row lock: each step
// sees the window the previous one stored, so none is lost; a failing step returns its
// own error and stores nothing.
func TestCSVWindowsAdvanceIsSerialised(t *testing.T) {
	a, dsn := open(t, nil)
	b, err := pgstore.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	step := func(prev *csvfeed.Window) (csvfeed.Window, error) {
		var w csvfeed.Window
		if prev != nil {
			w = *prev
		}
		time.Sleep(2 * time.Millisecond) // widen the race a missing lock would lose
		w.Through.Seq++
		return w, nil
	}
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			node := []*pgstore.Store{a, b}[i%2]
			if _, err := node.CSVWindows().Advance(t.Context(), "ips", step); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	boom := errors.New("boom")
	if _, err := a.CSVWindows().Advance(t.Context(), "ips", func(*csvfeed.Window) (csvfeed.Window, error) {
		return csvfeed.Window{}, boom
	}); !errors.Is(err, boom) {
		t.Errorf("a failing step gave %v, want its own error", err)
	}
	w, err := b.CSVWindows().Advance(t.Context(), "ips", func(prev *csvfeed.Window) (csvfeed.Window, error) {
		if prev == nil {
			return csvfeed.Window{}, errors.New("no stored window")
		}
		return *prev, nil
	})
	if err != nil || w.Through.Seq != n {
		t.Errorf("after %d advances from two nodes: %+v, %v; want Seq %d", n, w.Through, err, n)
	}
}
