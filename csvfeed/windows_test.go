package csvfeed_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// indicatorFeed lists indicator names; not public, so each clearance's file is made on its
// first request.
const indicatorFeed = `{"id":"ind","name":"ind","feed_types":["Indicator"],"interval":"1m",
  "feed_attributes":[{"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"}]}]}`

func indicator(n int, name string, modified time.Time) *stix.Object {
	return stix.MustParse(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000",`+
		`"created":"2024-01-01T00:00:00.000Z","modified":%q,"name":%q,"pattern":"[ipv4-addr:value = '10.0.0.1']",`+
		`"pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`, n, stix.FormatTime(modified), name))
}

// TestWindowsWallClockLoseNoWrite guards issue 23 item 2: since-previous windows closed at
// the clock's full precision lost the writes stamped in the millisecond a window closed
// (3,099 of 45,258 indicators were in no file). With the wall clock, one writer and a
// regeneration every 2 ms, every object written is in exactly one public file.
func TestWindowsWallClockLoseNoWrite(t *testing.T) {
	s := memstore.New(&memstore.Options{MaxEvents: -1})
	f := compile(t, publicIPs(""))
	sc, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Visibility: visibility(t), Feeds: []*csvfeed.Feed{f}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	anon, _ := f.Access().Authorize(nil)
	if err := sc.Regenerate(ctx, "ips"); err != nil { // the first window predates every write
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	written := 0
	wg.Go(func() {
		for ; ; written++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := s.Put(ctx, ip(written)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	count := map[string]int{}
	collect := func() {
		if err := sc.Regenerate(ctx, "ips"); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows(t, must[*csvfeed.File](t)(sc.File(ctx, "ips", anon))) {
			count[r]++
		}
	}
	for end := time.Now().Add(400 * time.Millisecond); time.Now().Before(end); {
		time.Sleep(2 * time.Millisecond)
		collect()
	}
	close(stop)
	wg.Wait()
	collect()
	missing, twice := 0, 0
	for i := range written {
		switch count[ipValue(i)] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing > 0 || twice > 0 || written == 0 {
		t.Errorf("of %d objects written, %d are in no file and %d in several", written, missing, twice)
	}
}

// TestWindowAsOfClose guards issue 15 item 7: a file made lazily, on its first request,
// used the store as it was then, so an entry changed again after its window closed dropped
// out of that window's file. Created at 1m10s in window [1m,2m), changed at 2m10s, the
// file for [1m,2m) first requested after that holds the entry as it was at the close.
func TestWindowAsOfClose(t *testing.T) {
	s := newStore()
	sc := scheduler(t, s, s.clock, compile(t, indicatorFeed))
	ctx := context.Background()
	regen := func(at time.Duration) {
		s.clock.Set(t0.Add(at))
		if err := sc.Regenerate(ctx, "ind"); err != nil {
			t.Fatal(err)
		}
	}
	regen(time.Minute)
	s.putAt(t, t0.Add(time.Minute+10*time.Second), indicator(1, "first name", t0))
	regen(2 * time.Minute)
	s.putAt(t, t0.Add(2*time.Minute+10*time.Second), indicator(1, "second name", t0.Add(time.Hour)))
	f := must[*csvfeed.File](t)(sc.File(ctx, "ind", amber()))
	if got := rows(t, f); !slices.Equal(got, []string{"first name"}) || f.Window.Since != t0.Add(time.Minute) {
		t.Errorf("window %v rows %q, want [first name] as at the window's close", f.Window, got)
	}
	regen(3 * time.Minute)
	if got := rows(t, must[*csvfeed.File](t)(sc.File(ctx, "ind", amber()))); !slices.Equal(got, []string{"second name"}) {
		t.Errorf("next window rows %q, want [second name]", got)
	}
}

// TestWindowSplitMillisecond: a window closes at a log position, so two windows may share
// a millisecond; changes of that millisecond go to the window their position falls in,
// whether the feed selects by last change or by creation.
func TestWindowSplitMillisecond(t *testing.T) {
	for _, attr := range []string{"updated_at", "created_at"} {
		t.Run(attr, func(t *testing.T) {
			s := newStore()
			def := strings.Replace(indicatorFeed, `"interval"`, `"feed_date_attribute":"`+attr+`","interval"`, 1)
			sc := scheduler(t, s, s.clock, compile(t, def))
			ctx := context.Background()
			at := t0.Add(time.Minute)
			var got [][]string
			gen := func() {
				if err := sc.Regenerate(ctx, "ind"); err != nil {
					t.Fatal(err)
				}
				got = append(got, rows(t, must[*csvfeed.File](t)(sc.File(ctx, "ind", amber()))))
			}
			s.putAt(t, at, indicator(1, "a", t0)) // all in one millisecond
			s.putAt(t, at, indicator(2, "b", t0))
			gen()
			s.putAt(t, at, indicator(3, "c", t0))
			s.putAt(t, at, indicator(1, "a2", t0.Add(time.Hour)))
			gen()
			gen()
			want := [][]string{{"b", "a"}, {"c"}, {}}
			if attr == "updated_at" {
				want[1] = []string{"c", "a2"}
			}
			for i := range want {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("generation %d rows %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

// TestWindowGapAfterRetention: a window's file needs the log since the window closed;
// when retention dropped it before the file was first asked for, the request fails with
// store.ErrGap instead of serving a file that differs from the window's. A window whose
// start the log no longer holds takes all of its first millisecond.
func TestWindowGapAfterRetention(t *testing.T) {
	c := &clock{t: t0}
	s := &testStore{Store: memstore.New(&memstore.Options{Clock: c.Now, MaxEvents: 3}), clock: c}
	sc := scheduler(t, s, c, compile(t, indicatorFeed))
	ctx := context.Background()
	s.putAt(t, t0.Add(time.Second), indicator(1, "a", t0))
	if err := sc.Regenerate(ctx, "ind"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		s.putAt(t, t0.Add(time.Duration(2+i)*time.Second), indicator(10+i, "later", t0))
	}
	_, err := sc.File(ctx, "ind", amber())
	if !errors.Is(err, store.ErrGap) {
		t.Fatalf("file after the log dropped the window's close: %v, want store.ErrGap", err)
	}
	// The next generation is served again. Its start (the previous close, a's change) is
	// no longer in the log either, so the log cannot say how a's millisecond splits: all
	// of it is taken, and a appears again rather than risking a loss (the documented
	// fallback).
	if err := sc.Regenerate(ctx, "ind"); err != nil {
		t.Fatal(err)
	}
	f, err := sc.File(ctx, "ind", amber())
	if err != nil {
		t.Fatalf("after regenerating: %v", err)
	}
	if got := rows(t, f); !slices.Equal(got, []string{"later", "later", "later", "later", "later", "a"}) {
		t.Errorf("after regenerating: rows %q, want the five later ones and a again", got)
	}
}

// TestWindowFileSameWheneverAsked: a closed window's file is a function of the window
// alone. Made at the close and made again after random later writes (updates, deletes,
// re-creations, some racing the second generation), the files are byte-identical, for
// both date attributes and with a cap that cuts.
func TestWindowFileSameWheneverAsked(t *testing.T) {
	for _, attr := range []string{"updated_at", "created_at"} {
		t.Run(attr, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(7, uint64(len(attr))))
			c := &clock{t: t0}
			s := &testStore{Store: memstore.New(&memstore.Options{Clock: c.Now, MaxEvents: -1}), clock: c}
			def := strings.Replace(indicatorFeed, `"interval"`, `"feed_date_attribute":"`+attr+`","max_rows":25,"interval"`, 1)
			f := compile(t, def)
			ctx := context.Background()
			vis := visibility(t)
			version := map[int]int{}
			write := func() {
				n := rnd.IntN(60)
				c.Add(time.Duration(rnd.IntN(3)) * time.Millisecond) // often several writes per millisecond
				if rnd.IntN(5) == 0 {
					if _, err := s.Delete(ctx, indicator(n, "", t0).ID()); err != nil && !errors.Is(err, store.ErrNotFound) {
						t.Error(err)
					}
					return
				}
				version[n]++
				o := indicator(n, fmt.Sprintf("n%d v%d", n, version[n]), t0.Add(time.Duration(version[n])*time.Second))
				if _, _, err := s.Put(ctx, o); err != nil {
					t.Error(err)
				}
			}
			var after store.Position
			for round := range 20 {
				for range 1 + rnd.IntN(30) {
					write()
				}
				b, err := s.Bounds(ctx)
				if err != nil {
					t.Fatal(err)
				}
				w := csvfeed.Window{Closed: true, After: after, Through: b.Last, Until: c.Now()}
				after = b.Last
				first := must[*csvfeed.File](t)(f.Generate(ctx, s, vis, amber(), w))
				var wg sync.WaitGroup
				for range 1 + rnd.IntN(30) {
					write()
				}
				wg.Go(func() { // writes racing the second generation
					for range 20 {
						n := 100 + rnd.IntN(20)
						if _, _, err := s.Put(ctx, indicator(n, "racing", t0)); err != nil {
							t.Error(err)
						}
					}
				})
				again := must[*csvfeed.File](t)(f.Generate(ctx, s, vis, amber(), w))
				wg.Wait()
				if first.String() != again.String() || first.Truncated != again.Truncated {
					t.Fatalf("round %d: the window's file changed after later writes:\nat the close:\n%s\nlater:\n%s", round, first, again)
				}
			}
		})
	}
}

// scanHook is a store whose next Scan first runs before: a change that lands after the
// generation read the log but before its scan, the race a file must survive.
type scanHook struct {
	*memstore.Store
	before func()
}

func (h *scanHook) Scan(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	if f := h.before; f != nil {
		h.before = nil
		f()
	}
	return h.Store.Scan(ctx, opts)
}

// TestWindowChangeDuringScan: an entry changed between the generation's first log read
// and its scan moves out of the scanned range; the log read after the scan finds it, and
// the file still holds it as it was at the close.
func TestWindowChangeDuringScan(t *testing.T) {
	c := &clock{t: t0}
	h := &scanHook{Store: memstore.New(&memstore.Options{Clock: c.Now, MaxEvents: -1})}
	ctx := context.Background()
	for n := range 3 {
		c.Set(t0.Add(time.Duration(n+1) * time.Second))
		if _, _, err := h.Put(ctx, indicator(n, fmt.Sprintf("n%d", n), t0)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := h.Bounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := csvfeed.Window{Closed: true, Through: b.Last}
	h.before = func() {
		c.Set(t0.Add(time.Hour))
		if _, _, err := h.Put(ctx, indicator(1, "changed", t0.Add(time.Hour))); err != nil {
			t.Error(err)
		}
	}
	file := must[*csvfeed.File](t)(compile(t, indicatorFeed).Generate(ctx, h, visibility(t), amber(), w))
	if got, want := rows(t, file), []string{"n2", "n1", "n0"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q (n1 as at the close)", got, want)
	}
}
