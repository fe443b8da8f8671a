package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unsafe"

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

	w  *sse.Writer
	rw http.ResponseWriter // under w, to replace w when its buffer grew too large (see flushAt)
	// peak is the most w has buffered since it was made: its buffer's size, about.
	peak int
	// pos is the last log position whose messages were all written: the resume point, in
	// read form (see handler_position.go).
	pos store.Position
	// skip >= 0 leaves out the messages of the next group whose Seq is at most skip: the
	// consumer resumed from a mid-group id (see resumeFrom).
	skip      int
	nextCheck time.Time
	wrote     bool      // a change frame was written since the last heartbeat tick
	buf       []byte    // one frame's data, reused
	idBuf     []byte    // one frame's id, reused (see idString)
	msgs      []Message // one event's messages, reused
	data      [][]byte  // their encoded data, parallel to msgs (nil: encode it)

	// behind is true when the last read of the log filled a batch: more events were
	// waiting. lag is how far behind the connection was at the last check (see checkLag).
	behind bool
	lag    time.Duration

	dmu     sync.Mutex // orders deadline and stop
	stopped bool       // the handler is closing: writes get closeGrace at most
	o       observation
}

// run writes the stream until ctx ends, a write fails or the stream or access changes.
func (c *conn) run(ctx context.Context, w http.ResponseWriter, prm params) error {
	b, err := c.h.src.Bounds(ctx)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "the stream is unavailable; retry later")
		return err
	}
	c.skip = -1
	gap := false
	switch {
	case prm.hasFrom:
		rp := prm.from
		if prm.fromDate && rp.pos.Compare(b.Last) > 0 {
			rp.pos = b.Last // a date after the last event: nothing to skip, start at the end
		}
		switch err := b.Check(rp.pos); {
		case errors.Is(err, store.ErrInvalidPosition):
			msg := (&paramError{name: prm.fromName, value: prm.fromRaw, reason: fmt.Sprintf(
				"position %s is beyond the log's last position %s (an id of another log, or of the future)",
				wirePos(rp.pos), b.Last)}).Error()
			httpError(w, http.StatusBadRequest, msg)
			return nil
		case errors.Is(err, store.ErrGap):
			gap = true // said to the consumer below, after the connected frame
		case err != nil:
			httpError(w, http.StatusServiceUnavailable, "the stream is unavailable; retry later")
			return err
		}
		c.pos, c.skip = rp.pos, rp.skip
	case !prm.recover.IsZero():
		c.pos = store.Position{} // a recovery without from starts at the beginning
	default:
		c.pos = b.Last // live only (see the Handler doc)
	}

	sse.SetHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	c.rw = w
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
	if gap {
		if err := c.gap(ctx); err != nil {
			return err
		}
	}
	if !prm.recover.IsZero() {
		if err := c.recoverUntil(ctx, prm.recover); err != nil {
			return err
		}
	}
	return c.live(ctx)
}

// frameBudget is what the frame buffers of a Handler's connections may hold together,
// about: each connection flushes once it has buffered its share of it (flushAt), between
// minFlush and spillBytes. With a hundred connections each writes in 32 KiB pieces; with
// ten thousand, in pieces of about 6 KiB, so that their buffers hold about 64 MiB in all,
// not the 320 MiB they would if each could grow to the SSE writer's 32 KiB.
const (
	frameBudget = 64 << 20
	minFlush    = 4 << 10
)

// flushAt returns how much the connection may buffer before it flushes: its share of
// frameBudget among the open connections.
func (c *conn) flushAt() int {
	n := max(c.h.active.Load(), 1)
	return int(min(max(frameBudget/n, minFlush), spillBytes))
}

// flushTrim flushes, then gives the SSE writer up for a new one if its buffer grew well
// beyond what the connection may now hold (connections were fewer when it grew): the
// writer keeps its buffer's capacity for good.
func (c *conn) flushTrim(limit int) error {
	if err := c.flush(); err != nil {
		return err
	}
	if c.peak > 2*limit {
		c.w, c.peak = sse.NewWriter(c.rw), 0
	}
	return nil
}

// spillBytes is the SSE writer's buffered size past which it writes through by itself
// (internal/sse's autoWrite): a frame that may take the buffer past it needs a fresh write
// deadline, like a flush.
const spillBytes = 32 << 10

