package stream

import (
	"fmt"
	"math"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// Issue 15, item 6: recovery snapshots are streamed in batches, so a recover connection
// whose consumer does not read holds about one batch, whatever the snapshot's size. Before,
// each connection computed its whole snapshot first (about 12 MB each for 100 anonymous
// connections on an 81k-object store). The test opens 10 recover connections on a
// 20,000-object store that never read, and measures the Go heap they hold once their
// writes are blocked.
func TestHandlerRecoverConnectionsHoldBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a 20,000-object store")
	}
	const objects, conns = 20_000, 10
	// The sent-objects cache is bounded on its own (Options.CacheSize, 10,000 by default,
	// about 1.5 MB when full); a small one here leaves the batch as what is measured.
	def := publicDef("s")
	def.Defaults.CacheSize = 500
	e := newEnv(t, envOptions{realEngine: true, writeTimeout: time.Minute}, def)
	var last time.Time
	for i := range objects {
		ev := mustPut(t, e.store, indicator(100_000+i))
		last = ev.Time
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", e.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		fmt.Fprintf(c, "GET /stream/s?from=0&recover=%s HTTP/1.1\r\nHost: test\r\n\r\n", stix.FormatTime(last.Add(time.Second)))
	}
	for e.h.active.Load() < conns {
		time.Sleep(time.Millisecond)
	}
	// Let every connection run until its socket buffers are full and its write blocks: the
	// heap then stops growing. A sample taken while some connections still run counts
	// their transient work too (on a loaded machine that can last seconds), so the figure
	// is the lowest sample once three in a row agree within 5%: a connection that held its
	// whole snapshot would hold it in every sample.
	held, stable := uint64(math.MaxUint64), 0
	prev := uint64(0)
	for i := 0; i < 150 && stable < 3; i++ {
		time.Sleep(100 * time.Millisecond)
		h := heap()
		now := h - min(before, h)
		if now <= prev+prev/20 && now+now/20 >= prev {
			stable++
		} else {
			stable = 0
		}
		prev = now
		held = min(held, now)
	}
	per := held / conns
	t.Logf("%d recover connections that do not read on %d objects hold %d KB of heap, %d KB each", conns, objects, held>>10, per>>10)
	// A whole snapshot of 20,000 messages is several MB per connection; one batch of 256,
	// a scan page, the small cache and the connection's buffers are well under one.
	if per > 1<<20 {
		t.Errorf("each connection holds %d KB: more than one batch", per>>10)
	}
}
