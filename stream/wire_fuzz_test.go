package stream

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/ctifeed/ctifeed/internal/sse"
)

// FuzzDecodeFrames parses arbitrary bytes as an event stream and decodes every event as
// the Client does: nothing panics, undecodable data is ErrBadFrame, and every decoded
// change message encodes back to data that decodes to the same message.
func FuzzDecodeFrames(f *testing.F) {
	good, _ := appendData(nil, Message{Type: Create, Object: indicator(1), Dependency: true}, false)
	upd, _ := appendData(nil, Message{Type: Update, Object: indicator(1), Patch: []byte(`[]`), ReversePatch: []byte(`[{"op":"remove","path":"/x"}]`)}, false)
	mrg, _ := appendData(nil, Message{Type: Merge, Object: indicator(1), Sources: nil}, false)
	f.Add([]byte("id: 1-0\nevent: create\ndata: " + string(good) + "\n\n"))
	f.Add([]byte("event: connected\ndata: {\"lastEventId\":\"1-0\",\"streamSize\":3}\n\nid: 1-0\nevent: heartbeat\ndata: \"2024-01-01T00:00:00.000Z\"\n\n"))
	f.Add([]byte("id: 2-0\r\nevent: update\r\ndata: " + string(upd) + "\r\n\r\n"))
	f.Add([]byte("event: gap\ndata: {\"requested\":\"1-0\",\"firstRetained\":\"5-0\"}\n\nevent: merge\ndata: " + string(mrg) + "\n\n"))
	f.Add([]byte("event: delete\ndata: {\"data\":{\"type\":\"x\"}}\n\n: comment\nretry: 10\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := sse.NewReader(bytes.NewReader(b), &sse.ReaderOptions{MaxEventSize: 1 << 16})
		for {
			ev, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, sse.ErrTooLarge) {
					t.Fatalf("reader: %v", err)
				}
				return
			}
			fr, err := decodeFrame(ev)
			if err != nil {
				if !errors.Is(err, ErrBadFrame) {
					t.Fatalf("decode error %v does not wrap ErrBadFrame", err)
				}
				continue
			}
			m := fr.Message
			if m.Object == nil {
				continue
			}
			data, err := appendData(nil, m, false)
			if err != nil {
				t.Fatalf("re-encoding %+v: %v", m, err)
			}
			back, err := decodeData(string(m.Type), ev.ID, data)
			if err != nil {
				t.Fatalf("re-decoding %s: %v", data, err)
			}
			if back.Type != m.Type || back.Dependency != m.Dependency || back.Object.ID() != m.Object.ID() ||
				len(back.Sources) != len(m.Sources) || back.Pos != m.Pos {
				t.Fatalf("round trip changed %+v into %+v", m, back)
			}
		}
	})
}

// FuzzParseParams feeds arbitrary query strings and resume headers to the parameter
// parser: nothing panics, and every refusal names a parameter.
func FuzzParseParams(f *testing.F) {
	f.Add("from=0&no-dependencies=true", "")
	f.Add("recover=2024-01-01T00:00:00Z&listen-delete=false", "1700000000000-1")
	f.Add("", "2024-01-01T00:00:00.5+02:00")
	f.Add("from=%zz", "0-0")
	f.Add("with-inferences=maybe", "18446744073709551615-18446744073709551615")
	f.Fuzz(func(t *testing.T, query, lastID string) {
		r := httptest.NewRequest("GET", "/stream/s", nil)
		r.URL.RawQuery = query
		r.Header["Last-Event-Id"] = []string{lastID}
		p, err := parseParams(r)
		if err != nil {
			var pe *paramError
			if !errors.As(err, &pe) || pe.name == "" {
				t.Fatalf("refusal %v names no parameter", err)
			}
			return
		}
		if q, qerr := url.ParseQuery(query); qerr == nil && q.Get("from") == "" && lastID == "" && p.hasFrom {
			t.Fatalf("a start without from or Last-Event-ID: %+v", p)
		}
	})
}
