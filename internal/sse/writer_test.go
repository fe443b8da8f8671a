package sse

import (
	"bytes"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// frameCase is one golden framing case: what is written and why the expected bytes matter.
type frameCase struct {
	name  string
	rule  string
	write func(w *Writer) error
}

var frameCases = []frameCase{
	{"create", "an OpenCTI change frame: id, event, one data line, blank line",
		func(w *Writer) error {
			return w.WriteEvent(Event{ID: "1700000000000-0", Event: "create", Data: []byte(`{"type":"create"}`)})
		}},
	{"no-id", "an event without ID or HasID sends no id line (connected frames carry none)",
		func(w *Writer) error { return w.WriteEvent(Event{Event: "connected", Data: []byte(`{}`)}) }},
	{"empty-id", "HasID with an empty ID sends a bare id line, which resets the client's last id",
		func(w *Writer) error { return w.WriteEvent(Event{HasID: true, Data: []byte("x")}) }},
	{"multiline", "LF, CRLF and CR in data each start a new data line",
		func(w *Writer) error { return w.WriteEvent(Event{Data: []byte("a\nb\r\nc\rd")}) }},
	{"trailing-newline", "a trailing line end yields a final empty data line, so the reader keeps it",
		func(w *Writer) error { return w.WriteEvent(Event{Data: []byte("a\n")}) }},
	{"empty-data", "empty data still sends one data line, so the event is dispatched",
		func(w *Writer) error { return w.WriteEvent(Event{Event: "ping"}) }},
	{"leading-space", "the space after the colon is always written, so a leading space in data survives",
		func(w *Writer) error { return w.WriteEvent(Event{Data: []byte(" x")}) }},
	{"retry-in-event", "Retry goes as whole milliseconds before the data",
		func(w *Writer) error { return w.WriteEvent(Event{Retry: 2500 * time.Millisecond, Data: []byte("x")}) }},
	{"retry-only", "WriteRetry sends a frame that dispatches nothing",
		func(w *Writer) error { return w.WriteRetry(3 * time.Second) }},
	{"comment", "a keep-alive comment is ': text' and a blank line",
		func(w *Writer) error { return w.WriteComment("keep-alive") }},
	{"comment-multiline", "a comment with line ends becomes several comment lines; an empty one is ':'",
		func(w *Writer) error { return w.WriteComment("a\n\nb") }},
	{"batch", "several frames buffered then flushed once keep their order",
		func(w *Writer) error {
			return errors.Join(
				w.WriteEvent(Event{ID: "1-0", Event: "create", Data: []byte("1")}),
				w.WriteComment(""),
				w.WriteEvent(Event{ID: "2-0", Event: "heartbeat", Data: []byte(`"2023-11-14T22:13:20.000Z"`)}),
			)
		}},
}

func TestWriterGolden(t *testing.T) {
	for _, tc := range frameCases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			if err := tc.write(w); err != nil {
				t.Fatal(err)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes reached the writer before Flush", buf.Len())
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "frames", tc.name+".txt")
			got := "# " + tc.rule + "\n" + buf.String()
			golden.Check(t, path, got, *update)
		})
	}
}

func TestWriterRefusesUnframeable(t *testing.T) {
	cases := []struct {
		rule string
		ev   Event
	}{
		{"LF in id would end the id line early", Event{ID: "1\n2", Data: []byte("x")}},
		{"CR in id would end the id line early", Event{ID: "1\r", Data: []byte("x")}},
		{"NUL in id makes clients ignore the id", Event{ID: "1\x002", Data: []byte("x")}},
		{"LF in event name would inject a field", Event{Event: "a\ndata: evil", Data: []byte("x")}},
		{"CR in event name", Event{Event: "a\rb", Data: []byte("x")}},
		{"NUL in event name", Event{Event: "a\x00", Data: []byte("x")}},
		{"negative retry has no wire form", Event{Retry: -time.Second, Data: []byte("x")}},
	}
	for _, tc := range cases {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		err := w.WriteEvent(tc.ev)
		if !errors.Is(err, ErrInvalidField) {
			t.Errorf("%s: err = %v, want ErrInvalidField", tc.rule, err)
		}
		if w.Buffered() != 0 {
			t.Errorf("%s: %d bytes buffered after a refused event", tc.rule, w.Buffered())
		}
	}
	if err := NewWriter(new(bytes.Buffer)).WriteRetry(-1); !errors.Is(err, ErrInvalidField) {
		t.Errorf("WriteRetry(-1) = %v, want ErrInvalidField", err)
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	SetHeaders(h)
	want := http.Header{
		"Content-Type":      {"text/event-stream; charset=utf-8"},
		"Cache-Control":     {"no-cache, no-transform"},
		"Connection":        {"keep-alive"},
		"X-Accel-Buffering": {"no"},
	}
	if d := cmp.Diff(want, h); d != "" {
		t.Errorf("headers (-want +got):\n%s", d)
	}
}

// A ResponseWriter gets each batch flushed: the client sees frames before the handler returns.
func TestWriterFlushesResponse(t *testing.T) {
	rec := httptest.NewRecorder()
	w := NewWriter(rec)
	if err := w.WriteEvent(Event{Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if rec.Flushed {
		t.Fatal("flushed before Flush")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed || rec.Body.String() != "data: x\n\n" {
		t.Errorf("flushed=%v body=%q", rec.Flushed, rec.Body.String())
	}
	if err := NewWriter(new(bytes.Buffer)).SetWriteDeadline(time.Time{}); !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("SetWriteDeadline on a buffer = %v, want ErrNotSupported", err)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) { f.n++; return 0, errors.New("broken pipe") }

// After a write error the Writer keeps failing and stops buffering, so a dead client costs no
// memory.
func TestWriterStickyError(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw)
	_ = w.WriteEvent(Event{Data: []byte("x")})
	if err := w.Flush(); err == nil {
		t.Fatal("Flush succeeded on a broken writer")
	}
	big := bytes.Repeat([]byte("x"), autoWrite)
	for range 3 {
		if err := w.WriteEvent(Event{Data: big}); err == nil {
			t.Fatal("WriteEvent succeeded after a write error")
		}
	}
	if w.Buffered() != 0 || fw.n != 1 {
		t.Errorf("buffered=%d writes=%d, want 0 and 1", w.Buffered(), fw.n)
	}
}
