package pgstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/pgstore"
)

// Eight writers on eight connections (two nodes, so two pools) race while a follower reads
// the log with Read and Wait. Positions must be strictly increasing; every write's event
// must be in the log once; and the follower, which only ever reads after the last position
// it saw, must end with exactly the log: an event committed after a later position was
// visible would be skipped by it, so this checks that commit order is position order.
func TestEightWritersCommitInPositionOrder(t *testing.T) {
	a, dsn := open(t, &pgstore.Options{MaxConns: 8})
	b, err := pgstore.Open(t.Context(), dsn, &pgstore.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const writers, perWriter = 8, 40
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	followed := make(chan []store.Event, 1)
	stop := make(chan struct{})
	go func() {
		var seen []store.Event
		var after store.Position
		defer func() { followed <- seen }()
		for {
			evs, err := b.Read(ctx, after, 7)
			if err != nil {
				t.Errorf("follower: %v", err)
				return
			}
			if len(evs) > 0 {
				seen = append(seen, evs...)
				after = evs[len(evs)-1].Pos
				continue
			}
			select {
			case <-stop:
				if len(seen) == writers*perWriter {
					return
				}
			default:
			}
			wctx, wcancel := context.WithTimeout(ctx, 100*time.Millisecond)
			err = b.Wait(wctx, after)
			wcancel()
			if err != nil && ctx.Err() != nil {
				t.Errorf("follower: %v", err)
				return
			}
		}
	}()

	var mu sync.Mutex
	wrote := map[store.Position]stix.ID{}
	var wg sync.WaitGroup
	for w := range writers {
		node := []*pgstore.Store{a, b}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				o := newIndicator(t, w*perWriter+i)
				var ev store.Event
				if i%4 == 3 { // some batches of one, to mix both write paths
					res, err := node.PutMany(ctx, []*stix.Object{o})
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					ev = res[0].Event
				} else {
					var err error
					if ev, _, err = node.Put(ctx, o); err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
				mu.Lock()
				if prev, dup := wrote[ev.Pos]; dup {
					t.Errorf("position %s given to %s and %s", ev.Pos, prev, o.ID())
				}
				wrote[ev.Pos] = o.ID()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stop)
	seen := <-followed

	log := readLog(t, a)
	if len(log) != writers*perWriter {
		t.Fatalf("the log holds %d events, want %d", len(log), writers*perWriter)
	}
	for i, ev := range log {
		if i > 0 && ev.Pos.Compare(log[i-1].Pos) <= 0 {
			t.Errorf("position %s after %s", ev.Pos, log[i-1].Pos)
		}
		if wrote[ev.Pos] != ev.ID {
			t.Errorf("the log's event %s is for %s, the writer was told %s", ev.Pos, ev.ID, wrote[ev.Pos])
		}
	}
	if len(seen) != len(log) {
		t.Fatalf("the follower saw %d events, the log holds %d: commit order differs from position order", len(seen), len(log))
	}
	for i := range seen {
		if seen[i].Pos != log[i].Pos {
			t.Fatalf("the follower's event %d is %s, the log's %s", i, seen[i].Pos, log[i].Pos)
		}
	}
}

func readLog(t *testing.T, s store.Log) []store.Event {
	t.Helper()
	var out []store.Event
	for ev, err := range store.Events(t.Context(), s, store.Position{}, 500) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}
