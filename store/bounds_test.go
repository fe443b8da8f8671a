package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

func pos(ms, seq uint64) store.Position { return store.Position{Millis: ms, Seq: seq} }

// Check is the one rule for every reader of a position: each case names the rule it shows.
func TestLogBoundsCheck(t *testing.T) {
	complete := store.LogBounds{First: pos(100, 0), Last: pos(200, 3), Count: 9, Origin: pos(99, store.MaxSeq)}
	trimmed := complete
	trimmed.First, trimmed.Dropped = pos(150, 0), pos(149, 2)
	cases := []struct {
		rule  string
		b     store.LogBounds
		after store.Position
		want  error
	}{
		{"the start of a log that never held an event", store.LogBounds{}, pos(0, 0), nil},
		{"any other position on a log that never held an event is of another log", store.LogBounds{}, pos(5, 0), store.ErrGap},
		{"the start of a complete log", complete, pos(0, 0), nil},
		{"a position before the origin is of another log", complete, pos(50, 0), store.ErrGap},
		{"the origin itself reads the whole log", complete, complete.Origin, nil},
		{"an event's position", complete, pos(150, 7), nil},
		{"the last position reads nothing yet", complete, complete.Last, nil},
		{"one past the last position is beyond the log", complete, pos(200, 4), store.ErrInvalidPosition},
		{"a later millisecond is beyond the log", complete, pos(201, 0), store.ErrInvalidPosition},
		{"the start, once events were dropped", trimmed, pos(0, 0), store.ErrGap},
		{"before the newest dropped event", trimmed, pos(149, 1), store.ErrGap},
		{"the newest dropped event itself: nothing after it is missing", trimmed, trimmed.Dropped, nil},
		{"between the dropped and the first retained event", trimmed, pos(149, 9), nil},
	}
	for _, c := range cases {
		err := c.b.Check(c.after)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: Check(%s) = %v, want %v", c.rule, c.after, err, c.want)
		}
	}
}

// failingWriter is a Writer whose store fails (an I/O error) from the failAt-th Put on, and
// refuses invalid objects as stores do.
type failingWriter struct {
	store.Writer
	failAt, calls int
}

var errDisk = errors.New("disk on fire")

func (w *failingWriter) Put(ctx context.Context, o *stix.Object) (store.Event, bool, error) {
	w.calls++
	switch {
	case o == nil:
		return store.Event{}, false, fmt.Errorf("%w: nil object", store.ErrInvalid)
	case w.calls >= w.failAt:
		return store.Event{}, false, errDisk
	}
	return store.Event{Kind: store.EventCreate, ID: o.ID()}, true, nil
}

// Without a BatchWriter, PutMany puts one object at a time: an object's own error is in its
// result and the rest go on; a store error stops the loop and comes back with the results of
// the objects already applied.
func TestPutManyFallback(t *testing.T) {
	o := func() *stix.Object {
		x, err := stix.New("malware", map[string]any{"name": "m"}, stix.Common{})
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	w := &failingWriter{failAt: 4}
	res, err := store.PutMany(t.Context(), w, []*stix.Object{o(), nil, o(), o(), o()})
	if !errors.Is(err, errDisk) {
		t.Errorf("PutMany error = %v, want the store's own error", err)
	}
	if len(res) != 3 || !res[0].Changed || !errors.Is(res[1].Err, store.ErrInvalid) || !res[2].Changed {
		t.Errorf("PutMany results = %+v; want created, ErrInvalid, created (the applied prefix)", res)
	}
	if w.calls != 4 {
		t.Errorf("PutMany called Put %d times, want 4 (none after the store failed)", w.calls)
	}
}
