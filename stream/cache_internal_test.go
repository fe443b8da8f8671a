package stream

import (
	"fmt"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

func cid(n int) stix.ID { return stix.ID(fmt.Sprintf("malware--00000000-0000-4000-8000-%012d", n)) }

func TestSentCache(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	t.Run("an entry is fresh for ttl after it was sent, not at ttl", func(t *testing.T) {
		c := newSentCache(time.Minute, 10, clock)
		c.sent(cid(1))
		now = now.Add(time.Minute - time.Nanosecond)
		if !c.fresh(cid(1)) {
			t.Error("expired before ttl")
		}
		now = now.Add(time.Nanosecond)
		if c.fresh(cid(1)) {
			t.Error("still fresh at ttl")
		}
		if c.len() != 0 {
			t.Error("an expired entry found by fresh is not dropped")
		}
	})
	t.Run("finding an entry does not extend it; sending again does", func(t *testing.T) {
		c := newSentCache(time.Minute, 10, clock)
		c.sent(cid(1))
		now = now.Add(30 * time.Second)
		c.fresh(cid(1))
		now = now.Add(30 * time.Second)
		if c.fresh(cid(1)) {
			t.Error("a lookup extended the entry")
		}
		c.sent(cid(1))
		now = now.Add(59 * time.Second)
		if !c.fresh(cid(1)) {
			t.Error("sending again did not extend the entry")
		}
	})
	t.Run("beyond size the oldest send is forgotten first", func(t *testing.T) {
		c := newSentCache(time.Hour, 2, clock)
		c.sent(cid(1))
		c.sent(cid(2))
		c.sent(cid(1)) // 1 is now the newest send
		c.sent(cid(3))
		if c.fresh(cid(2)) || !c.fresh(cid(1)) || !c.fresh(cid(3)) {
			t.Errorf("want 2 evicted, 1 and 3 kept")
		}
	})
	t.Run("forget drops an entry; forgetting an unknown id is harmless", func(t *testing.T) {
		c := newSentCache(time.Hour, 2, clock)
		c.sent(cid(1))
		c.forget(cid(1))
		c.forget(cid(9))
		if c.fresh(cid(1)) || c.len() != 0 {
			t.Error("forgotten entry still known")
		}
	})
	t.Run("shrinking evicts what no longer fits", func(t *testing.T) {
		c := newSentCache(time.Hour, 3, clock)
		for i := range 3 {
			c.sent(cid(i))
		}
		c.configure(time.Hour, 1)
		if c.len() != 1 || !c.fresh(cid(2)) {
			t.Errorf("after shrinking to 1: %d entries", c.len())
		}
	})
}
