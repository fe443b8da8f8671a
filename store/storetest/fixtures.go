package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// at returns a fixture time: objects are created at(0); versions are later minutes.
func at(minutes int) time.Time { return time.Date(2024, 1, 1, 0, minutes, 0, 0, time.UTC) }

// indicator returns a new indicator (fresh id) whose version is at(v).
func indicator(t *testing.T, v int) *stix.Object {
	t.Helper()
	o, err := stix.NewIndicator("fixture", "[ipv4-addr:value = '203.0.113.1']", at(0),
		stix.Common{ID: stix.NewID("indicator"), Created: at(0), Modified: at(v)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// object returns a new object of type typ (an SDO built with stix.New).
func object(t *testing.T, typ string) *stix.Object {
	t.Helper()
	o, err := stix.New(typ, map[string]any{"name": "fixture " + typ}, stix.Common{Created: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// next returns o's version at(v) with name set to name.
func next(t *testing.T, o *stix.Object, v int, name string) *stix.Object {
	t.Helper()
	n, err := o.NewVersion(at(v), func(m map[string]any) { m["name"] = name })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func relationship(t *testing.T, src, dst stix.ID) *stix.Object {
	t.Helper()
	o, err := stix.NewRelationship("indicates", src, dst, stix.Common{Created: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// mustPut stores o and returns its event (zero when nothing changed); setup failures end the test.
func mustPut(t *testing.T, s store.Store, o *stix.Object) store.Event {
	t.Helper()
	ev, _, err := s.Put(t.Context(), o)
	if err != nil {
		t.Fatalf("Put(%s): %v", o.ID(), err)
	}
	return ev
}

func mustGet(t *testing.T, s store.Store, id stix.ID) store.Record {
	t.Helper()
	r, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return r
}

// lastPos returns the newest log position (zero when empty).
func lastPos(t *testing.T, s store.Store) store.Position {
	t.Helper()
	b, err := s.Bounds(t.Context())
	if err != nil {
		t.Fatalf("Bounds: %v", err)
	}
	return b.Last
}

// readAll returns every event after after.
func readAll(t *testing.T, s store.Store, after store.Position) []store.Event {
	t.Helper()
	var out []store.Event
	for ev, err := range store.Events(t.Context(), s, after, 100) {
		if err != nil {
			t.Fatalf("reading the log: %v", err)
		}
		out = append(out, ev)
	}
	return out
}

// sameObject reports whether a and b are the same stored bytes (nil equals nil only).
func sameObject(a, b *stix.Object) bool {
	if a == nil || b == nil {
		return a == b
	}
	return string(a.Raw()) == string(b.Raw())
}

func name(o *stix.Object) string {
	if o == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s@%s", o.ID(), o.ModifiedRaw())
}

// checkEvent reports every way ev differs from the expected kind, id and objects.
func checkEvent(ev store.Event, kind store.EventKind, id stix.ID, prev, cur *stix.Object) error {
	var errs []error
	if ev.Kind != kind {
		errs = append(errs, fmt.Errorf("event kind = %v, want %v", ev.Kind, kind))
	}
	if ev.ID != id {
		errs = append(errs, fmt.Errorf("event id = %s, want %s", ev.ID, id))
	}
	if !sameObject(ev.Prev, prev) {
		errs = append(errs, fmt.Errorf("event prev = %s, want %s", name(ev.Prev), name(prev)))
	}
	if !sameObject(ev.Cur, cur) {
		errs = append(errs, fmt.Errorf("event cur = %s, want %s", name(ev.Cur), name(cur)))
	}
	if ev.Pos.IsZero() {
		errs = append(errs, errors.New("event position is 0-0"))
	}
	if !ev.Time.Equal(ev.Pos.Time()) {
		errs = append(errs, fmt.Errorf("event time %v is not its position's millisecond %v", ev.Time, ev.Pos.Time()))
	}
	return errors.Join(errs...)
}
