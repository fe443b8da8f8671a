package sse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"iter"
	"strconv"
	"time"
)

// DefaultMaxEventSize is the default bound on a line and on an event's data.
const DefaultMaxEventSize = 16 << 20

// ReaderOptions configures a [Reader]. A nil *ReaderOptions means the defaults.
type ReaderOptions struct {
	// MaxEventSize bounds the length of one line and the total data of one event, in bytes;
	// past it Next returns an error wrapping ErrTooLarge. Zero means DefaultMaxEventSize.
	MaxEventSize int
	// LastEventID is the last event id in force before the first event (the id a client
	// resumed from), reported by events until the stream sets another.
	LastEventID string
}

// Reader parses an event stream as the WHATWG HTML specification's "event stream
// interpretation" says: lines end with CRLF, LF or CR; a leading BOM is skipped; lines starting
// with ':' are comments; fields are id, event, data and retry (others are ignored); a blank
// line dispatches the event unless its data is empty (no data field); data lines are joined
// with LF; an id containing NUL is ignored; the last event id persists across events and is
// updated only when a blank line ends the block that set it (so an id whose frame was cut
// before its end is never taken); an incomplete event at end of stream is discarded.
//
// Memory is bounded by MaxEventSize plus a fixed buffer. A Reader is not safe for concurrent
// use.
type Reader struct {
	br       *bufio.Reader
	max      int
	line     []byte // a line longer than the bufio buffer, assembled here
	discard  int    // bytes of the previous line still to drop from br
	skipLF   bool   // the previous line ended in CR: a following LF belongs to it
	started  bool   // the first line (which may start with a BOM) was read
	lastID   string // the last event id in force: updated at each blank line
	idBuf    string // the specification's "last event ID buffer": the last id field read
	retry    time.Duration
	data     []byte
	hasData  bool
	typ      []byte
	lastType string // reused when consecutive events share a name, saving an allocation
	hasID    bool
	evRetry  time.Duration
	err      error
}

// NewReader returns a Reader that parses r.
func NewReader(r io.Reader, opts *ReaderOptions) *Reader {
	var o ReaderOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxEventSize <= 0 {
		o.MaxEventSize = DefaultMaxEventSize
	}
	size := 64 << 10
	if o.MaxEventSize < size {
		size = max(o.MaxEventSize, 16)
	}
	return &Reader{br: bufio.NewReaderSize(r, size), max: o.MaxEventSize, lastID: o.LastEventID, idBuf: o.LastEventID}
}

// LastEventID returns the last event id in force: the value of the last valid id field of a
// block that a blank line ended, even a block that dispatched no event (it had no data). An
// id field whose block is not complete yet (a connection cut inside a frame) is not in force:
// resuming from it would skip the frame it belongs to.
func (r *Reader) LastEventID() string { return r.lastID }

// setLastEventID puts id in force as if a complete block had set it.
func (r *Reader) setLastEventID(id string) { r.lastID, r.idBuf = id, id }

// Retry returns the reconnection time last set by a retry field, or 0 if none was.
func (r *Reader) Retry() time.Duration { return r.retry }

// Next returns the next dispatched event. At the end of the stream it returns io.EOF (an
// incomplete final event is discarded); a read error from the underlying reader is returned
// as is; a line or data over MaxEventSize yields an error wrapping ErrTooLarge. After an error
// every call returns it again.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	for {
		line, err := r.readLine()
		if err != nil {
			r.err = err
			return Event{}, err
		}
		if len(line) == 0 {
			if ev, ok := r.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if err := r.field(line); err != nil {
			r.err = err
			return Event{}, err
		}
	}
}

// All returns an iterator over the remaining events. It ends at the end of the stream without
// an error; any other error is yielded once, with a zero Event, and ends it.
func (r *Reader) All() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// field processes one non-blank line.
func (r *Reader) field(line []byte) error {
	if line[0] == ':' {
		return nil
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		if len(r.data)+len(value)+1 > r.max {
			return fmt.Errorf("%w: data over %d bytes", ErrTooLarge, r.max)
		}
		r.data = append(r.data, value...)
		r.data = append(r.data, '\n')
		r.hasData = true
	case "event":
		r.typ = append(r.typ[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			if string(value) != r.idBuf {
				r.idBuf = string(value)
			}
			r.hasID = true
		}
	case "retry":
		if ms, ok := parseDigits(value); ok {
			r.retry = time.Duration(ms) * time.Millisecond
			r.evRetry = r.retry
		}
	}
	return nil
}

// parseDigits accepts only ASCII digits, as the specification does (no sign, no space), and a
// value that fits a Duration in milliseconds.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || ms > int64(time.Duration(1<<63-1)/time.Millisecond) {
		return 0, false
	}
	return ms, true
}

// dispatch ends the current block; it reports false when there is nothing to dispatch. As
// the specification's dispatch step says, the last event id takes the buffer's value here,
// at the blank line, whether or not the block has data.
func (r *Reader) dispatch() (Event, bool) {
	r.lastID = r.idBuf
	ev := Event{ID: r.lastID, HasID: r.hasID, Retry: r.evRetry}
	ok := r.hasData
	if ok {
		ev.Data = bytes.Clone(r.data[:len(r.data)-1])
		if string(r.typ) != r.lastType {
			r.lastType = string(r.typ)
		}
		ev.Event = r.lastType
	}
	r.data, r.hasData, r.typ, r.hasID, r.evRetry = r.data[:0], false, r.typ[:0], false, 0
	return ev, ok
}

// readLine returns the next line without its terminator, valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	if r.discard > 0 {
		_, _ = r.br.Discard(r.discard)
		r.discard = 0
	}
	if r.skipLF {
		// Peeking here, after the previous line was handled, never delays a dispatch.
		b, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		if b[0] == '\n' {
			_, _ = r.br.Discard(1)
		}
		r.skipLF = false
	}
	r.line = r.line[:0]
	for {
		n := r.br.Buffered()
		if n == 0 {
			if _, err := r.br.Peek(1); err != nil {
				return nil, err // a partial last line is discarded with its event
			}
			n = r.br.Buffered()
		}
		buf, _ := r.br.Peek(n)
		i := lineEnd(buf)
		if i < 0 {
			if len(r.line)+n > r.max {
				return nil, fmt.Errorf("%w: line over %d bytes", ErrTooLarge, r.max)
			}
			r.line = append(r.line, buf...)
			_, _ = r.br.Discard(n)
			continue
		}
		r.skipLF = buf[i] == '\r'
		var line []byte
		if len(r.line) == 0 {
			line, r.discard = buf[:i], i+1 // parse in place; drop it on the next call
		} else {
			r.line = append(r.line, buf[:i]...)
			line = r.line
			_, _ = r.br.Discard(i + 1)
		}
		if len(line) > r.max {
			return nil, fmt.Errorf("%w: line over %d bytes", ErrTooLarge, r.max)
		}
		if !r.started {
			r.started = true
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		return line, nil
	}
}

// lineEnd returns the index of the first CR or LF in b, or -1. Two IndexByte scans are much
// faster than bytes.IndexAny; scanning in windows keeps a CR-only stream from searching the
// whole buffer for a LF at every line.
func lineEnd(b []byte) int {
	const window = 512
	for off := 0; off < len(b); off += window {
		w := b[off:min(off+window, len(b))]
		i := bytes.IndexByte(w, '\n')
		if i >= 0 {
			w = w[:i]
		}
		if j := bytes.IndexByte(w, '\r'); j >= 0 {
			return off + j
		}
		if i >= 0 {
			return off + i
		}
	}
	return -1
}
