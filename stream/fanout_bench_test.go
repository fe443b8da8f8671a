package stream

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/store/memstore"
)

// fanoutWriter is an in-process consumer: an http.ResponseWriter and Flusher that the
// Handler writes to as to a real connection (every frame encoded and framed), which
// counts the change frames and records, for each, how long after its event was appended
// it arrived. The fd limit (ulimit -n 20,000) forbids 10,000 loopback connections with
// both ends in one process; this keeps everything but the socket.
type fanoutWriter struct {
	h         http.Header
	connected func() // called once, at the connected frame
	changes   atomic.Int64
	lat       *latencyHist
	bad       atomic.Int64 // writes that did not end on a frame boundary
}

func (w *fanoutWriter) Header() http.Header { return w.h }
func (w *fanoutWriter) WriteHeader(int)     {}
func (w *fanoutWriter) Flush()              {}

// SetWriteDeadline accepts the deadlines a socket would (http.ResponseController's seam).
func (w *fanoutWriter) SetWriteDeadline(time.Time) error { return nil }

var (
	sseEventCreate = []byte("\nevent: create\n")
	sseConnected   = []byte("event: connected\n")
)

// Write reads the frames of p: the sse.Writer hands over whole frames only.
func (w *fanoutWriter) Write(p []byte) (int, error) {
	if !bytes.HasSuffix(p, []byte("\n\n")) {
		w.bad.Add(1)
	}
	now := time.Now().UnixMilli()
	for rest := p; len(rest) > 0; {
		end := bytes.Index(rest, []byte("\n\n"))
		if end < 0 {
			break
		}
		frame := rest[:end+1]
		rest = rest[end+2:]
		if w.connected != nil && bytes.Contains(frame, sseConnected) {
			w.connected()
			w.connected = nil
			continue
		}
		if !bytes.Contains(frame, sseEventCreate) || !bytes.HasPrefix(frame, []byte("id: ")) {
			continue
		}
		w.changes.Add(1)
		// The id of a group's last frame is its event's position, whose milliseconds are
		// the append's time (memstore's clock is the wall clock).
		id := frame[4:bytes.IndexByte(frame, '\n')]
		if dash := bytes.IndexByte(id, '-'); dash > 0 {
			if ms, err := strconv.ParseInt(string(id[:dash]), 10, 64); err == nil {
				w.lat.add(now - ms)
			}
		}
	}
	return len(p), nil
}

// latencyHist counts latencies in milliseconds (the last bucket holds everything beyond).
type latencyHist struct{ n [10_001]atomic.Int64 }

func (h *latencyHist) add(ms int64) { h.n[min(max(ms, 0), int64(len(h.n)-1))].Add(1) }

// quantile returns the smallest latency (ms) at or below which a fraction q of them lie.
func (h *latencyHist) quantile(q float64) int {
	var total int64
	for i := range h.n {
		total += h.n[i].Load()
	}
	want, seen := int64(q*float64(total)+0.5), int64(0)
	for i := range h.n {
		if seen += h.n[i].Load(); seen >= want && seen > 0 {
			return i
		}
	}
	return len(h.n) - 1
}

// fanoutSeconds is how long events are appended (CTIFEED_FANOUT_SECONDS, default 10).
func fanoutSeconds() int {
	if n, err := strconv.Atoi(os.Getenv("CTIFEED_FANOUT_SECONDS")); err == nil && n > 0 {
		return n
	}
	return 10
}

// fanoutSubscribers is how many subscribers connect (CTIFEED_FANOUT_SUBSCRIBERS, default
// 10,000).
func fanoutSubscribers() int {
	if n, err := strconv.Atoi(os.Getenv("CTIFEED_FANOUT_SUBSCRIBERS")); err == nil && n > 0 {
		return n
	}
	return 10_000
}

