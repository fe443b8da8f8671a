package pgstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/pgstore"
	"github.com/ctifeed/ctifeed/stream"
)

// Append-to-delivery latency for 100 live-stream subscribers spread over two nodes: from
// just before Put to the subscriber reading the create frame. pgstore: two stores (pools,
// listeners) on one database, each behind its own stream handler, the writer alternating
// between them; memstore: two handlers on one store. Each operation is one Put; p50 and
// p99 are over every (event, subscriber) pair; appends are 20 ms apart, so ns/op is mostly
// that pause.
func BenchmarkAppendToDelivery(b *testing.B) {
	dsn := pgtest.DSN(b)
	var nodes []stream.Source
	for range 2 {
		// 50 subscribers per node each read on every event: a pool of 16 (the default is 4
		// on this machine) keeps them from queueing for connections.
		s, err := pgstore.Open(b.Context(), dsn, &pgstore.Options{MaxConns: 16})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		nodes = append(nodes, s)
	}
	mem := memstore.New(nil)
	for _, e := range []struct {
		name  string
		nodes []stream.Source
	}{{"pgstore", nodes}, {"memstore", []stream.Source{mem, mem}}} {
		b.Run(e.name, func(b *testing.B) { benchDelivery(b, e.nodes, 100) })
	}
}

// deliveryPace is the interval between appends.
const deliveryPace = 20 * time.Millisecond

func benchDelivery(b *testing.B, nodes []stream.Source, subscribers int) {
	reg, err := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{
		{ID: "all", Name: "Everything", Live: true, Public: true}}})
	if err != nil {
		b.Fatal(err)
	}
	var urls []string
	for _, n := range nodes {
		h, err := stream.NewHandler(&stream.HandlerOptions{Store: n, Streams: reg})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		urls = append(urls, srv.URL+"/stream/all")
	}
	ctx, cancel := context.WithCancel(b.Context())
	var sent sync.Map // object id → time.Time before its Put
	var mu sync.Mutex
	var lat []time.Duration
	var ready, done sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: subscribers}}
	for i := range subscribers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, urls[i%len(urls)], nil)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				ready.Done()
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<20)
			connected := false
			var event string
			for sc.Scan() {
				line := sc.Text()
				switch {
				case strings.HasPrefix(line, "event: "):
					event = line[7:]
				case strings.HasPrefix(line, "data: ") && event == "create":
					var msg struct {
						Data struct{ ID string } `json:"data"`
					}
					if json.Unmarshal([]byte(line[6:]), &msg) == nil {
						if t0, ok := sent.Load(msg.Data.ID); ok {
							d := time.Since(t0.(time.Time))
							mu.Lock()
							lat = append(lat, d)
							mu.Unlock()
						}
					}
				case line == "" && event == "connected" && !connected:
					connected = true
					ready.Done()
				}
				if line == "" {
					event = ""
				}
			}
		}()
	}
	ready.Wait()
	writers := []store.Writer{nodes[0].(store.Writer), nodes[1].(store.Writer)}
	i := 0
	for b.Loop() {
		o := newIndicator(b, i)
		sent.Store(string(o.ID()), time.Now())
		if _, _, err := writers[i%2].Put(ctx, o); err != nil {
			b.Fatal(err)
		}
		i++
		time.Sleep(deliveryPace) // a latency, not a throughput: let each event be delivered
	}
	b.StopTimer()
	// Let the last deliveries arrive, then hang up.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(lat)
		mu.Unlock()
		if n >= i*subscribers {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	done.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(lat) < i*subscribers {
		b.Fatalf("%d deliveries of %d", len(lat), i*subscribers)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
