package sse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"testing"
)

// benchEvent is a typical OpenCTI change frame: a Redis-style id, an event name and one line
// of JSON of about 600 bytes.
var benchEvent = Event{
	ID:    "1700000000000-0",
	Event: "update",
	Data:  []byte(`{"version":"4","type":"update","scope":"external","message":"updates indicator","origin":{"user_id":"88ec0c6a-13ce-5e39-b486-354fe4a7084f"},"data":{"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1","type":"indicator","created":"2023-11-14T22:13:20.000Z","modified":"2023-11-14T22:13:21.000Z","name":"bad.example","pattern":"[domain-name:value = 'bad.example']","pattern_type":"stix","valid_from":"2023-11-14T22:13:20.000Z"},"context":{"patch":[{"op":"replace","path":"/name","value":"bad.example"}],"reverse_patch":[{"op":"replace","path":"/name","value":"old.example"}]}}`),
}

// BenchmarkWriteEvent frames events into a Writer, flushing every 16 frames.
func BenchmarkWriteEvent(b *testing.B) {
	w := NewWriter(io.Discard)
	b.SetBytes(int64(len(benchEvent.Data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := w.WriteEvent(benchEvent); err != nil {
			b.Fatal(err)
		}
		if i%16 == 15 {
			_ = w.Flush()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkGoStdlibFprintfFrame is the baseline: the same frame with fmt.Fprintf into a
// bufio.Writer, as a handler without this package would write it (no validation, no
// splitting of multi-line data).
func BenchmarkGoStdlibFprintfFrame(b *testing.B) {
	bw := bufio.NewWriterSize(io.Discard, 32<<10)
	b.SetBytes(int64(len(benchEvent.Data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		fmt.Fprintf(bw, "id: %s\nevent: %s\ndata: %s\n\n", benchEvent.ID, benchEvent.Event, benchEvent.Data)
		if i%16 == 15 {
			_ = bw.Flush()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// benchStream is 1,000 frames as a Writer writes them.
func benchStream(b *testing.B) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for range 1000 {
		if err := w.WriteEvent(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
	_ = w.Flush()
	return buf.Bytes()
}

// BenchmarkReaderNext parses frames (the per-event cost includes copying the data out).
func BenchmarkReaderNext(b *testing.B) {
	stream := benchStream(b)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	frames := 0
	for b.Loop() {
		r := NewReader(bytes.NewReader(stream), nil)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			frames++
		}
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkGoStdlibScannerLines is the baseline: only splitting the same stream into lines
// with bufio.Scanner (LF only, no fields, no events): a floor for any parser.
func BenchmarkGoStdlibScannerLines(b *testing.B) {
	stream := benchStream(b)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	frames := 0
	for b.Loop() {
		sc := bufio.NewScanner(bytes.NewReader(stream))
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			if len(sc.Bytes()) == 0 {
				frames++
			}
		}
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}