// BenchmarkFanout10k: 10,000 concurrent subscribers of one public stream (one class), fed
// 100 indicator creates a second for 10 s, through the Handler with an in-process
// transport (fanoutWriter). "shared" is the Handler's default (one Share for all
// connections); "old-noshare" is the same with sharing off, every connection planning and
// encoding every event. It reports the fraction of messages delivered within a minute of
// the last append, the append-to-delivery latency (p50, p99, max; ms), the time from the
// last append until every subscriber had everything, and the live heap after a GC with
// every connection still open.
func BenchmarkFanout10k(b *testing.B) {
	for _, mode := range []struct {
		name    string
		noShare bool
	}{{"shared", false}, {"old-noshare", true}} {
		b.Run(mode.name, func(b *testing.B) {
			for range b.N {
				runFanout(b, mode.noShare, fanoutSubscribers(), 100, fanoutSeconds())
			}
		})
	}
}

func runFanout(b *testing.B, noShare bool, subscribers, rate, seconds int) {
	st := memstore.New(&memstore.Options{MaxEvents: -1})
	reg, _ := NewRegistry(&RegistryOptions{Definitions: []Definition{publicDef("s")}})
	h, err := NewHandler(&HandlerOptions{Store: st, Streams: reg, NoShare: noShare})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	lat := &latencyHist{}
	writers := make([]*fanoutWriter, subscribers)
	var connected, served sync.WaitGroup
	connected.Add(subscribers)
	for i := range writers {
		w := &fanoutWriter{h: http.Header{}, lat: lat, connected: connected.Done}
		writers[i] = w
		req := httptest.NewRequest(http.MethodGet, "/stream/s", nil).WithContext(ctx)
		served.Go(func() { h.ServeHTTP(w, req) })
	}
	connected.Wait()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	events := rate * seconds
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	firstAppend := time.Now()
	// Paced by schedule, not by a ticker: a ticker drops the ticks the appender misses
	// while it waits for a core, which would lower the rate; late appends catch up.
	every := time.Second / time.Duration(rate)
	for i := range events {
		time.Sleep(time.Until(firstAppend.Add(time.Duration(i) * every)))
		if _, _, err := st.Put(context.Background(), benchIndicator(i)); err != nil {
			b.Fatal(err)
		}
	}
	lastAppend := time.Now()
	want := int64(subscribers) * int64(events)
	var got int64
	for deadline := lastAppend.Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got = 0
		for _, w := range writers {
			got += w.changes.Load()
		}
		if got >= want {
			break
		}
	}
	drain := time.Since(lastAppend)
	b.StopTimer()
	// The process's CPU time per message delivered: what the machine's load does not
	// inflate much, unlike the latencies (the in-process consumers' parsing included).
	if cpu1, ok := processCPU(); ok && cpuOK && got > 0 {
		b.ReportMetric(float64(cpu1-cpu0)/1e3/float64(got), "cpu-µs/msg")
	}

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	var bad int64
	for _, w := range writers {
		bad += w.bad.Load()
	}
	cancel()
	h.Close()
	served.Wait()
	if bad > 0 {
		b.Errorf("%d writes did not end on a frame boundary", bad)
	}
	if got != want && !noShare { // the old engine is expected to fall behind
		b.Errorf("delivered %d of %d messages (%.2f%%) within a minute of the last append", got, want, 100*float64(got)/float64(want))
	}
	b.ReportMetric(float64(got)/float64(want), "delivered")
	b.ReportMetric(float64(lat.quantile(0.5)), "p50-ms")
	b.ReportMetric(float64(lat.quantile(0.99)), "p99-ms")
	b.ReportMetric(float64(lat.quantile(1)), "max-ms")
	b.ReportMetric(drain.Seconds(), "drain-s")
	// The appends run beside the subscribers; on a loaded machine they fall behind the
	// ticker, so the rate achieved is reported.
	b.ReportMetric(float64(events)/lastAppend.Sub(firstAppend).Seconds(), "appends/s")
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-inuse-MB")
	b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "heap-live-MB")
	b.ReportMetric(float64(before.HeapInuse)/(1<<20), "heap-connected-MB")
	b.ReportMetric(float64(after.StackInuse)/(1<<20), "stacks-MB")
	b.Logf("%s: %d subscribers × %d events: delivered %d/%d, live heap %s, heap in use %s after the run (%s once connected), stacks %s, GC cycles %d",
		map[bool]string{false: "shared", true: "no share"}[noShare], subscribers, events, got, want,
		mb(after.HeapAlloc), mb(after.HeapInuse), mb(before.HeapInuse), mb(after.StackInuse), after.NumGC-before.NumGC)
}

