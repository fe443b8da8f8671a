package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Every method called with a done context returns its error and changes nothing.
func testCancelled(t *testing.T, s store.Store) {
	o := object(t, "malware")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"Put": func() error { _, _, err := s.Put(ctx, o); return err },
		"Merge": func() error {
			_, err := s.Merge(ctx, o, []stix.ID{stix.NewID("malware")})
			return err
		},
		"Delete":      func() error { _, err := s.Delete(ctx, o.ID()); return err },
		"Get":         func() error { _, err := s.Get(ctx, o.ID()); return err },
		"GetMany":     func() error { _, err := s.GetMany(ctx, []stix.ID{o.ID()}); return err },
		"Versions":    func() error { _, err := s.Versions(ctx, o.ID()); return err },
		"RelationsOf": func() error { _, err := s.RelationsOf(ctx, o.ID()); return err },
		"GetManyAt": func() error {
			_, err := s.GetManyAt(ctx, store.Position{}, []stix.ID{o.ID()})
			return err
		},
		"RelationsOfAt": func() error { _, err := s.RelationsOfAt(ctx, store.Position{}, o.ID()); return err },
		"Scan":          func() error { _, err := store.Scan(ctx, s, store.ScanOptions{Limit: 1}); return err },
		"Read":          func() error { _, err := s.Read(ctx, store.Position{}, 1); return err },
		"Wait":          func() error { return s.Wait(ctx, store.Position{}) },
		"Bounds":        func() error { _, err := s.Bounds(ctx); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error = %v, want context.Canceled", name, err)
		}
	}
	if _, err := s.Get(t.Context(), o.ID()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a Put with a cancelled context stored the object (Get error %v)", err)
	}
	if got := lastPos(t, s); !got.IsZero() {
		t.Errorf("calls with a cancelled context appended to the log (last %s)", got)
	}
}

// Writers and readers at once (run it under -race): every write's event is in the log once,
// in position order; scans stay ordered; a follower sees every event; the final state adds up.
func testConcurrent(t *testing.T, s store.Store) {
	const writers, ops = 4, 60
	// The deadline only keeps a store that never wakes its waiters from hanging the suite.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	var mu sync.Mutex
	var wrote []store.Event
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*stix.Object
			for i := range ops {
				var ev store.Event
				var err error
				switch {
				case i%5 == 3 && len(mine) > 0: // update the latest
					o := mine[len(mine)-1]
					n, nerr := o.NewVersion(at(i), func(m map[string]any) { m["name"] = fmt.Sprint(w, i) })
					if nerr != nil {
						report(nerr)
						return
					}
					mine[len(mine)-1] = n
					ev, _, err = s.Put(ctx, n)
				case i%7 == 6 && len(mine) > 0: // delete the oldest
					ev, err = s.Delete(ctx, mine[0].ID())
					mine = mine[1:]
				case i%11 == 10 && len(mine) > 1: // merge the oldest into the latest
					target := mine[len(mine)-1]
					n, nerr := target.NewVersion(at(i), nil)
					if nerr != nil {
						report(nerr)
						return
					}
					ev, err = s.Merge(ctx, n, []stix.ID{mine[0].ID()})
					mine = append(mine[1:len(mine)-1], n)
				default:
					o, oerr := stix.New("malware", map[string]any{"name": "concurrent"}, stix.Common{Created: at(0)})
					if oerr != nil {
						report(oerr)
						return
					}
					mine = append(mine, o)
					ev, _, err = s.Put(ctx, o)
				}
				if err != nil {
					report(fmt.Errorf("writer %d op %d: %w", w, i, err))
					return
				}
				mu.Lock()
				wrote = append(wrote, ev)
				mu.Unlock()
			}
		}()
	}

	// Scanners: every page in order while writes go on.
	var readers sync.WaitGroup
	for r := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			d := directions()[r*3%4]
			for ctx.Err() == nil {
				var prev *key
				for rec, err := range store.All(ctx, s, store.ScanOptions{Order: d.order, Descending: d.desc, Limit: 7}) {
					if err != nil {
						if ctx.Err() == nil {
							report(fmt.Errorf("scan: %w", err))
						}
						return
					}
					k := keyOf(rec, d.order)
					if prev != nil {
						if c := k.compare(*prev); d.desc && c >= 0 || !d.desc && c <= 0 {
							report(fmt.Errorf("%v: concurrent scan out of order: %v after %v", d, k, *prev))
						}
					}
					prev = &k
				}
			}
		}()
	}

	// A follower reads the log as a stream subscriber does: wait, read, repeat.
	progress := make(chan []store.Event)
	go func() {
		pos := store.Position{}
		for {
			if err := s.Wait(ctx, pos); err != nil {
				return
			}
			evs, err := s.Read(ctx, pos, 50)
			if err != nil {
				if ctx.Err() == nil {
					report(fmt.Errorf("follower: %w", err))
				}
				return
			}
			if len(evs) == 0 {
				report(fmt.Errorf("follower: Wait(after %s) returned but Read found nothing", pos))
				return
			}
			select {
			case progress <- evs:
			case <-ctx.Done():
				return
			}
			pos = evs[len(evs)-1].Pos
		}
	}()

	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()
	var followed []store.Event
	var final store.Position
loop:
	for {
		select {
		case evs := <-progress:
			followed = append(followed, evs...)
		case <-writersDone:
			writersDone = nil
			final = lastPos(t, s)
		case err := <-errs:
			t.Error(err)
			break loop
		case <-ctx.Done():
			t.Errorf("the follower stopped at %d events before the writers' last event %s", len(followed), final)
			break loop
		}
		if writersDone == nil && (final.IsZero() || len(followed) > 0 && followed[len(followed)-1].Pos == final) {
			break
		}
	}
	cancel()
	wg.Wait()
	readers.Wait()
	for len(errs) > 0 {
		t.Error(<-errs)
	}

	inLog := readAll(t, s, store.Position{})
	if len(inLog) != len(wrote) {
		t.Errorf("log holds %d events, writes returned %d", len(inLog), len(wrote))
	}
	byPos := map[store.Position]store.Event{}
	for i, ev := range inLog {
		if i > 0 && ev.Pos.Compare(inLog[i-1].Pos) <= 0 {
			t.Errorf("log position %s does not follow %s", ev.Pos, inLog[i-1].Pos)
		}
		byPos[ev.Pos] = ev
	}
	for _, ev := range wrote {
		if got, ok := byPos[ev.Pos]; !ok || got.ID != ev.ID || got.Kind != ev.Kind {
			t.Errorf("write's event %s %v %s is not in the log", ev.Pos, ev.Kind, ev.ID)
		}
	}
	if !t.Failed() && len(followed) != len(inLog) {
		t.Errorf("the follower saw %d events, the log holds %d", len(followed), len(inLog))
	}
	live := 0
	for _, ev := range inLog {
		switch ev.Kind {
		case store.EventCreate:
			live++
		case store.EventDelete:
			live--
		case store.EventMerge:
			live -= len(ev.Sources)
		}
	}
	if n, err := store.Count(t.Context(), s); err != nil || n != live {
		t.Errorf("Count = %d, %v; the log's creates minus removals = %d", n, err, live)
	}
}
