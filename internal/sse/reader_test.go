package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readAll parses s and returns the dispatched events and the error that ended the stream.
func readAll(r io.Reader, opts *ReaderOptions) ([]Event, *Reader, error) {
	rd := NewReader(r, opts)
	var evs []Event
	for {
		ev, err := rd.Next()
		if err != nil {
			return evs, rd, err
		}
		evs = append(evs, ev)
	}
}

func ev(id, typ, data string) Event { return Event{ID: id, Event: typ, Data: []byte(data)} }

func withID(e Event) Event { e.HasID = true; return e }

// Each row is one rule of the WHATWG HTML "event stream interpretation".
func TestReaderSpecRules(t *testing.T) {
	cases := []struct {
		rule   string
		in     string
		want   []Event
		lastID string
	}{
		{"a blank line dispatches the event", "data: x\n\n", []Event{ev("", "", "x")}, ""},
		{"no blank line at end of stream: the incomplete event is discarded", "data: x\n", nil, ""},
		{"a partial last line is discarded too", "data: x\n\ndata: y", []Event{ev("", "", "x")}, ""},
		{"LF ends lines", "data: a\ndata: b\n\n", []Event{ev("", "", "a\nb")}, ""},
		{"CRLF ends lines", "data: a\r\ndata: b\r\n\r\n", []Event{ev("", "", "a\nb")}, ""},
		{"CR alone ends lines", "data: a\rdata: b\r\r", []Event{ev("", "", "a\nb")}, ""},
		{"line ends may be mixed", "data: a\rdata: b\r\n\n", []Event{ev("", "", "a\nb")}, ""},
		{"CR CR is two line ends (a dispatch), not one", "data: a\r\rdata: b\r\r", []Event{ev("", "", "a"), ev("", "", "b")}, ""},
		{"a CR far into a long line still ends it", "data: " + strings.Repeat("x", 1500) + "\r\r",
			[]Event{ev("", "", strings.Repeat("x", 1500))}, ""},
		{"multi-line data is joined with LF", "data: 1\ndata: 2\ndata: 3\n\n", []Event{ev("", "", "1\n2\n3")}, ""},
		{"an empty data line adds an empty line", "data\ndata\ndata: x\n\n", []Event{ev("", "", "\n\nx")}, ""},
		{"'data' with no colon is a data field with an empty value", "data\n\n", []Event{ev("", "", "")}, ""},
		{"exactly one space after the colon is dropped", "data:  two\n\n", []Event{ev("", "", " two")}, ""},
		{"no space after the colon is fine", "data:x\n\n", []Event{ev("", "", "x")}, ""},
		{"a value may contain colons", "data: a:b: c\n\n", []Event{ev("", "", "a:b: c")}, ""},
		{"a block without data dispatches nothing", "event: e\n\n", nil, ""},
		{"an empty stream dispatches nothing", "", nil, ""},
		{"blank lines alone dispatch nothing", "\n\n\r\n\r", nil, ""},
		{"a line starting with ':' is a comment", ": keep-alive\ndata: x\n: more\n\n", []Event{ev("", "", "x")}, ""},
		{"a comment alone dispatches nothing", ":\n\n", nil, ""},
		{"the event field sets the type", "event: create\ndata: x\n\n", []Event{ev("", "create", "x")}, ""},
		{"the type does not persist to the next event", "event: a\ndata: 1\n\ndata: 2\n\n", []Event{ev("", "a", "1"), ev("", "", "2")}, ""},
		{"the last event field wins", "event: a\nevent: b\ndata: x\n\n", []Event{ev("", "b", "x")}, ""},
		{"the id field sets the last event id", "id: 1\ndata: x\n\n", []Event{withID(ev("1", "", "x"))}, "1"},
		{"the last event id persists across events", "id: 1\ndata: x\n\ndata: y\n\n", []Event{withID(ev("1", "", "x")), ev("1", "", "y")}, "1"},
		{"an empty id resets the last event id", "id: 1\ndata: x\n\nid\ndata: y\n\n", []Event{withID(ev("1", "", "x")), withID(ev("", "", "y"))}, ""},
		{"an id containing NUL is ignored", "id: 1\ndata: x\n\nid: 2\x003\ndata: y\n\n", []Event{withID(ev("1", "", "x")), ev("1", "", "y")}, "1"},
		{"an id in a block without data still sets the last event id", "id: 7\n\ndata: x\n\n", []Event{ev("7", "", "x")}, "7"},
		{"an id after the data, before the blank line, applies to that event", "data: x\nid: 9\n\n", []Event{withID(ev("9", "", "x"))}, "9"},
		{"unknown fields are ignored", "foo: bar\ndata: x\nDATA: y\n\n", []Event{ev("", "", "x")}, ""},
		{"field names are case-sensitive", "Data: x\n\n", nil, ""},
		{"a field name with a space is unknown", "data : x\n\n", nil, ""},
		{"a BOM at the start of the stream is skipped", "\uFEFFdata: x\n\n", []Event{ev("", "", "x")}, ""},
		{"a BOM later is not skipped", "data: x\n\n\uFEFFdata: y\n\n", []Event{ev("", "", "x")}, ""},
		{"only one BOM is skipped", "\uFEFF\uFEFFdata: x\n\n", nil, ""},
		{"data may hold NUL and non-UTF-8 bytes", "data: a\x00\xff\n\n", []Event{ev("", "", "a\x00\xff")}, ""},
	}
	for _, tc := range cases {
		got, rd, err := readAll(strings.NewReader(tc.in), nil)
		if err != io.EOF {
			t.Errorf("%s: ended with %v, want io.EOF", tc.rule, err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s: %q (-want +got):\n%s", tc.rule, tc.in, d)
		}
		if rd.LastEventID() != tc.lastID {
			t.Errorf("%s: LastEventID = %q, want %q", tc.rule, rd.LastEventID(), tc.lastID)
		}
		// The same stream delivered one byte at a time must parse the same: a line end split
		// across reads (CR then LF) must not become two.
		got, _, _ = readAll(iotest.OneByteReader(strings.NewReader(tc.in)), nil)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s: one byte at a time (-want +got):\n%s", tc.rule, d)
		}
	}
}