func mb(n uint64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// frameCounter counts the change frames of an SSE body without parsing it: a consumer
// that only counts, so that the benchmark's client spends little of the CPU the server
// needs (both run in one process).
type frameCounter struct {
	pattern []byte
	tail    []byte // the last bytes of the previous read, for a pattern split across reads
	n       int
}

func (c *frameCounter) count(p []byte) {
	joined := append(c.tail, p[:min(len(p), len(c.pattern)-1)]...)
	c.n += bytes.Count(joined, c.pattern) + bytes.Count(p, c.pattern)
	keep := min(len(p), len(c.pattern)-1)
	c.tail = append(c.tail[:0], p[len(p)-keep:]...)
}

// readCount reads url until it has n change frames.
func readCount(client *http.Client, url string, n int) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	c := &frameCounter{pattern: sseEventCreate}
	buf := make([]byte, 64<<10)
	for c.n < n {
		k, err := resp.Body.Read(buf)
		c.count(buf[:k])
		if err != nil && c.n < n {
			return fmt.Errorf("after %d of %d frames: %w", c.n, n, err)
		}
	}
	return nil
}

// deliveryLog is the pre-written log of BenchmarkDelivery100Subscribers (built once).
var deliveryLog struct {
	once sync.Once
	st   *memstore.Store
}

// BenchmarkDelivery100Subscribers: 100 subscribers of one stream and clearance over
// loopback HTTP, each reading a pre-written log of 200,000 indicator creates from the
// start; aggregate messages per second, from the first request to the last frame. "shared"
// is the Handler's default, "old-noshare" the same without sharing.
func BenchmarkDelivery100Subscribers(b *testing.B) {
	const subscribers = 100
	objects := 200_000
	if n, err := strconv.Atoi(os.Getenv("CTIFEED_DELIVERY_OBJECTS")); err == nil && n > 0 {
		objects = n // for quicker trials; the figures recorded use the default
	}
	deliveryLog.once.Do(func() {
		st := memstore.New(&memstore.Options{MaxEvents: -1})
		for i := range objects {
			if _, _, err := st.Put(context.Background(), benchIndicator(i)); err != nil {
				panic(err)
			}
		}
		deliveryLog.st = st
	})
	for _, mode := range []struct {
		name    string
		noShare bool
	}{{"shared", false}, {"old-noshare", true}} {
		b.Run(mode.name, func(b *testing.B) {
			reg, _ := NewRegistry(&RegistryOptions{Definitions: []Definition{publicDef("s")}})
			share := NewShare(nil)
			h, err := NewHandler(&HandlerOptions{Store: deliveryLog.st, Streams: reg, NoShare: mode.noShare, Share: share})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer func() { h.Close(); srv.Close() }()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: subscribers}}
			defer client.CloseIdleConnections()
			b.ResetTimer()
			start := time.Now()
			cpu0, cpuOK := processCPU()
			for range b.N {
				var wg sync.WaitGroup
				errs := make([]error, subscribers)
				for i := range subscribers {
					wg.Go(func() { errs[i] = readCount(client, srv.URL+"/stream/s?from=0", objects) })
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*subscribers*objects)/time.Since(start).Seconds(), "msgs/s")
			// Server and client CPU time per message (both run in this process).
			if cpu1, ok := processCPU(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/1e3/float64(b.N*subscribers*objects), "cpu-µs/msg")
			}
			if !mode.noShare {
				st := share.Stats()
				b.Logf("share: %+v", st)
				b.ReportMetric(float64(st.Planned+st.Private)/float64(b.N*objects), "plans/event")
			}
		})
	}
}
