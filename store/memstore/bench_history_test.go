package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/internal/benchcpu"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// BenchmarkDelete removes an object, without relations and with 3 relationships, from a
// store of 10,000 others in a steady state: each op stores the object (and its relations)
// and removes them all again, so no op needs a rebuilt store. Removing is Delete(object),
// then Delete of each relation still stored: with cascading deletes the first call removes
// all four (the relations first) and GetMany finds none left, without them GetMany finds the
// three and each is deleted; the events and the final state are the same either way.
// Compare with create_only, the stores alone.
func BenchmarkDelete(b *testing.B) {
	ctx := context.Background()
	const pool = 1024
	for _, c := range []struct {
		name   string
		rels   int
		delete bool
	}{{"no_relations", 0, true}, {"3_relations", 3, true}, {"3_relations_create_only", 3, false}} {
		b.Run(c.name, func(b *testing.B) {
			s := memstore.New(&memstore.Options{MaxEvents: 10_000})
			for i := range 10_000 {
				if _, _, err := s.Put(ctx, sco(1<<20+i)); err != nil {
					b.Fatal(err)
				}
			}
			hubs := make([]stix.ID, 8)
			for i := range hubs {
				h := sco(1<<24 + i)
				if _, _, err := s.Put(ctx, h); err != nil {
					b.Fatal(err)
				}
				hubs[i] = h.ID()
			}
			objs := make([][]*stix.Object, pool) // each: the object, then its relations
			for i := range objs {
				o := sco(i)
				objs[i] = []*stix.Object{o}
				for j := range c.rels {
					r, err := stix.NewRelationship("related-to", o.ID(), hubs[(i+j)%len(hubs)], stix.Common{Created: time.Unix(0, 0)})
					if err != nil {
						b.Fatal(err)
					}
					objs[i] = append(objs[i], r)
				}
			}
			benchcpu.Loop(b, func(i int) {
				if !c.delete && i > 0 && i%pool == 0 {
					s = memstore.New(&memstore.Options{MaxEvents: 10_000}) // create_only: start afresh
				}
				set := objs[i%pool]
				for _, o := range set {
					if _, _, err := s.Put(ctx, o); err != nil {
						b.Fatal(err)
					}
				}
				if !c.delete {
					return
				}
				if _, err := s.Delete(ctx, set[0].ID()); err != nil {
					b.Fatal(err)
				}
				if len(set) == 1 {
					return
				}
				ids := make([]stix.ID, len(set)-1)
				for j, r := range set[1:] {
					ids[j] = r.ID()
				}
				left, err := s.GetMany(ctx, ids) // none after a cascade; all without one
				if err != nil {
					b.Fatal(err)
				}
				for id := range left {
					if _, err := s.Delete(ctx, id); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkGetManyAt reads 20 ids as of a position in the middle of a 50,000-event log
// (10,000 objects, each updated 4 times), against the same ids' current records.
func BenchmarkGetManyAt(b *testing.B) {
	ctx := context.Background()
	s := memstore.New(&memstore.Options{Clock: tickClock()})
	const n = 10_000
	objs := make([]*stix.Object, n)
	for i := range objs {
		o, err := stix.NewIndicator("x", "[ipv4-addr:value = '10.0.0.1']", time.Unix(0, 0),
			stix.Common{Created: time.Unix(0, 0), Modified: time.Unix(0, 0)})
		if err != nil {
			b.Fatal(err)
		}
		objs[i] = o
		if _, _, err := s.Put(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	var mid store.Position
	for v := 1; v <= 4; v++ {
		for i, o := range objs {
			nv, err := o.NewVersion(time.Unix(int64(v), 0), nil)
			if err != nil {
				b.Fatal(err)
			}
			objs[i] = nv
			ev, _, err := s.Put(ctx, nv)
			if err != nil {
				b.Fatal(err)
			}
			if v == 2 && i == n/2 {
				mid = ev.Pos
			}
		}
	}
	ids := make([]stix.ID, 20)
	for i := range ids {
		ids[i] = objs[i*n/len(ids)].ID()
	}
	b.Run("as_of_mid_log", func(b *testing.B) {
		benchcpu.Loop(b, func(int) {
			m, err := s.GetManyAt(ctx, mid, ids)
			if err != nil || len(m) != len(ids) {
				b.Fatal(len(m), err)
			}
		})
	})
	b.Run("baseline_GetMany_current", func(b *testing.B) {
		benchcpu.Loop(b, func(int) {
			m, err := s.GetMany(ctx, ids)
			if err != nil || len(m) != len(ids) {
				b.Fatal(len(m), err)
			}
		})
	})
}

// BenchmarkPutMany stores 100 new objects per op in one batch, against 100 Puts.
func BenchmarkPutMany(b *testing.B) {
	ctx := context.Background()
	const pool, batch = 200_000, 100
	objs := make([]*stix.Object, pool)
	for i := range objs {
		objs[i] = sco(i)
	}
	run := func(b *testing.B, put func(s *memstore.Store, objs []*stix.Object)) {
		s := memstore.New(&memstore.Options{MaxEvents: 10_000})
		benchcpu.Loop(b, func(n int) {
			i := n * batch % pool
			if i == 0 && n > 0 {
				s = memstore.New(&memstore.Options{MaxEvents: 10_000}) // the pool is used up: start afresh
			}
			put(s, objs[i:i+batch])
		})
	}
	b.Run("PutMany_100", func(b *testing.B) {
		run(b, func(s *memstore.Store, objs []*stix.Object) {
			if _, err := store.PutMany(ctx, s, objs); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("baseline_100_Puts", func(b *testing.B) {
		run(b, func(s *memstore.Store, objs []*stix.Object) {
			for _, o := range objs {
				if _, _, err := s.Put(ctx, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
