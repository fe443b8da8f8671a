package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// A delete and its cascade are one atomic step: while objects with relations are created and
// deleted, no reader ever sees part of a cascade, through GetMany, through as-of reads at the
// log's last position, or at the end of what Read returns (a cascade's relation deletes
// without the object's own).
func testCascadeAtomic(t *testing.T, s store.Store) {
	const rounds, rels = 40, 3
	hub := object(t, "malware")
	mustPut(t, s, hub)
	// The deadline only keeps a store that never wakes its waiters from hanging the suite.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var current atomic.Pointer[[]stix.ID] // the last fully created object and its relations
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { // readers of the current state and of the state as of the log's end
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			set := current.Load()
			if set == nil {
				runtime.Gosched() // the writer has not published a set yet
				continue
			}
			if m, err := s.GetMany(ctx, *set); err != nil || len(m) != 0 && len(m) != len(*set) {
				report(fmt.Errorf("GetMany saw %d of an object and its %d relations (%v): part of a cascade", len(m), rels, err))
			}
			b, err := s.Bounds(ctx)
			if err != nil {
				report(err)
				continue
			}
			if m, err := s.GetManyAt(ctx, b.Last, *set); err != nil || len(m) != 0 && len(m) != len(*set) {
				report(fmt.Errorf("as of the log's last position %s, %d of an object and its %d relations (%v): part of a cascade", b.Last, len(m), rels, err))
			}
		}
	}()
	go func() { // a follower: whenever a Read reaches the end of the log, no cascade is cut
		defer wg.Done()
		var pos store.Position
		for {
			if err := s.Wait(ctx, pos); err != nil {
				return
			}
			evs, err := s.Read(ctx, pos, 1000)
			if err != nil {
				if ctx.Err() == nil {
					report(err)
				}
				return
			}
			if n := len(evs); n > 0 && n < 1000 {
				if last := evs[n-1]; last.Kind == store.EventDelete && last.ID.Type() == "relationship" {
					report(fmt.Errorf("the log ended at %s, a relation's delete inside a cascade", last.Pos))
				}
				pos = evs[n-1].Pos
			}
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	// Every object is made here, on the test's goroutine: the writer never needs t.
	objs := make([][]*stix.Object, rounds)
	for i := range objs {
		o := object(t, "malware")
		objs[i] = []*stix.Object{o}
		for range rels {
			objs[i] = append(objs[i], relationship(t, o.ID(), hub.ID()))
		}
	}
	go func() {
		defer wg.Done()
		defer close(done)
		for _, group := range objs {
			o := group[0]
			set := make([]stix.ID, 0, len(group))
			for _, x := range group {
				if _, _, err := s.Put(ctx, x); err != nil {
					report(err)
					return
				}
				set = append(set, x.ID())
			}
			current.Store(&set)
			if _, err := s.Delete(ctx, o.ID()); err != nil {
				report(err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if rs, err := s.RelationsOf(t.Context(), hub.ID()); err != nil || len(rs) != 0 {
		t.Errorf("RelationsOf(hub) after every end was deleted = %d relations, %v; want none", len(rs), err)
	}
}

// Reads as of a position never change while the position is retained, whatever is written
// meanwhile, and equal the replay of the log up to it: readers ask as of the log's end while
// writers create, update, relate, merge and delete (cascading), and every answer is checked
// again afterwards and against the model.
func testAsOfRacingWrites(t *testing.T, s store.Store) {
	const writers, ops = 2, 50
	hub := object(t, "malware")
	mustPut(t, s, hub)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	ids := []stix.ID{hub.ID()}
	known := func() []stix.ID { mu.Lock(); defer mu.Unlock(); return append([]stix.ID(nil), ids...) }
	learn := func(id stix.ID) { mu.Lock(); ids = append(ids, id); mu.Unlock() }
	type seen struct {
		at  store.Position
		ids []stix.ID
		ans answer
	}
	var seenMu sync.Mutex
	var answers []seen
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				b, err := s.Bounds(ctx)
				if err != nil {
					report(err)
					return
				}
				if b.Last.IsZero() {
					continue
				}
				q := known()
				a, err := readAsOf(t, s, b.Last, q, []stix.ID{hub.ID()})
				if err != nil {
					report(err)
					return
				}
				seenMu.Lock()
				if len(answers) < 400 {
					answers = append(answers, seen{b.Last, q, a})
				}
				seenMu.Unlock()
			}
		}()
	}
	// Every new object and relationship is made here, on the test's goroutine: the writers
	// never need t.
	fresh := make([][][2]*stix.Object, writers)
	for w := range fresh {
		for range ops {
			o := object(t, "malware")
			fresh[w] = append(fresh[w], [2]*stix.Object{o, relationship(t, o.ID(), hub.ID())})
		}
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*stix.Object
			for i := range ops {
				var err error
				switch {
				case i%6 == 5 && len(mine) > 1: // merge the oldest into the newest
					tgt := mine[len(mine)-1]
					n, nerr := tgt.NewVersion(at(i), nil)
					if nerr != nil {
						report(nerr)
						return
					}
					_, err = s.Merge(ctx, n, []stix.ID{mine[0].ID()})
					mine = append(mine[1:len(mine)-1], n)
				case i%4 == 3 && len(mine) > 0: // delete the oldest: its relation to the hub goes first
					_, err = s.Delete(ctx, mine[0].ID())
					mine = mine[1:]
				case i%3 == 2 && len(mine) > 0: // a new version of the newest
					o := mine[len(mine)-1]
					n, nerr := o.NewVersion(at(i), func(m map[string]any) { m["name"] = fmt.Sprint(w, i) })
					if nerr != nil {
						report(nerr)
						return
					}
					mine[len(mine)-1] = n
					_, _, err = s.Put(ctx, n)
				default: // a new object related to the hub
					o, r := fresh[w][i][0], fresh[w][i][1]
					learn(o.ID())
					learn(r.ID())
					if _, _, err = s.Put(ctx, o); err == nil {
						_, _, err = s.Put(ctx, r)
					}
					mine = append(mine, o)
				}
				if err != nil {
					report(fmt.Errorf("writer %d op %d: %w", w, i, err))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	evs := readAll(t, s, store.Position{})
	models := replay(evs)
	byPos := make(map[store.Position]model, len(evs))
	for i, ev := range evs {
		byPos[ev.Pos] = models[i]
	}
	if len(answers) == 0 {
		t.Fatal("no reader got an answer while the writers ran")
	}
	// A broken store differs at most positions: report the first few, then how many.
	var diffs []error
	for _, a := range answers {
		what := fmt.Sprintf("as of %s, read while writing", a.at)
		if err := a.ans.diff(what, byPos[a.at], a.ids, []stix.ID{hub.ID()}); err != nil {
			diffs = append(diffs, err)
		}
		again, err := readAsOf(t, s, a.at, a.ids, []stix.ID{hub.ID()})
		if err == nil {
			err = again.diff(fmt.Sprintf("as of %s, read again after the writes", a.at), byPos[a.at], a.ids, []stix.ID{hub.ID()})
		}
		if err != nil {
			diffs = append(diffs, err)
		}
	}
	for i, err := range diffs {
		if i == 3 {
			t.Errorf("... and %d more answers differ from the replay of the log", len(diffs)-i)
			break
		}
		t.Error(err)
	}
}
