package store

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Position addresses an event in the change log, Redis-stream style: the event's time in
// Unix milliseconds and a sequence number that orders events within a millisecond (and keeps
// positions increasing if the clock goes backwards). Its string form is
// "<milliseconds>-<sequence>". The zero Position, "0-0", is the start: it is before every
// event, so reading after it reads the whole log. Positions compare with [Position.Compare]
// or ==.
//
// Stores assign sequence numbers below [MaxSeq] (a millisecond holds at most 2^32 events);
// positions with a larger Seq never address an event, so readers may use that range for
// positions of their own between two events (the live stream's mid-group frame ids).
type Position struct {
	Millis uint64 // Unix milliseconds
	Seq    uint64 // order within the millisecond
}

// MaxSeq bounds the sequence numbers stores assign: every event's Seq is below it.
const MaxSeq = 1 << 32

// ParsePosition parses "<milliseconds>-<sequence>" (decimal, no sign, no leading zeros, each
// fitting 64 bits), the form [Position.String] writes. Anything else is an error wrapping
// [ErrInvalidPosition].
func ParsePosition(s string) (Position, error) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return Position{}, fmt.Errorf("%w: %q is not <milliseconds>-<sequence>", ErrInvalidPosition, s)
	}
	m, err1 := parseDecimal(ms)
	q, err2 := parseDecimal(seq)
	if err1 != nil || err2 != nil {
		return Position{}, fmt.Errorf("%w: %q is not <milliseconds>-<sequence>", ErrInvalidPosition, s)
	}
	return Position{Millis: m, Seq: q}, nil
}

// parseDecimal accepts the canonical decimal form only, so that a position has one spelling.
func parseDecimal(s string) (uint64, error) {
	if s == "" || len(s) > 1 && s[0] == '0' || s[0] < '0' || s[0] > '9' {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(s, 10, 64)
}

// String returns "<milliseconds>-<sequence>".
func (p Position) String() string {
	return strconv.FormatUint(p.Millis, 10) + "-" + strconv.FormatUint(p.Seq, 10)
}

// Compare returns -1, 0 or +1 as p is before, equal to or after q.
func (p Position) Compare(q Position) int {
	if c := cmp.Compare(p.Millis, q.Millis); c != 0 {
		return c
	}
	return cmp.Compare(p.Seq, q.Seq)
}

// IsZero reports whether p is the start, "0-0".
func (p Position) IsZero() bool { return p == Position{} }

// Time returns the millisecond part as a UTC time.
func (p Position) Time() time.Time { return time.UnixMilli(int64(p.Millis)).UTC() }

// MarshalText writes the string form, so a Position is a JSON string.
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses the string form (see [ParsePosition]).
func (p *Position) UnmarshalText(b []byte) error {
	q, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// PositionAt returns the position just before the first event at or after t: reading after
// it yields exactly the events whose millisecond is at or after t's (t truncated to the
// millisecond). Times at or before the Unix epoch give the start, "0-0".
func PositionAt(t time.Time) Position {
	ms := t.UnixMilli()
	if ms <= 0 {
		return Position{}
	}
	return Position{Millis: uint64(ms) - 1, Seq: math.MaxUint64}
}
