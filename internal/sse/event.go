package sse

import (
	"errors"
	"strings"
	"time"
)

// Event is one server-sent event.
//
// Writing: an "id:" line is sent when ID is non-empty or HasID is true, so an empty id (which
// tells the client to forget its last event id) is sent only deliberately; an "event:" line is
// sent when Event is non-empty; Data is always sent, one "data:" line per line; a "retry:" line
// is sent when Retry is positive (in whole milliseconds).
//
// Reading: ID is the last event id in force when the event was dispatched (it persists across
// events, as the specification requires); HasID reports whether this event's own block carried
// an id field; Event is "" when the block had no event field (browsers call that "message");
// Retry is the reconnection time set by a retry field in this event's block, else 0.
type Event struct {
	ID    string
	HasID bool
	Event string
	Data  []byte
	Retry time.Duration
}

// ErrInvalidField reports an event id, event name or comment that cannot be framed: ids and
// event names must not contain CR, LF or NUL (a client would split the line or ignore the id),
// and a retry must not be negative.
var ErrInvalidField = errors.New("sse: invalid field")

// ErrTooLarge reports a line or an event's data larger than [ReaderOptions.MaxEventSize].
var ErrTooLarge = errors.New("sse: event too large")

// validField reports whether s can be sent as the value of an id or event line.
func validField(s string) bool {
	return !strings.ContainsAny(s, "\r\n\x00")
}

// splitLines calls fn for each line of b, treating CRLF, LF and CR alike as line ends, exactly
// as the parser does; it always calls fn at least once.
func splitLines(b []byte, fn func([]byte)) {
	for {
		i := lineEnd(b)
		if i < 0 {
			fn(b)
			return
		}
		fn(b[:i])
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
}
