package sse_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ctifeed/ctifeed/internal/sse"
)

// Frames written to a buffer and parsed back: multi-line data becomes several data lines, and a
// comment (a keep-alive) is skipped by the parser.
func Example() {
	var buf bytes.Buffer
	w := sse.NewWriter(&buf)
	_ = w.WriteEvent(sse.Event{ID: "1700000000000-0", Event: "create", Data: []byte(`{"x":1}`)})
	_ = w.WriteComment("keep-alive")
	_ = w.WriteEvent(sse.Event{Event: "note", Data: []byte("line one\nline two")})
	_ = w.Flush()
	fmt.Print(buf.String())

	r := sse.NewReader(&buf, nil)
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		fmt.Printf("id=%q event=%q data=%q\n", ev.ID, ev.Event, ev.Data)
	}
	// Output:
	// id: 1700000000000-0
	// event: create
	// data: {"x":1}
	//
	// : keep-alive
	//
	// event: note
	// data: line one
	// data: line two
	//
	// id="1700000000000-0" event="create" data="{\"x\":1}"
	// id="1700000000000-0" event="note" data="line one\nline two"
}
