package stream

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// benchIndicator is a small indicator (~400 bytes of JSON).
func benchIndicator(i int) *stix.Object {
	o, err := stix.NewIndicator(fmt.Sprintf("bench-%d", i), "[ipv4-addr:value = '10.0.0.1']", t0, stix.Common{
		ID: stix.ID(fmt.Sprintf("indicator--20000000-0000-4000-8000-%012d", i)), Created: t0, Modified: t0})
	if err != nil {
		panic(err)
	}
	return o
}

// benchServer serves a public stream with no filters, over the real engine, on loopback;
// noShare turns the Handler's Share off (the engine before it).
func benchServer(b *testing.B, st *memstore.Store, noShare ...bool) (*httptest.Server, func()) {
	reg, _ := NewRegistry(&RegistryOptions{Definitions: []Definition{publicDef("s")}})
	h, err := NewHandler(&HandlerOptions{Store: st, Streams: reg, NoShare: len(noShare) > 0 && noShare[0]})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	return srv, func() { h.Close(); srv.Close() }
}

// readChanges reads n change frames from url.
func readChanges(b *testing.B, client *http.Client, url string, n int) {
	resp, err := client.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	r := sse.NewReader(resp.Body, nil)
	for got := 0; got < n; {
		ev, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		if ev.Event == "create" {
			got++
		}
	}
}

// BenchmarkDeliveryOneSubscriber: messages per second to one subscriber over loopback,
// from a log of b.N creates (the engine, the wire encoding and SSE framing included).
func BenchmarkDeliveryOneSubscriber(b *testing.B) { deliveryOne(b, false) }

// BenchmarkDeliveryOneSubscriberNoShare is BenchmarkDeliveryOneSubscriber with the
// Handler's Share off: the engine before it, for comparison in the same run.
func BenchmarkDeliveryOneSubscriberNoShare(b *testing.B) { deliveryOne(b, true) }

func deliveryOne(b *testing.B, noShare bool) {
	st := memstore.New(&memstore.Options{MaxEvents: -1})
	for i := range b.N {
		if _, _, err := st.Put(context.Background(), benchIndicator(i)); err != nil {
			b.Fatal(err)
		}
	}
	srv, stop := benchServer(b, st, noShare)
	defer stop()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	b.ResetTimer()
	start := time.Now()
	readChanges(b, client, srv.URL+"/stream/s?from=0", b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkDeliveryBaselineRawSSE is the baseline of BenchmarkDeliveryOneSubscriber: the
// same frames (already encoded) written by a bare handler with the same SSE writer, with
// no log reads, engine or encoding.
func BenchmarkDeliveryBaselineRawSSE(b *testing.B) {
	data, _ := appendData(nil, Message{Type: Create, Object: benchIndicator(1)}, false)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse.SetHeaders(w.Header())
		sw := sse.NewWriter(w)
		for i := range b.N {
			_ = sw.WriteEvent(sse.Event{ID: store.Position{Millis: uint64(i)}.String(), Event: "create", Data: data})
			if i%256 == 255 {
				_ = sw.Flush()
			}
		}
		_ = sw.Flush()
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	b.ResetTimer()
	start := time.Now()
	readChanges(b, client, srv.URL, b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// latencies runs b.N appends, one at a time, and returns for each append and each of the
// subscribers how long after the append it was received; subscribe starts one subscriber
// that calls got(i) when it receives the i-th event.
func latencies(b *testing.B, st *memstore.Store, subscribers int, subscribe func(i int, got func(int), ready *sync.WaitGroup)) []time.Duration {
	var appended atomic.Int64
	recv := make(chan time.Duration, subscribers)
	var ready sync.WaitGroup
	for s := range subscribers {
		ready.Add(1)
		subscribe(s, func(int) { recv <- time.Duration(time.Now().UnixNano() - appended.Load()) }, &ready)
	}
	ready.Wait()
	out := make([]time.Duration, 0, b.N*subscribers)
	b.ResetTimer()
	for i := range b.N {
		appended.Store(time.Now().UnixNano())
		if _, _, err := st.Put(context.Background(), benchIndicator(i)); err != nil {
			b.Fatal(err)
		}
		for range subscribers {
			out = append(out, <-recv)
		}
	}
	b.StopTimer()
	return out
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	if len(d) == 0 {
		return
	}
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkLatency100Subscribers: append-to-delivery latency with 100 HTTP subscribers
// (each append waits until all 100 have received it, so latencies do not queue).
func BenchmarkLatency100Subscribers(b *testing.B) {
	st := memstore.New(&memstore.Options{MaxEvents: -1})
	srv, stop := benchServer(b, st)
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	d := latencies(b, st, 100, func(_ int, got func(int), ready *sync.WaitGroup) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stream/s", nil)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		r := sse.NewReader(resp.Body, nil)
		if _, err := r.Next(); err != nil { // connected: the stream is live
			b.Fatal(err)
		}
		ready.Done()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			for i := 0; ; {
				ev, err := r.Next()
				if err != nil {
					return
				}
				if ev.Event == "create" {
					got(i)
					i++
				}
			}
		}()
	})
	cancel()
	wg.Wait()
	reportPercentiles(b, d)
}

// BenchmarkLatency100LogReaders is the baseline of BenchmarkLatency100Subscribers: 100
// goroutines reading the store's log directly (Read, then Wait), with no engine or HTTP.
func BenchmarkLatency100LogReaders(b *testing.B) {
	st := memstore.New(&memstore.Options{MaxEvents: -1})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	d := latencies(b, st, 100, func(_ int, got func(int), ready *sync.WaitGroup) {
		ready.Done()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pos store.Position
			for i := 0; ; {
				evs, err := st.Read(ctx, pos, 256)
				if err != nil {
					return
				}
				for _, ev := range evs {
					pos = ev.Pos
					got(i)
					i++
				}
				if len(evs) == 0 && st.Wait(ctx, pos) != nil {
					return
				}
			}
		}()
	})
	cancel()
	wg.Wait()
	reportPercentiles(b, d)
}
