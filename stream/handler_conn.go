package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/google/uuid"

	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/store"
)

// errEnded ends a connection because the stream or the caller's access changed.
var errEnded = errors.New("stream: connection ended by a definition or access change")

// conn is one consumer's connection. It is used by one goroutine.
type conn struct {
	h         *Handler
	r         *http.Request
	id        string
	def       Definition
	principal *access.Principal // as authenticated (nil: anonymous)
	runAs     *access.Principal // as authorized
	proc      processor

	w *sse.Writer
	// pos is the last log position whose messages were all written: the resume point.
	pos       store.Position
	nextCheck time.Time
	wrote     bool   // a change frame was written since the last heartbeat tick
	buf       []byte // one frame's data, reused
	o         observation
}

// run writes the stream until ctx ends, a write fails or the stream or access changes.
func (c *conn) run(ctx context.Context, w http.ResponseWriter, prm params) error {
	b, err := c.h.src.Bounds(ctx)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "the stream is unavailable; retry later")
		return err
	}
	sse.SetHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	c.w = sse.NewWriter(w)
	data, err := json.Marshal(connectedFrom(b, uuid.NewString()))
	if err != nil {
		return err
	}
	if err := c.w.WriteEvent(sse.Event{Event: "connected", Data: data}); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}

	switch {
	case prm.hasFrom:
		c.pos = prm.from
	case !prm.recover.IsZero():
		c.pos = store.Position{} // a recovery without from starts at the beginning
	default:
		c.pos = b.Last // live only (see the Handler doc)
	}
	if !prm.recover.IsZero() {
		if err := c.recoverUntil(ctx, prm.recover, b.Last); err != nil {
			return err
		}
	}
	return c.live(ctx)
}

// recoverUntil sends the recovery snapshot of the objects changed between the resume
// point and until, then moves the resume point to until (or the log's end when until lies
// beyond it, so that no event still to come is skipped).
func (c *conn) recoverUntil(ctx context.Context, until time.Time, last store.Position) error {
	at := store.PositionAt(until)
	if at.Compare(last) > 0 {
		at = last
	}
	if at.Compare(c.pos) <= 0 {
		return nil // resuming after the recovery window: nothing to recover
	}
	var since time.Time
	if !c.pos.IsZero() {
		since = c.pos.Time()
	}
	msgs, err := c.proc.Recover(ctx, c.h.src, since, until, at)
	if err != nil {
		return err
	}
	c.o.recovery = true // the group below is a recovery snapshot
	if err := c.writeGroup(msgs, at); err != nil {
		return err
	}
	c.o.recovery = false
	return c.flush()
}