// live follows the log from c.pos.
func (c *conn) live(ctx context.Context) error {
	c.nextCheck = time.Now().Add(c.h.heartbeat)
	var wait waitContext
	defer wait.stop()
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
		c.behind = len(evs) == c.h.batch
		limit := c.flushAt()
		ep, shares := c.proc.(encodedProcessor)
		if shares {
			ep.takeShared(evs)
		}
		for i, ev := range evs {
			msgs, data, err := c.process(ctx, ev)
			if err != nil {
				return err
			}
			if err := c.writeGroup(msgs, data, ev.Pos); err != nil {
				return err
			}
			if c.w.Buffered() >= limit {
				if err := c.flushTrim(limit); err != nil {
					return err
				}
			}
			// The clock is read every few events: a batch is short next to a heartbeat.
			if (i%16 == 15 || i == len(evs)-1) && time.Now().After(c.nextCheck) {
				if err := c.flush(); err != nil {
					return err
				}
				if err := c.tick(ctx); err != nil {
					return err
				}
			}
		}
		if shares {
			ep.takeShared(nil)
		}
		if len(evs) > 0 {
			if err := c.flushTrim(limit); err != nil {
				return err
			}
		}
		if len(evs) == c.h.batch {
			continue // more may be waiting
		}
		if d := time.Until(c.nextCheck); d > 0 {
			err := c.h.src.Wait(wait.until(ctx, c.nextCheck), c.pos)
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

// process returns the messages of ev and, where the plan was shared, their encoded data
// (nil data, or a nil element: encode the message). The slices are the connection's
// buffers, valid until the next call; they are cleared of the messages, so that an idle
// connection keeps no object alive.
func (c *conn) process(ctx context.Context, ev store.Event) ([]Message, [][]byte, error) {
	clear(c.msgs)
	clear(c.data)
	ep, ok := c.proc.(encodedProcessor)
	if !ok {
		msgs, err := c.proc.Process(ctx, ev)
		return msgs, nil, err
	}
	if c.data == nil {
		c.data = make([][]byte, 0, 8)
	}
	var err error
	c.msgs, c.data, err = ep.processEncoded(ctx, ev, c.msgs[:0], c.data[:0])
	return c.msgs, c.data, err
}

// waitContext is the context a connection waits for the log with until its next check:
// one per heartbeat interval, not one per wait, since a connection woken for every event
// would otherwise make a context and a timer each time.
type waitContext struct {
	ctx    context.Context
	cancel context.CancelFunc
	at     time.Time
}

// until returns a context of parent that ends at t.
func (w *waitContext) until(parent context.Context, t time.Time) context.Context {
	if w.ctx == nil || !w.at.Equal(t) {
		w.stop()
		w.ctx, w.cancel = context.WithDeadline(parent, t)
		w.at = t
	}
	return w.ctx
}

func (w *waitContext) stop() {
	if w.cancel != nil {
		w.cancel()
	}
}

// writeGroup writes the frames of one event's message group and makes end the resume
// point. Every frame but the last carries a mid-group id (the resume point before the
// group and the message's Seq), the last carries end; a consumer cut off inside the group
// resumes with the first message it lacks. Messages the consumer already received (c.skip)
// are left out.
func (c *conn) writeGroup(msgs []Message, data [][]byte, end store.Position) error {
	skip := c.skip
	c.skip = -1
	for len(msgs) > 0 && msgs[0].Seq <= skip {
		msgs = msgs[1:] // Seq increases along a group: the received ones come first
		if data != nil {
			data = data[1:]
		}
	}
	if len(msgs) == 0 {
		c.pos = end
		c.observeGroup(false)
		return nil
	}
	base := c.pos
	for i, m := range msgs {
		id := midID(base, m.Seq)
		if i == len(msgs)-1 {
			id = wirePos(end)
		}
		var enc []byte
		if data != nil {
			enc = data[i]
		}
		if err := c.writeEncoded(m, enc, id); err != nil {
			return err
		}
	}
	c.pos, c.wrote = end, true
	c.observeGroup(false)
	return nil
}

// writeFrame writes m as one frame with id; recovered marks a recovery snapshot's frame.
func (c *conn) writeFrame(m Message, id store.Position, recovered bool) error {
	var err error
	if c.buf, err = appendData(c.buf[:0], m, recovered); err != nil {
		return err
	}
	c.beforeWrite(len(c.buf))
	if err := c.w.WriteEvent(sse.Event{ID: c.idString(id), Event: string(m.Type), Data: c.buf}); err != nil {
		return err
	}
	c.o.frame(len(c.buf))
	return nil
}

// writeEncoded writes m as one live frame with id, from data when it is already encoded.
func (c *conn) writeEncoded(m Message, data []byte, id store.Position) error {
	if data == nil {
		return c.writeFrame(m, id, false)
	}
	c.beforeWrite(len(data))
	if err := c.w.WriteEvent(sse.Event{ID: c.idString(id), Event: string(m.Type), Data: data}); err != nil {
		return err
	}
	c.o.frame(len(data))
	return nil
}

// idString returns p as a frame id ("<milliseconds>-<sequence>", Position.String) without
// allocating: the string shares the connection's scratch buffer and is valid until the next
// call. That is enough for sse.Writer.WriteEvent, which copies the id into its buffer and
// keeps nothing; frame ids are written for every frame, and Position.String allocated
// three times for each.
func (c *conn) idString(p store.Position) string {
	c.idBuf = strconv.AppendUint(c.idBuf[:0], p.Millis, 10)
	c.idBuf = append(c.idBuf, '-')
	c.idBuf = strconv.AppendUint(c.idBuf, p.Seq, 10)
	return unsafe.String(unsafe.SliceData(c.idBuf), len(c.idBuf))
}

// beforeWrite sets a fresh write deadline when buffering a frame of n bytes of data may
// make the SSE writer write through to the consumer: every write to the consumer starts
// with a deadline WriteTimeout away (flush sets one too), without paying for a deadline
// per frame.
func (c *conn) beforeWrite(n int) {
	b := c.w.Buffered() + n + frameOverhead
	if b >= spillBytes {
		c.deadline()
	}
	c.peak = max(c.peak, b)
}

// frameOverhead bounds what a frame adds to its data: the id, event and data field names.
const frameOverhead = 128

// deadline bounds the next writes, so a consumer that stops reading frees the connection.
// Once the handler is closing, it is closeGrace away: a write blocked on a consumer that
// stopped reading must not hold Close up for the write timeout.
func (c *conn) deadline() {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	d := time.Now().Add(c.h.wtimeout)
	if c.stopped {
		d = time.Now().Add(min(closeGrace, c.h.wtimeout))
	}
	if err := c.w.SetWriteDeadline(d); err != nil && !errors.Is(err, http.ErrNotSupported) {
		c.h.log.Debug("stream: cannot set a write deadline", "err", err)
	}
}

// closeGrace is how long writes may still take once the handler is closing: enough for a
// connection that is not blocked to end its response cleanly, short enough that one blocked
// on a consumer that stopped reading does not hold Close up for the write timeout.
const closeGrace = time.Second

// stop bounds every write of the connection to closeGrace from now, even one already
// blocked. It is called from another goroutine than the connection's.
func (c *conn) stop(w http.ResponseWriter) {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.stopped = true
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(min(closeGrace, c.h.wtimeout)))
}

func (c *conn) flush() error {
	c.deadline()
	return c.w.Flush()
}

// tick sends a heartbeat if nothing was sent since the last one, and checks that the
// stream and the caller's access are unchanged.
func (c *conn) tick(ctx context.Context) error {
	if err := c.checkLag(ctx); err != nil {
		return err
	}
	if !c.wrote {
		c.deadline()
		if err := c.w.WriteEvent(sse.Event{ID: wirePos(c.pos).String(), Event: "heartbeat", Data: heartbeatData(c.pos)}); err != nil {
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
	if c.id == "" {
		return c.recheckRaw()
	}
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

// recheckRaw re-authenticates the request of a raw stream: the principal must be unchanged
// and still see the whole platform.
func (c *conn) recheckRaw() error {
	if c.h.auth == nil {
		return fmt.Errorf("%w: the raw stream needs an authenticated principal", errEnded)
	}
	np, err := c.h.auth.Authenticate(c.r)
	if err != nil {
		return fmt.Errorf("%w: credentials no longer accepted: %w", errEnded, err)
	}
	if !reflect.DeepEqual(np, c.principal) || !mayReadRaw(np) {
		return fmt.Errorf("%w: the principal's rights changed", errEnded)
	}
	return nil
}
