package stream

import (
	"container/list"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// This file keeps the first sent cache (the ids themselves in a map and a linked list) as an
// oracle for the compact one: TestSentCacheMatchesListCache drives both through the same
// random operations and compares every answer.

type listCache struct {
	ttl   time.Duration
	size  int
	now   func() time.Time
	index map[stix.ID]*list.Element
	order list.List // of *listCacheEntry, oldest send at the front
}

type listCacheEntry struct {
	id stix.ID
	at time.Time
}

func newListCache(ttl time.Duration, size int, now func() time.Time) *listCache {
	c := &listCache{now: now, index: make(map[stix.ID]*list.Element)}
	c.configure(ttl, size)
	return c
}

// configure changes the bounds, evicting what no longer fits.
func (c *listCache) configure(ttl time.Duration, size int) {
	c.ttl, c.size = ttl, size
	c.trim()
}

// fresh reports whether id was sent less than ttl ago.
func (c *listCache) fresh(id stix.ID) bool { return c.freshAt(id, c.now()) }

// freshAt is fresh at a given time, so that a group reads the clock once.
func (c *listCache) freshAt(id stix.ID, now time.Time) bool {
	e, ok := c.index[id]
	if !ok {
		return false
	}
	if now.Sub(e.Value.(*listCacheEntry).at) < c.ttl {
		return true
	}
	c.order.Remove(e)
	delete(c.index, id)
	return false
}

// sent records that id was sent now.
func (c *listCache) sent(id stix.ID) { c.sentAt(id, c.now()) }

// sentAt records that id was sent at now.
func (c *listCache) sentAt(id stix.ID, now time.Time) {
	if e, ok := c.index[id]; ok {
		e.Value.(*listCacheEntry).at = now
		c.order.MoveToBack(e)
		return
	}
	c.index[id] = c.order.PushBack(&listCacheEntry{id: id, at: now})
	c.trim()
}

// forget drops id: the subscriber's copy is deleted or may be stale.
func (c *listCache) forget(id stix.ID) {
	if e, ok := c.index[id]; ok {
		c.order.Remove(e)
		delete(c.index, id)
	}
}

func (c *listCache) len() int { return len(c.index) }

func (c *listCache) trim() {
	for len(c.index) > c.size {
		e := c.order.Front()
		c.order.Remove(e)
		delete(c.index, e.Value.(*listCacheEntry).id)
	}
}

// clear forgets everything.
func (c *listCache) clear() {
	clear(c.index)
	c.order.Init()
}

func TestSentCacheMatchesListCache(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		ttl, size := time.Duration(1+r.IntN(100))*time.Second, 1+r.IntN(40)
		got, want := newSentCache(ttl, size, clock), newListCache(ttl, size, clock)
		for op := range 5000 {
			id := cid(r.IntN(60))
			switch n := r.IntN(100); {
			case n < 40:
				got.sent(id)
				want.sent(id)
			case n < 80:
				if g, w := got.fresh(id), want.fresh(id); g != w {
					t.Fatalf("seed %d op %d: fresh(%s) = %v, want %v", seed, op, id, g, w)
				}
			case n < 88:
				got.forget(id)
				want.forget(id)
			case n < 97:
				now = now.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
			case n < 99:
				ttl, size = time.Duration(1+r.IntN(100))*time.Second, 1+r.IntN(40)
				got.configure(ttl, size)
				want.configure(ttl, size)
			default:
				got.clear()
				want.clear()
			}
			if got.len() != want.len() {
				t.Fatalf("seed %d op %d: len %d, want %d", seed, op, got.len(), want.len())
			}
			if len(got.queue) > 2*got.len()+64+1 {
				t.Fatalf("seed %d op %d: queue of %d slots for %d entries", seed, op, len(got.queue), got.len())
			}
		}
	}
}

// BenchmarkSentCacheFull measures a full cache's live heap per entry, for the compact cache
// and the list cache it replaced, on the ids of store-held objects (which the list cache
// kept alive). Each op is one send to a full cache of DefaultCacheSize entries.
func BenchmarkSentCacheFull(b *testing.B) {
	ids := make([]stix.ID, 2*DefaultCacheSize)
	for i := range ids {
		ids[i] = cid(i)
	}
	clock := func() time.Time { return time.Unix(1e9, 0) }
	run := func(b *testing.B, sent func(stix.ID)) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, id := range ids[:DefaultCacheSize] {
			sent(id)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEntry := float64(after.HeapAlloc-before.HeapAlloc) / DefaultCacheSize
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sent(ids[i%len(ids)])
			i++
		}
		b.ReportMetric(perEntry, "heapB/entry")
	}
	b.Run("compact", func(b *testing.B) {
		c := newSentCache(time.Hour, DefaultCacheSize, clock)
		run(b, c.sent)
		runtime.KeepAlive(c)
	})
	b.Run("list", func(b *testing.B) {
		c := newListCache(time.Hour, DefaultCacheSize, clock)
		run(b, c.sent)
		runtime.KeepAlive(c)
	})
}