// live follows the log from c.pos.
func (c *conn) live(ctx context.Context) error {
	c.nextCheck = time.Now().Add(c.h.heartbeat)
	for ctx.Err() == nil {
		evs, err := c.h.src.Read(ctx, c.pos, c.h.batch)
		if errors.Is(err, store.ErrGap) {
			if err := c.gap(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range evs {
			msgs, err := c.proc.Process(ctx, ev)
			if err != nil {
				return err
			}
			if err := c.writeGroup(msgs, ev.Pos); err != nil {
				return err
			}
			if time.Now().After(c.nextCheck) {
				if err := c.flush(); err != nil {
					return err
				}
				if err := c.tick(ctx); err != nil {
					return err
				}
			}
		}
		if len(evs) > 0 {
			if err := c.flush(); err != nil {
				return err
			}
		}
		if len(evs) == c.h.batch {
			continue // more may be waiting
		}
		if d := time.Until(c.nextCheck); d > 0 {
			wctx, cancel := context.WithTimeout(ctx, d)
			err := c.h.src.Wait(wctx, c.pos)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
		}
		if !time.Now().Before(c.nextCheck) {
			if err := c.tick(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// gap tells the consumer that the log no longer holds every event after c.pos, sends the
// recovery snapshot of the missed window and moves past the dropped events.
func (c *conn) gap(ctx context.Context) error {
	b, err := c.h.src.Bounds(ctx)
	if err != nil {
		return err
	}
	resume := before(b.First)
	if b.Count == 0 || resume.Compare(c.pos) <= 0 {
		return fmt.Errorf("stream: log reports a gap after %s but retains from %s", c.pos, b.First)
	}
	data, err := json.Marshal(newGap(c.pos, b))
	if err != nil {
		return err
	}
	c.deadline()
	if err := c.w.WriteEvent(sse.Event{Event: "gap", Data: data}); err != nil {
		return err
	}
	c.observeGap(newGap(c.pos, b))
	var since time.Time
	if !c.pos.IsZero() {
		since = c.pos.Time()
	}
	// The dropped events may share the first retained event's millisecond: include it.
	msgs, err := c.proc.Recover(ctx, c.h.src, since, b.First.Time().Add(time.Millisecond), resume)
	if err != nil {
		return err
	}
	c.o.recovery = true // the group below is a recovery snapshot
	if err := c.writeGroup(msgs, resume); err != nil {
		return err
	}
	c.o.recovery = false
	return c.flush()
}

// before returns the position just before p, so that reading after it starts with p.
func before(p store.Position) store.Position {
	switch {
	case p.Seq > 0:
		return store.Position{Millis: p.Millis, Seq: p.Seq - 1}
	case p.Millis > 0:
		return store.Position{Millis: p.Millis - 1, Seq: math.MaxUint64}
	}
	return store.Position{}
}

// writeGroup writes the frames of one message group and makes end the resume point. Every
// frame but the last carries the previous resume point, so a consumer cut off inside the
// group receives it whole again; the last carries end.
func (c *conn) writeGroup(msgs []Message, end store.Position) error {
	if len(msgs) == 0 {
		c.pos = end
		c.observeGroup(0, 0)
		return nil
	}
	c.deadline()
	prev, last, bytes := c.pos.String(), end.String(), 0
	for i, m := range msgs {
		var err error
		if c.buf, err = appendData(c.buf[:0], m); err != nil {
			return err
		}
		id := prev
		if i == len(msgs)-1 {
			id = last
		}
		if err := c.w.WriteEvent(sse.Event{ID: id, Event: string(m.Type), Data: c.buf}); err != nil {
			return err
		}
		bytes += len(c.buf)
	}
	c.pos, c.wrote = end, true
	c.observeGroup(len(msgs), bytes)
	return nil
}

// deadline bounds the next writes, so a consumer that stops reading frees the connection.
func (c *conn) deadline() {
	if err := c.w.SetWriteDeadline(time.Now().Add(c.h.wtimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		c.h.log.Debug("stream: cannot set a write deadline", "err", err)
	}
}

func (c *conn) flush() error {
	c.deadline()
	return c.w.Flush()
}

// tick sends a heartbeat if nothing was sent since the last one, and checks that the
// stream and the caller's access are unchanged.
func (c *conn) tick(ctx context.Context) error {
	if !c.wrote {
		c.deadline()
		if err := c.w.WriteEvent(sse.Event{ID: c.pos.String(), Event: "heartbeat", Data: heartbeatData(c.pos)}); err != nil {
			return err
		}
		if err := c.flush(); err != nil {
			return err
		}
	}
	c.wrote = false
	c.nextCheck = time.Now().Add(c.h.heartbeat)
	return c.recheck(ctx)
}

// recheck reads the definition again and re-authorizes the original request. A transient
// failure to read the definition keeps the connection; anything that would refuse a new
// connection ends it.
func (c *conn) recheck(ctx context.Context) error {
	def, err := c.h.streams.Get(ctx, c.id)
	switch {
	case errors.Is(err, ErrUnknownStream):
		return fmt.Errorf("%w: stream %q was deleted", errEnded, c.id)
	case err != nil:
		c.h.log.Warn("stream: re-reading a definition failed", "stream", c.id, "err", err)
		return nil
	case !def.Live:
		return fmt.Errorf("%w: stream %q was stopped", errEnded, c.id)
	}
	p := c.principal
	if c.h.auth != nil {
		np, err := c.h.auth.Authenticate(c.r)
		if err != nil {
			return fmt.Errorf("%w: credentials no longer accepted: %w", errEnded, err)
		}
		if !reflect.DeepEqual(np, p) {
			return fmt.Errorf("%w: the principal's rights changed", errEnded)
		}
	}
	runAs, dec := c.h.feedAccess(def).Authorize(p)
	if dec != access.Allowed || !reflect.DeepEqual(runAs, c.runAs) {
		return fmt.Errorf("%w: access is now %s", errEnded, dec)
	}
	if !reflect.DeepEqual(def, c.def) {
		if err := c.proc.SetDefinition(def); err != nil {
			return fmt.Errorf("%w: the new definition is refused: %w", errEnded, err)
		}
		c.def = def
	}
	return nil
}
