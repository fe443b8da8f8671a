package sse

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// autoWrite is the buffered size past which frames are handed to the underlying writer without
// waiting for Flush, so an unflushed batch cannot grow without bound.
const autoWrite = 32 << 10

// SetHeaders sets the response headers of an OpenCTI-compatible event stream: the content
// type, no caching or transformation by intermediaries, keep-alive, and no proxy buffering
// (X-Accel-Buffering: no, for nginx). Call it before the first write.
func SetHeaders(h http.Header) {
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
}

// Writer frames events onto a stream. Frames accumulate in the Writer until [Writer.Flush],
// so several frames can be sent with one flush; past 32 KiB they are written through (but not
// flushed) automatically.
//
// A Writer is safe for concurrent use: each frame is written whole.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	rc  *http.ResponseController // nil when w is not an http.ResponseWriter
	buf []byte
	err error // sticky error from the underlying writer
}

// NewWriter returns a Writer on w. When w is an [http.ResponseWriter], flushing and write
// deadlines go through [http.ResponseController], which also reaches wrapped writers that
// implement Unwrap.
func NewWriter(w io.Writer) *Writer {
	sw := &Writer{w: w}
	if rw, ok := w.(http.ResponseWriter); ok {
		sw.rc = http.NewResponseController(rw)
	}
	return sw
}

// WriteEvent buffers one event frame. It returns an error wrapping [ErrInvalidField], and
// buffers nothing, when the id or event name contains CR, LF or NUL or Retry is negative.
// Data containing line ends (CRLF, LF or CR) is sent as several data lines, which a reader
// joins with LF.
func (w *Writer) WriteEvent(e Event) error {
	if !validField(e.ID) {
		return fmt.Errorf("%w: event id %q contains CR, LF or NUL", ErrInvalidField, e.ID)
	}
	if !validField(e.Event) {
		return fmt.Errorf("%w: event name %q contains CR, LF or NUL", ErrInvalidField, e.Event)
	}
	if e.Retry < 0 {
		return fmt.Errorf("%w: negative retry %v", ErrInvalidField, e.Retry)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.buf
	if e.ID != "" || e.HasID {
		b = appendField(b, "id", e.ID)
	}
	if e.Event != "" {
		b = appendField(b, "event", e.Event)
	}
	if e.Retry > 0 {
		b = appendRetry(b, e.Retry)
	}
	splitLines(e.Data, func(line []byte) {
		b = appendField(b, "data", line)
	})
	w.buf = append(b, '\n')
	return w.spill()
}

// WriteComment buffers a comment frame (": text"), which readers ignore; proxies and idle
// timers see traffic, so it serves as a keep-alive. A text with line ends becomes several
// comment lines.
func (w *Writer) WriteComment(text string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	splitLines([]byte(text), func(line []byte) {
		w.buf = append(w.buf, ':')
		if len(line) > 0 {
			w.buf = append(w.buf, ' ')
			w.buf = append(w.buf, line...)
		}
		w.buf = append(w.buf, '\n')
	})
	w.buf = append(w.buf, '\n')
	return w.spill()
}

// WriteRetry buffers a frame that only sets the client's reconnection time (whole
// milliseconds); it dispatches no event. A negative d is refused with [ErrInvalidField].
func (w *Writer) WriteRetry(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%w: negative retry %v", ErrInvalidField, d)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(appendRetry(w.buf, d), '\n')
	return w.spill()
}

// appendField appends "name: value" and a LF, or "name:" for an empty value (no trailing
// space for tools to strip); the reader drops one space after the colon either way.
func appendField[T string | []byte](b []byte, name string, value T) []byte {
	b = append(b, name...)
	b = append(b, ':')
	if len(value) > 0 {
		b = append(b, ' ')
		b = append(b, value...)
	}
	return append(b, '\n')
}

func appendRetry(b []byte, d time.Duration) []byte {
	b = append(b, "retry: "...)
	b = strconv.AppendInt(b, d.Milliseconds(), 10)
	return append(b, '\n')
}

// Flush writes the buffered frames and flushes them to the client. Writing to an io.Writer
// that cannot flush (a bytes.Buffer, a file) only writes; an http.ResponseWriter that cannot
// flush is an error (wrapping [http.ErrNotSupported]), since its frames would sit in a buffer.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writeOut(); err != nil {
		return err
	}
	var err error
	switch {
	case w.rc != nil:
		err = w.rc.Flush()
	default:
		if f, ok := w.w.(interface{ Flush() error }); ok {
			err = f.Flush()
		} else if f, ok := w.w.(http.Flusher); ok {
			f.Flush()
		}
	}
	if err != nil {
		w.err = fmt.Errorf("sse: flush: %w", err)
		return w.err
	}
	return nil
}

// Buffered returns the number of bytes written but not yet handed to the underlying writer.
func (w *Writer) Buffered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.buf)
}

// SetWriteDeadline sets the deadline for writes and flushes to an http.ResponseWriter, so a
// client that stops reading cannot block the server forever; the zero time clears it. For
// other writers it returns an error wrapping [http.ErrNotSupported].
func (w *Writer) SetWriteDeadline(t time.Time) error {
	if w.rc == nil {
		return fmt.Errorf("sse: set write deadline: %w", http.ErrNotSupported)
	}
	return w.rc.SetWriteDeadline(t)
}

// spill writes the buffer through once it is large; w.mu is held.
func (w *Writer) spill() error {
	if len(w.buf) < autoWrite {
		return w.err
	}
	return w.writeOut()
}

// writeOut hands the buffer to the underlying writer; w.mu is held. After a write error the
// stream is broken (a frame may be half sent), so the error sticks.
func (w *Writer) writeOut() error {
	if w.err != nil {
		w.buf = w.buf[:0] // nothing more can reach the client; do not grow
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = fmt.Errorf("sse: write: %w", err)
	}
	return w.err
}
