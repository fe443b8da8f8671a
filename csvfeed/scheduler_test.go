package csvfeed_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
)

func scheduler(tb testing.TB, s *testStore, now *clock, feeds ...*csvfeed.Feed) *csvfeed.Scheduler {
	tb.Helper()
	sc, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Visibility: visibility(tb), Feeds: feeds, Clock: now.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

// publicIPs is ipFeed made public, regenerated every 10 minutes.
func publicIPs(extra string) string {
	return strings.Replace(ipFeed, `"id":"ips"`, `"id":"ips","feed_public":true,"interval":"10m"`+extra, 1)
}

// TestSchedulerSincePrevious: with the seed's windows each generation covers the time since
// the previous one, so every change lands in exactly one file, boundary instants included;
// the first generation covers one interval.
func TestSchedulerSincePrevious(t *testing.T) {
	s := newStore()
	now := &clock{t: t0}
	sc := scheduler(t, s, now, compile(t, publicIPs("")))
	ctx := context.Background()
	feed, _ := sc.Feed("ips")
	anon := func() *access.Principal { p, _ := feed.Access().Authorize(nil); return p }

	var seen []string
	n := 0
	gens := []time.Duration{10 * time.Minute, 20 * time.Minute, 25 * time.Minute}
	stamps := []time.Duration{-11 * time.Minute, -10 * time.Minute, 0, 10*time.Minute - time.Millisecond, 10 * time.Minute,
		15 * time.Minute, 20 * time.Minute, 24 * time.Minute}
	var windows []csvfeed.Window
	for _, g := range gens {
		for len(stamps) > 0 && stamps[0] < g {
			s.putAt(t, t0.Add(stamps[0]), ip(n))
			n++
			stamps = stamps[1:]
		}
		now.Set(t0.Add(g))
		if err := sc.Regenerate(ctx, "ips"); err != nil {
			t.Fatal(err)
		}
		f := must[*csvfeed.File](t)(sc.File(ctx, "ips", anon()))
		windows = append(windows, f.Window)
		seen = append(seen, rows(t, f)...)
	}
	want := [][2]time.Time{
		{t0, t0.Add(10 * time.Minute)},
		{t0.Add(10 * time.Minute), t0.Add(20 * time.Minute)},
		{t0.Add(20 * time.Minute), t0.Add(25 * time.Minute)},
	}
	for i, w := range windows {
		if got := [2]time.Time{w.Since, w.Until}; got != want[i] || !w.Closed {
			t.Errorf("window %d is %v closed=%t, want %v closed", i, got, w.Closed, want[i])
		}
		if i > 0 && w.After != windows[i-1].Through {
			t.Errorf("window %d starts after %s, the previous one closed at %s", i, w.After, windows[i-1].Through)
		}
	}
	// ip(0) and ip(1) came before the first window; every later one appears exactly once.
	slices.Sort(seen)
	var wantSeen []string
	for i := 2; i < n; i++ {
		wantSeen = append(wantSeen, ipValue(i))
	}
	slices.Sort(wantSeen)
	if !slices.Equal(seen, wantSeen) {
		t.Errorf("rows over all generations %v, want each of %v once", seen, wantSeen)
	}
}

// TestSchedulerRolling: OpenCTI's rolling window is the last rolling_time minutes at every
// generation, overlapping the previous one.
func TestSchedulerRolling(t *testing.T) {
	s := newStore()
	now := &clock{t: t0.Add(time.Hour)}
	sc := scheduler(t, s, now, compile(t, publicIPs(`,"window":"rolling","rolling_time":30`)))
	for _, at := range []time.Duration{time.Hour + 5*time.Minute, time.Hour + 20*time.Minute} {
		now.Set(t0.Add(at))
		if err := sc.Regenerate(context.Background(), "ips"); err != nil {
			t.Fatal(err)
		}
		f := must[*csvfeed.File](t)(sc.File(context.Background(), "ips", &access.Principal{Name: "public"}))
		if f.Window.Since != t0.Add(at-30*time.Minute) || f.Window.Until != t0.Add(at) {
			t.Errorf("window %v, want [%v, %v)", f.Window, t0.Add(at-30*time.Minute), t0.Add(at))
		}
	}
}

// TestSchedulerPrincipals: each clearance gets its own file for the current generation;
// principals with the same clearance share it; none gets a file made for another.
func TestSchedulerPrincipals(t *testing.T) {
	s := fixture(t)
	now := &clock{t: t0.Add(time.Hour)}
	f := compile(t, `{"id":"ind","name":"ind","feed_types":["Indicator"],"interval":"1h",
	  "feed_attributes":[{"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"}]}]}`)
	sc := scheduler(t, s, now, f)
	ctx := context.Background()
	if _, err := sc.File(ctx, "ind", amber()); !errors.Is(err, csvfeed.ErrNotGenerated) {
		t.Fatalf("before the first generation: %v", err)
	}
	if err := sc.Regenerate(ctx, "ind"); err != nil {
		t.Fatal(err)
	}
	a1 := must[*csvfeed.File](t)(sc.File(ctx, "ind", amber()))
	other := amber()
	other.UserID, other.Name = "u-other", "other" // same clearance
	a2 := must[*csvfeed.File](t)(sc.File(ctx, "ind", other))
	red := amber()
	red.Markings.Max = []stix.ID{stix.TLP2Red}
	r := must[*csvfeed.File](t)(sc.File(ctx, "ind", red))
	if a1 != a2 {
		t.Error("two principals with one clearance got different files")
	}
	if strings.Contains(a1.String(), "SECRET") || !strings.Contains(r.String(), "SECRET") {
		t.Errorf("amber file:\n%s\nred file:\n%s", a1, r)
	}
	// A new generation makes new files.
	now.Set(t0.Add(2 * time.Hour))
	if err := sc.Regenerate(ctx, "ind"); err != nil {
		t.Fatal(err)
	}
	if a3 := must[*csvfeed.File](t)(sc.File(ctx, "ind", amber())); a3 == a1 || a3.Window.Since != a1.Window.Until {
		t.Errorf("after regeneration: window %v, previous %v", a3.Window, a1.Window)
	}
}

// TestSchedulerErrors: unknown feeds and bad options are reported, not panics.
func TestSchedulerErrors(t *testing.T) {
	s := newStore()
	f := compile(t, ipFeed)
	if _, err := csvfeed.NewScheduler(nil); !errors.Is(err, csvfeed.ErrInvalid) {
		t.Errorf("nil options: %v", err)
	}
	if _, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Visibility: visibility(t), Feeds: []*csvfeed.Feed{f, f}}); !errors.Is(err, csvfeed.ErrInvalid) {
		t.Errorf("duplicate ids: %v", err)
	}
	sc := scheduler(t, s, &clock{t: t0}, f)
	if err := sc.Regenerate(context.Background(), "nope"); !errors.Is(err, csvfeed.ErrNotFound) {
		t.Errorf("Regenerate unknown: %v", err)
	}
	if _, err := sc.File(context.Background(), "nope", amber()); !errors.Is(err, csvfeed.ErrNotFound) {
		t.Errorf("File unknown: %v", err)
	}
}