func TestReaderRetry(t *testing.T) {
	cases := []struct {
		rule      string
		in        string
		want      []Event
		lastRetry time.Duration
	}{
		{"retry sets the reconnection time in milliseconds", "retry: 1500\ndata: x\n\n",
			[]Event{{Data: []byte("x"), Retry: 1500 * time.Millisecond}}, 1500 * time.Millisecond},
		{"retry alone dispatches nothing but is kept", "retry: 10\n\n", nil, 10 * time.Millisecond},
		{"a non-digit retry is ignored", "retry: 10\n\nretry: 1x\ndata: x\n\n", []Event{{Data: []byte("x")}}, 10 * time.Millisecond},
		{"a signed retry is ignored", "retry: -5\ndata: x\n\n", []Event{{Data: []byte("x")}}, 0},
		{"an empty retry is ignored", "retry:\ndata: x\n\n", []Event{{Data: []byte("x")}}, 0},
		{"an overflowing retry is ignored", "retry: 99999999999999999999\ndata: x\n\n", []Event{{Data: []byte("x")}}, 0},
		{"Event.Retry belongs to its block only", "retry: 5\ndata: x\n\ndata: y\n\n",
			[]Event{{Data: []byte("x"), Retry: 5 * time.Millisecond}, {Data: []byte("y")}}, 5 * time.Millisecond},
	}
	for _, tc := range cases {
		got, rd, _ := readAll(strings.NewReader(tc.in), nil)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.rule, d)
		}
		if rd.Retry() != tc.lastRetry {
			t.Errorf("%s: Retry() = %v, want %v", tc.rule, rd.Retry(), tc.lastRetry)
		}
	}
}

func TestReaderBounds(t *testing.T) {
	opts := &ReaderOptions{MaxEventSize: 64}
	long := strings.Repeat("x", 65)
	cases := []struct {
		rule string
		in   string
	}{
		{"a line over the bound, terminated", "data: " + long + "\n\n"},
		{"a line over the bound, never terminated", "data: " + long + strings.Repeat("y", 1000)},
		{"a comment over the bound", ": " + long + "\n"},
		{"data over the bound across many short lines", strings.Repeat("data: 0123456789\n", 10) + "\n"},
	}
	for _, tc := range cases {
		_, _, err := readAll(strings.NewReader(tc.in), opts)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrTooLarge", tc.rule, err)
		}
	}
	// Right at the bound is accepted: 64 bytes of line.
	in := "data: " + strings.Repeat("x", 58) + "\n\n"
	got, _, err := readAll(strings.NewReader(in), opts)
	if err != io.EOF || len(got) != 1 {
		t.Errorf("a line of exactly MaxEventSize: %d events, %v", len(got), err)
	}
}

func TestReaderInitialLastEventID(t *testing.T) {
	got, _, _ := readAll(strings.NewReader("data: x\n\n"), &ReaderOptions{LastEventID: "5-0"})
	if d := cmp.Diff([]Event{ev("5-0", "", "x")}, got); d != "" {
		t.Errorf("the resume id is in force until the stream sets one (-want +got):\n%s", d)
	}
}

func TestReaderStickyError(t *testing.T) {
	boom := errors.New("boom")
	rd := NewReader(io.MultiReader(strings.NewReader("data: x\n\n"), iotest.ErrReader(boom)), nil)
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := rd.Next(); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the read error", err)
		}
	}
}

func TestReaderAll(t *testing.T) {
	var got []string
	for e, err := range NewReader(strings.NewReader("data: 1\n\ndata: 2\n\ndata: 3"), nil).All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(e.Data))
	}
	if d := cmp.Diff([]string{"1", "2"}, got); d != "" {
		t.Errorf("All ends quietly at EOF (-want +got):\n%s", d)
	}
	var errs []error
	for _, err := range NewReader(strings.NewReader("data: "+strings.Repeat("x", 100)), &ReaderOptions{MaxEventSize: 20}).All() {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrTooLarge) {
		t.Errorf("All yields other errors once: %v", errs)
	}
}
