package csvfeed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/csvfeed"
)

// TestWindowStateRestart: a scheduler made again on the same state (a restart) continues
// the since-previous windows from the stored close, where a scheduler on a fresh state
// starts a first window of one interval.
func TestWindowStateRestart(t *testing.T) {
	s := newStore()
	now := &clock{t: t0.Add(10 * time.Minute)}
	state := csvfeed.NewMemoryWindowState()
	newSched := func(st csvfeed.WindowState) *csvfeed.Scheduler {
		sc, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Visibility: visibility(t),
			Feeds: []*csvfeed.Feed{compile(t, publicIPs(""))}, Clock: now.Now, State: st})
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	window := func(sc *csvfeed.Scheduler) csvfeed.Window {
		t.Helper()
		if err := sc.Regenerate(context.Background(), "ips"); err != nil {
			t.Fatal(err)
		}
		feed, _ := sc.Feed("ips")
		p, _ := feed.Access().Authorize(nil)
		return must[*csvfeed.File](t)(sc.File(context.Background(), "ips", p)).Window
	}
	s.putAt(t, t0.Add(5*time.Minute), ip(1))
	first := window(newSched(state))
	s.putAt(t, t0.Add(12*time.Minute), ip(2))
	now.Set(t0.Add(25 * time.Minute))
	again := window(newSched(state))
	if !again.Since.Equal(first.Until) || again.After != first.Through {
		t.Errorf("after the restart the window is %+v, want it to start where %+v closed", again, first)
	}
	fresh := window(newSched(csvfeed.NewMemoryWindowState()))
	if want := t0.Add(15 * time.Minute); !fresh.Since.Equal(want) {
		t.Errorf("a fresh state's first window starts at %v, want %v", fresh.Since, want)
	}
}

// TestWindowStateFailureStoresNothing: a failing step stores nothing, so the next
// Advance sees the window before it; Advance with an ended context calls nothing.
func TestWindowStateFailureStoresNothing(t *testing.T) {
	st := csvfeed.NewMemoryWindowState()
	ctx := context.Background()
	w1 := csvfeed.Window{Since: t0, Until: t0.Add(time.Minute)}
	if _, err := st.Advance(ctx, "f", func(prev *csvfeed.Window) (csvfeed.Window, error) {
		if prev != nil {
			t.Errorf("first Advance saw %+v", prev)
		}
		return w1, nil
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := st.Advance(ctx, "f", func(*csvfeed.Window) (csvfeed.Window, error) { return csvfeed.Window{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing step: %v", err)
	}
	if _, err := st.Advance(ctx, "f", func(prev *csvfeed.Window) (csvfeed.Window, error) {
		if prev == nil || *prev != w1 {
			t.Errorf("after a failure Advance saw %+v, want %+v", prev, w1)
		}
		return w1, nil
	}); err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.Advance(ended, "g", func(*csvfeed.Window) (csvfeed.Window, error) {
		t.Error("Advance called its step with an ended context")
		return csvfeed.Window{}, nil
	}); err == nil {
		t.Error("Advance with an ended context succeeded")
	}
}