// fakeTicker is a ticker the test fires by hand.
type fakeTicker struct {
	c       chan time.Time
	stopped chan struct{}
}

func (f *fakeTicker) C() <-chan time.Time { return f.c }
func (f *fakeTicker) Stop()               { close(f.stopped) }

// TestSchedulerRun: Run generates at once, again at each tick, and stops every goroutine
// when its context ends.
func TestSchedulerRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newStore()
	now := &clock{t: t0}
	tickers := make(chan *fakeTicker, 2)
	sc, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Visibility: visibility(t), Clock: now.Now,
		Feeds: []*csvfeed.Feed{compile(t, publicIPs(""))},
		NewTicker: func(d time.Duration) csvfeed.Ticker {
			if d != 10*time.Minute {
				t.Errorf("ticker every %v, want the feed's 10m", d)
			}
			ft := &fakeTicker{c: make(chan time.Time), stopped: make(chan struct{})}
			tickers <- ft
			return ft
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sc.Run(ctx) }()
	ft := <-tickers
	first := waitFile(t, sc, func(f *csvfeed.File) bool { return true })
	if first.Window.Until != t0 {
		t.Errorf("first window %v", first.Window)
	}
	s.putAt(t, t0.Add(time.Minute), ip(1))
	now.Set(t0.Add(10 * time.Minute))
	ft.c <- now.Now()
	second := waitFile(t, sc, func(f *csvfeed.File) bool { return f.Window.Until.Equal(t0.Add(10 * time.Minute)) })
	if got := rows(t, second); !slices.Equal(got, []string{ipValue(1)}) {
		t.Errorf("second generation rows %v", got)
	}
	if err := sc.Run(ctx); !errors.Is(err, csvfeed.ErrInvalid) {
		t.Errorf("second Run: %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	<-ft.stopped
}

// waitFile waits until the public file satisfies ok. The loop is bounded by the test's own
// deadline; it asserts no duration.
func waitFile(t *testing.T, sc *csvfeed.Scheduler, ok func(*csvfeed.File) bool) *csvfeed.File {
	t.Helper()
	for {
		f, err := sc.File(context.Background(), "ips", &access.Principal{Name: "public"})
		if err == nil && ok(f) {
			return f
		}
		if err != nil && !errors.Is(err, csvfeed.ErrNotGenerated) {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSchedulerConcurrentPrincipals: many requests of two clearances at once, with a cache
// of one file per generation so files are dropped and remade under them: each request gets
// the file of its own clearance, never the other's.
func TestSchedulerConcurrentPrincipals(t *testing.T) {
	s := fixture(t)
	now := &clock{t: t0.Add(time.Hour)}
	f := compile(t, `{"id":"ind","name":"ind","feed_types":["Indicator"],"interval":"1h",
	  "feed_attributes":[{"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"}]}]}`)
	sc, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Visibility: visibility(t), Feeds: []*csvfeed.Feed{f},
		Clock: now.Now, MaxPrincipals: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Regenerate(context.Background(), "ind"); err != nil {
		t.Fatal(err)
	}
	red := amber()
	red.Markings.Max = []stix.ID{stix.TLP2Red}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			p := amber()
			if i%2 == 1 {
				p = red
			}
			file, err := sc.File(context.Background(), "ind", p)
			if err != nil {
				t.Error(err)
				return
			}
			if has := strings.Contains(file.String(), "SECRET"); has != (i%2 == 1) {
				t.Errorf("request %d (red=%t) got a file with SECRET=%t", i, i%2 == 1, has)
			}
		})
	}
	wg.Wait()
}
