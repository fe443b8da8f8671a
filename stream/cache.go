package stream

import (
	"hash/maphash"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// sentCache remembers which objects one subscriber was sent and when, so that a dependency
// sent within the lifetime is not sent again. An entry lives ttl after it was last sent
// (finding it does not extend it, so a long-lived consumer gets shared dependencies again
// every ttl, as OpenCTI's cache does); beyond size entries the oldest sends are forgotten
// first. Forgetting too early only costs a duplicate create, which consumers upsert.
//
// It is compact because ten thousand subscribers each hold one: an entry is a 64-bit hash of
// the id and a send time (16 bytes in the send queue plus one map entry of 12), not the id
// itself, which would also keep alive the bytes of the object version it was read from. Two
// ids sharing a hash (the seed is random per cache, so the chance over a full cache of 10,000
// entries is about 10,000²/2⁶⁵ ≈ 3·10⁻¹²) would make the second look sent: at worst one
// dependency is not repeated to that subscriber within ttl.
//
// It is not safe for concurrent use: it belongs to one Subscriber.
type sentCache struct {
	ttl  time.Duration
	size int
	now  func() time.Time
	seed maphash.Seed
	// index maps an id's hash to its newest send's slot in queue (an absolute position:
	// queue[pos-base]). A slot whose position index does not hold is dead: sent again later,
	// or forgotten.
	index idTable
	queue []sentSlot // sends, oldest first
	base  uint64     // the absolute position of queue[0]
}

type sentSlot struct {
	key uint64
	at  int64 // Unix nanoseconds
}

func newSentCache(ttl time.Duration, size int, now func() time.Time) *sentCache {
	c := &sentCache{now: now, seed: maphash.MakeSeed()}
	c.configure(ttl, size)
	return c
}

func (c *sentCache) key(id stix.ID) uint64 { return maphash.String(c.seed, string(id)) }

// configure changes the bounds, evicting what no longer fits.
func (c *sentCache) configure(ttl time.Duration, size int) {
	c.ttl, c.size = ttl, size
	c.trim()
}

// fresh reports whether id was sent less than ttl ago.
func (c *sentCache) fresh(id stix.ID) bool { return c.freshAt(id, c.now()) }

// freshAt is fresh at a given time, so that a group reads the clock once.
func (c *sentCache) freshAt(id stix.ID, now time.Time) bool {
	k := c.key(id)
	pos, ok := c.index.get(k)
	if !ok {
		return false
	}
	if now.UnixNano()-c.queue[pos-c.base].at < int64(c.ttl) {
		return true
	}
	c.index.del(k)
	return false
}

// sent records that id was sent now.
func (c *sentCache) sent(id stix.ID) { c.sentAt(id, c.now()) }

// sentAt records that id was sent at now. A repeated send leaves its older slot dead in the
// queue; compact reclaims dead slots once they are as many as the live ones.
func (c *sentCache) sentAt(id stix.ID, now time.Time) {
	k := c.key(id)
	c.index.set(k, c.base+uint64(len(c.queue)))
	c.queue = append(c.queue, sentSlot{key: k, at: now.UnixNano()})
	c.trim()
	if len(c.queue) > 2*c.index.len()+64 {
		c.compact()
	}
}

// forget drops id: the subscriber's copy is deleted or may be stale.
func (c *sentCache) forget(id stix.ID) { c.index.del(c.key(id)) }

func (c *sentCache) len() int { return c.index.len() }

// live reports whether queue[i] is its key's newest send.
func (c *sentCache) live(i int) bool {
	pos, ok := c.index.get(c.queue[i].key)
	return ok && pos == c.base+uint64(i)
}

// trim forgets the oldest sends until at most size remain.
func (c *sentCache) trim() {
	drop := 0
	for c.index.len() > c.size && drop < len(c.queue) {
		if c.live(drop) {
			c.index.del(c.queue[drop].key)
		}
		drop++
	}
	if drop > 0 {
		c.queue = c.queue[drop:]
		c.base += uint64(drop)
	}
}

// compact moves the live slots to the front of a queue sized for them, so that the queue's
// memory follows the live entries, not the sends made.
func (c *sentCache) compact() {
	q := make([]sentSlot, 0, c.index.len()+c.index.len()/4+16)
	for i := range c.queue {
		if c.live(i) {
			q = append(q, c.queue[i])
		}
	}
	c.base += uint64(len(c.queue)) // fresh positions: none collides with an old one
	for i, s := range q {
		c.index.set(s.key, c.base+uint64(i))
	}
	c.queue = q
}

// clear forgets everything.
func (c *sentCache) clear() {
	c.index.clear()
	c.base += uint64(len(c.queue))
	c.queue = c.queue[:0]
}
