package pgstore

import (
	"slices"
	"sync"

	"github.com/ctifeed/ctifeed/store"
)

// readKey identifies a Read.
type readKey struct {
	after store.Position
	limit int
}

// coalescer shares one query among concurrent identical Reads: the subscribers of a live
// stream are woken together by the same commit and ask for the events after the same
// position, so N subscribers on a node cost one query instead of N. Events are immutable,
// so sharing the result is safe.
type coalescer struct {
	mu    sync.Mutex
	calls map[readKey]*readCall
}

type readCall struct {
	done chan struct{}
	evs  []store.Event
	err  error
}

func (c *coalescer) do(k readKey, fn func() ([]store.Event, error)) ([]store.Event, error) {
	c.mu.Lock()
	if call, ok := c.calls[k]; ok {
		c.mu.Unlock()
		<-call.done
		return slices.Clip(call.evs), call.err // an append by one caller never reaches another's
	}
	if c.calls == nil {
		c.calls = map[readKey]*readCall{}
	}
	call := &readCall{done: make(chan struct{})}
	c.calls[k] = call
	c.mu.Unlock()
	call.evs, call.err = fn()
	c.mu.Lock()
	delete(c.calls, k)
	c.mu.Unlock()
	close(call.done)
	return call.evs, call.err
}
