package sse

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzReader checks that any input parses without panicking, that no event exceeds the
// bound, and that writing the parsed events and parsing them again gives the same events
// (the Writer accepts everything the Reader produces).
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"data: x\n\n", "id: 1\r\nevent: create\r\ndata: {}\r\n\r\n", "\uFEFFdata: a\rdata: b\r\r",
		": c\nretry: 100\nid\ndata\n\n", "id: a\x00b\ndata: x\n\n", "data: x", "retry: 99999999999999999999\n",
	} {
		f.Add([]byte(s))
	}
	const limit = 256
	f.Fuzz(func(t *testing.T, in []byte) {
		got, _, err := readAll(bytes.NewReader(in), &ReaderOptions{MaxEventSize: limit})
		if err != io.EOF && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, e := range got {
			if len(e.Data) > limit {
				t.Fatalf("event data of %d bytes over the %d bound", len(e.Data), limit)
			}
			e.HasID = true // re-sent explicitly, ids must come back the same
			if err := w.WriteEvent(e); err != nil {
				t.Fatalf("the Writer refused a parsed event %+v: %v", e, err)
			}
		}
		_ = w.Flush()
		again, _, err := readAll(&buf, nil)
		if err != io.EOF {
			t.Fatal(err)
		}
		for i := range got {
			got[i].HasID = true
		}
		if d := cmp.Diff(got, again); d != "" {
			t.Fatalf("re-parse differs (-first +second):\n%s", d)
		}
	})
}
