package stream

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ctifeed/ctifeed/stix"
)

// bigIndicator is an indicator with a description of size bytes.
func bigIndicator(i, size int) *stix.Object {
	c := stix.Common{ID: stix.ID(fmt.Sprintf("indicator--10000000-0000-4000-8000-%012d", i)), Created: t0, Modified: t0,
		Extra: map[string]any{"description": strings.Repeat("x", size)}}
	o, err := stix.NewIndicator(fmt.Sprintf("big-%d", i), "[ipv4-addr:value = '10.0.0.2']", t0, c)
	if err != nil {
		panic(err)
	}
	return o
}

// 200 subscribers receive every message while another consumer, which never reads, has
// filled its connection's buffers; that one is disconnected by the write timeout, and when
// everything is closed no goroutine is left.
func TestHandlerManySubscribersAndOneThatNeverReads(t *testing.T) {
	defer goleak.VerifyNone(t)
	const readers, events = 200, 20
	e := newEnv(t, envOptions{realEngine: true, writeTimeout: time.Second}, publicDef("s"))

	// A backlog far larger than the socket buffers, for the consumer that never reads.
	for i := range 160 {
		mustPut(t, e.store, bigIndicator(i, 100<<10))
	}
	stuck, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if _, err := fmt.Fprintf(stuck, "GET /stream/s?from=0 HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for e.h.active.Load() < 1 {
		time.Sleep(time.Millisecond)
	}

	// The readers start live, after the backlog.
	streams := make([]*stream, readers)
	for i := range streams {
		streams[i] = e.open("/stream/s")
		if ev, err := streams[i].next(false); err != nil || ev.Event != "connected" {
			t.Fatalf("reader %d: %+v %v", i, ev, err)
		}
	}
	var want []string
	for i := range events {
		ev := mustPut(t, e.store, indicator(1000+i))
		want = append(want, ev.Pos.String())
	}
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for i, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < events; {
				ev, err := s.r.Next()
				if err != nil {
					errs <- fmt.Errorf("reader %d after %d events: %w", i, j, err)
					return
				}
				if ev.Event == "create" {
					if ev.ID != want[j] {
						errs <- fmt.Errorf("reader %d: event %d has id %s, want %s", i, j, ev.ID, want[j])
						return
					}
					j++
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, s := range streams {
		s.close()
	}
	// Close returns once the blocked write has timed out; then what the consumer that never
	// read was sent shows it was cut off before the end of its backlog.
	e.h.Close()
	e.srv.Close()
	sent, _ := io.ReadAll(stuck)
	if n := bytes.Count(sent, []byte("event: create\n")); n >= 160+events {
		t.Errorf("the consumer that never reads received all %d frames: the backlog fit in the socket buffers, so no write blocked", n)
	}
	stuck.Close()
	e.close()
}
