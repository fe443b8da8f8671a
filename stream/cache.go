package stream

import (
	"container/list"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// sentCache remembers which objects one subscriber was sent and when, so that a dependency
// sent within the lifetime is not sent again. An entry lives ttl after it was last sent
// (finding it does not extend it, so a long-lived consumer gets shared dependencies again
// every ttl, as OpenCTI's cache does); beyond size entries the oldest sends are forgotten
// first. Forgetting too early only costs a duplicate create, which consumers upsert.
//
// It is not safe for concurrent use: it belongs to one Subscriber.
type sentCache struct {
	ttl   time.Duration
	size  int
	now   func() time.Time
	index map[stix.ID]*list.Element
	order list.List // of *sentEntry, oldest send at the front
}

type sentEntry struct {
	id stix.ID
	at time.Time
}

func newSentCache(ttl time.Duration, size int, now func() time.Time) *sentCache {
	c := &sentCache{now: now, index: make(map[stix.ID]*list.Element)}
	c.configure(ttl, size)
	return c
}

// configure changes the bounds, evicting what no longer fits.
func (c *sentCache) configure(ttl time.Duration, size int) {
	c.ttl, c.size = ttl, size
	c.trim()
}

// fresh reports whether id was sent less than ttl ago.
func (c *sentCache) fresh(id stix.ID) bool { return c.freshAt(id, c.now()) }

// freshAt is fresh at a given time, so that a group reads the clock once.
func (c *sentCache) freshAt(id stix.ID, now time.Time) bool {
	e, ok := c.index[id]
	if !ok {
		return false
	}
	if now.Sub(e.Value.(*sentEntry).at) < c.ttl {
		return true
	}
	c.order.Remove(e)
	delete(c.index, id)
	return false
}

// sent records that id was sent now.
func (c *sentCache) sent(id stix.ID) { c.sentAt(id, c.now()) }

// sentAt records that id was sent at now.
func (c *sentCache) sentAt(id stix.ID, now time.Time) {
	if e, ok := c.index[id]; ok {
		e.Value.(*sentEntry).at = now
		c.order.MoveToBack(e)
		return
	}
	c.index[id] = c.order.PushBack(&sentEntry{id: id, at: now})
	c.trim()
}

// forget drops id: the subscriber's copy is deleted or may be stale.
func (c *sentCache) forget(id stix.ID) {
	if e, ok := c.index[id]; ok {
		c.order.Remove(e)
		delete(c.index, id)
	}
}

func (c *sentCache) len() int { return len(c.index) }

func (c *sentCache) trim() {
	for len(c.index) > c.size {
		e := c.order.Front()
		c.order.Remove(e)
		delete(c.index, e.Value.(*sentEntry).id)
	}
}

// clear forgets everything.
func (c *sentCache) clear() {
	clear(c.index)
	c.order.Init()
}
