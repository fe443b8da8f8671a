package stream

import (
	"context"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/store"
)

// Observer watches a [Handler]'s connections, for metrics and tracing, without this
// package depending on a metrics library. ObserveStart's context reaches every later call
// for the same connection, so a host can hang a timer or a span on it. An Observer may
// also implement [GroupObserver] and [GapObserver]; the handler discovers them by type
// assertion. Methods are called from the connection's goroutine and must not block.
type Observer interface {
	// ObserveStart is called when a consumer's stream starts, after it was authorized.
	ObserveStart(ctx context.Context, d StartData) context.Context
	// ObserveEnd is called when it ends, with why (nil: the consumer or the server
	// closed it).
	ObserveEnd(ctx context.Context, d EndData)
}

// GroupObserver is told of every log event a connection has processed.
type GroupObserver interface {
	// ObserveGroup is called after the frames of one event (none when the stream
	// filtered it out or the consumer already had them) or of one recovery snapshot were
	// written.
	ObserveGroup(ctx context.Context, d GroupData)
}

// GapObserver is told of gap frames.
type GapObserver interface {
	// ObserveGap is called after a gap frame was written, before its recovery snapshot.
	ObserveGap(ctx context.Context, d GapData)
}

// StartData describes a connection that starts.
type StartData struct {
	StreamID  string
	Principal *access.Principal // as authorized; the observer must not modify it
}

// EndData describes a connection that ended.
type EndData struct {
	StreamID string
	Err      error
}

// GroupData describes one group of frames written.
type GroupData struct {
	StreamID string
	// Messages and Bytes are the frames written and their data's size.
	Messages, Bytes int
	// Pos is how far the connection has read the log after the group: the position to read
	// after (as store.Log.Read takes it) to find the events it has not processed.
	Pos store.Position
	// Recovery is true for a recovery snapshot (the recover parameter or after a gap).
	Recovery bool
}

// GapData describes a gap frame.
type GapData struct {
	StreamID string
	Gap      Gap
}

// observation is one connection's observer and the context its start returned; it lives
// as long as the connection, which is why the context is kept rather than passed.
type observation struct {
	obs             Observer
	ctx             context.Context
	messages, bytes int // written since the last group was observed
}

// frame counts one frame written.
func (o *observation) frame(bytes int) {
	o.messages++
	o.bytes += bytes
}

func (c *conn) observeStart(ctx context.Context) {
	if c.h.obs == nil {
		return
	}
	c.o = observation{obs: c.h.obs, ctx: c.h.obs.ObserveStart(ctx, StartData{StreamID: c.id, Principal: c.runAs})}
}

func (c *conn) observeEnd(err error) {
	if c.o.obs != nil {
		c.o.obs.ObserveEnd(c.o.ctx, EndData{StreamID: c.id, Err: err})
	}
}

// observeGroup reports the frames written since the last call as one group ending at c.pos.
func (c *conn) observeGroup(recovery bool) {
	if g, ok := c.o.obs.(GroupObserver); ok {
		g.ObserveGroup(c.o.ctx, GroupData{StreamID: c.id, Messages: c.o.messages, Bytes: c.o.bytes, Pos: c.pos, Recovery: recovery})
	}
	c.o.messages, c.o.bytes = 0, 0
}

func (c *conn) observeGap(gap Gap) {
	if g, ok := c.o.obs.(GapObserver); ok {
		g.ObserveGap(c.o.ctx, GapData{StreamID: c.id, Gap: gap})
	}
}
