package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// A follower waits at the end of the log and is woken by the next write, as a live-stream
// subscriber is. A fixed clock makes the positions deterministic.
func ExampleStore_Wait() {
	ctx := context.Background()
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	s := memstore.New(&memstore.Options{Clock: func() time.Time { return at }, MaxEvents: 1000})

	b, _ := s.Bounds(ctx)
	woken := make(chan []store.Event)
	go func() {
		if err := s.Wait(ctx, b.Last); err != nil {
			fmt.Println(err)
			return
		}
		evs, _ := s.Read(ctx, b.Last, 10)
		woken <- evs
	}()

	ip, _ := stix.NewSCO("ipv4-addr", map[string]any{"value": "198.51.100.7"})
	s.Put(ctx, ip)
	for _, ev := range <-woken {
		fmt.Println(ev.Pos, ev.Kind, ev.Cur.Get("value"))
	}
	// Output:
	// 1714557600000-0 create 198.51.100.7
}
