package sse

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// randomEvent draws an event the Writer accepts, with awkward bytes on purpose: leading spaces,
// colons, a BOM, NUL and invalid UTF-8 in data, every kind of line end.
func randomEvent(rng *rand.Rand) Event {
	const alphabet = "ab: \x00\xff\uFEFF-09\n\r"
	text := func(n int, lineEnds bool) string {
		var sb strings.Builder
		for range rng.IntN(n + 1) {
			c := alphabet[rng.IntN(len(alphabet))]
			if !lineEnds && (c == '\n' || c == '\r' || c == 0) {
				continue
			}
			sb.WriteByte(c)
		}
		return sb.String()
	}
	e := Event{Data: []byte(text(40, true))}
	if rng.IntN(2) == 0 {
		e.ID = text(12, false)
		e.HasID = rng.IntN(2) == 0 || e.ID != ""
	}
	if rng.IntN(2) == 0 {
		e.Event = text(8, false)
	}
	if rng.IntN(4) == 0 {
		e.Retry = time.Duration(1+rng.IntN(100000)) * time.Millisecond
	}
	return e
}

// expected is what a reader must dispatch for written events: line ends in data normalised to
// LF, and the id persisting from earlier events when an event sends none.
func expected(written []Event) []Event {
	var out []Event
	lastID := ""
	for _, e := range written {
		if e.HasID || e.ID != "" {
			lastID = e.ID
		}
		data := strings.ReplaceAll(string(e.Data), "\r\n", "\n")
		data = strings.ReplaceAll(data, "\r", "\n")
		out = append(out, Event{ID: lastID, HasID: e.HasID || e.ID != "", Event: e.Event, Data: []byte(data), Retry: e.Retry})
	}
	return out
}

// Property: any sequence of events the Writer accepts (with comments and retry frames
// between them) is read back as the same events, whatever the read chunking.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 500 {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		var written []Event
		for range rng.IntN(8) {
			e := randomEvent(rng)
			if err := w.WriteEvent(e); err != nil {
				t.Fatalf("iteration %d: WriteEvent(%+v): %v", iter, e, err)
			}
			written = append(written, e)
			switch rng.IntN(4) {
			case 0:
				_ = w.WriteComment("keep-alive")
			case 1:
				_ = w.WriteRetry(time.Second)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		var src io.Reader = bytes.NewReader(buf.Bytes())
		if iter%2 == 1 {
			src = &chunkReader{b: buf.Bytes(), rng: rng}
		}
		got, _, err := readAll(src, nil)
		if err != io.EOF {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		want := expected(written)
		if d := cmp.Diff(want, got, cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })); d != "" {
			t.Fatalf("iteration %d, stream %q (-want +got):\n%s", iter, buf.Bytes(), d)
		}
	}
}

// chunkReader returns its bytes in random small pieces, to split lines and CRLFs across reads.
type chunkReader struct {
	b   []byte
	rng *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.b), 1+c.rng.IntN(7))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}
