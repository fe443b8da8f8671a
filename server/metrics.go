package server

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/stream"
)

// metrics are the hub's Prometheus metrics, in a registry of their own.
type metrics struct {
	reg *prometheus.Registry

	subscribers     *prometheus.GaugeVec
	streamMessages  *prometheus.CounterVec
	streamBytes     *prometheus.CounterVec
	streamGaps      *prometheus.CounterVec
	streamRecovered *prometheus.CounterVec
	streamCuts      *prometheus.CounterVec
	requests        *prometheus.CounterVec
	requestSeconds  *prometheus.HistogramVec
	csvSeconds      *prometheus.HistogramVec
	csvRows         *prometheus.GaugeVec
	ingested        *prometheus.CounterVec
	ingestErrors    *prometheus.CounterVec
	ingestInvalid   *prometheus.CounterVec
	ingestLag       *prometheus.GaugeVec
	storeSeconds    *prometheus.HistogramVec
	hidden          *prometheus.GaugeVec
	auth            *prometheus.CounterVec
	rejected        *prometheus.CounterVec

	lag *lagCollector
	// subs are the open live-stream connections, for the lag collector.
	mu   sync.Mutex
	subs map[*subscriberState]struct{}
	next atomic.Int64
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), subs: map[*subscriberState]struct{}{}}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "ctifeed", Name: name, Help: help}, labels)
		f(g)
		return g
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ctifeed", Name: name, Help: help}, labels)
		f(c)
		return c
	}
	hist := func(name, help string, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "ctifeed", Name: name, Help: help,
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}, labels)
		f(h)
		return h
	}
	m.subscribers = gauge("stream_subscribers", "Open live-stream connections.", "stream")
	m.streamMessages = counter("stream_messages_sent_total", "Live-stream messages sent.", "stream")
	m.streamBytes = counter("stream_bytes_sent_total", "Live-stream message data bytes sent.", "stream")
	m.streamGaps = counter("stream_gaps_sent_total", "Gap frames sent (a consumer resumed from before the retained log).", "stream")
	m.streamRecovered = counter("stream_recoveries_sent_total", "Recovery snapshots sent (recover parameter or after a gap).", "stream")
	m.streamCuts = counter("stream_cuts_total", "Live-stream connections cut because the consumer fell too far behind (http.stream_max_lag).", "stream")
	m.requests = counter("http_requests_total", "HTTP requests by feed, endpoint and status.", "feed", "endpoint", "code")
	m.requestSeconds = hist("http_request_seconds", "HTTP request latency (live streams excluded).", "feed", "endpoint")
	m.csvSeconds = hist("csv_generation_seconds", "CSV file generation time.", "feed")
	m.csvRows = gauge("csv_rows", "Rows of the last CSV file generated.", "feed")
	m.ingested = counter("ingest_objects_total", "Objects stored by an ingestion source (unchanged ones included).", "source")
	m.ingestErrors = counter("ingest_errors_total", "Failed ingestion attempts (a file, a poll, a connection).", "source")
	m.ingestInvalid = counter("ingest_invalid_objects_total", "Objects refused as invalid.", "source")
	m.ingestLag = gauge("ingest_lag_seconds", "Age of the newest data an ingestion source has stored (by its position's time).", "source")
	m.storeSeconds = hist("store_operation_seconds", "Store operation latency.", "op")
	m.hidden = gauge("objects_hidden", "Stored objects a configured user may not see, by user and the marking that hides them (\"organization\" when segregation does).", "user", "marking")
	m.auth = counter("auth_attempts_total", "Authentication attempts by scheme and result.", "scheme", "result")
	m.rejected = counter("rejected_total", "Requests refused by a limit: connections (503), streams (429), auth_throttle (429), body_timeout.", "limit")
	m.lag = &lagCollector{m: m,
		events:  prometheus.NewDesc("ctifeed_stream_subscriber_lag_events", "Events in the log after a subscriber's position (capped at 10,000).", []string{"stream", "subscriber", "user"}, nil),
		seconds: prometheus.NewDesc("ctifeed_stream_subscriber_lag_seconds", "Time between a subscriber's position and the log's end.", []string{"stream", "subscriber", "user"}, nil)}
	f(m.lag)
	return m
}

// subscriberState is one open live-stream connection.
type subscriberState struct {
	id, stream, user string
	pos              atomic.Pointer[store.Position]
}

// streamObserver adapts stream's observation hooks to the metrics.
type streamObserver struct {
	m *metrics
}

type subKey struct{}

func (o streamObserver) ObserveStart(ctx context.Context, d stream.StartData) context.Context {
	s := &subscriberState{id: strconv.FormatInt(o.m.next.Add(1), 10), stream: d.StreamID, user: "anonymous"}
	if d.Principal != nil {
		s.user = d.Principal.Name
	}
	s.pos.Store(&store.Position{})
	o.m.mu.Lock()
	o.m.subs[s] = struct{}{}
	o.m.mu.Unlock()
	o.m.subscribers.WithLabelValues(d.StreamID).Inc()
	return context.WithValue(ctx, subKey{}, s)
}

func (o streamObserver) ObserveEnd(ctx context.Context, d stream.EndData) {
	o.m.subscribers.WithLabelValues(d.StreamID).Dec()
	if errors.Is(d.Err, stream.ErrTooFarBehind) {
		o.m.streamCuts.WithLabelValues(d.StreamID).Inc()
	}
	if s, ok := ctx.Value(subKey{}).(*subscriberState); ok {
		o.m.mu.Lock()
		delete(o.m.subs, s)
		o.m.mu.Unlock()
	}
}

func (o streamObserver) ObserveGroup(ctx context.Context, d stream.GroupData) {
	if d.Messages > 0 {
		o.m.streamMessages.WithLabelValues(d.StreamID).Add(float64(d.Messages))
		o.m.streamBytes.WithLabelValues(d.StreamID).Add(float64(d.Bytes))
	}
	if d.Recovery {
		o.m.streamRecovered.WithLabelValues(d.StreamID).Inc()
	}
	if s, ok := ctx.Value(subKey{}).(*subscriberState); ok {
		pos := d.Pos
		s.pos.Store(&pos)
	}
}

func (o streamObserver) ObserveGap(_ context.Context, d stream.GapData) {
	o.m.streamGaps.WithLabelValues(d.StreamID).Inc()
}

// csvObserver adapts csvfeed's hook.
type csvObserver struct{ m *metrics }

func (o csvObserver) ObserveGenerate(_ context.Context, d csvfeed.GenerateData) {
	o.m.csvSeconds.WithLabelValues(d.Feed).Observe(d.Duration.Seconds())
	if d.Err == nil {
		o.m.csvRows.WithLabelValues(d.Feed).Set(float64(d.Rows))
	}
}

// lagCollector computes each subscriber's lag when metrics are scraped: how many events
// the log holds after its position (read from the store, capped) and how old its position
// is next to the log's end.
type lagCollector struct {
	m               *metrics
	log             store.Log
	events, seconds *prometheus.Desc
}

const lagCap = 10000

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.events
	ch <- c.seconds
}

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	subs := make([]*subscriberState, 0, len(c.m.subs))
	for s := range c.m.subs {
		subs = append(subs, s)
	}
	log := c.log
	c.m.mu.Unlock()
	// log is set once, before serving, under the same lock (see setLog).
	if log == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := log.Bounds(ctx)
	if err != nil {
		return
	}
	for _, s := range subs {
		pos := *s.pos.Load()
		n := 0
		if pos.Compare(b.Last) < 0 {
			evs, err := log.Read(ctx, pos, lagCap)
			if err != nil {
				n = lagCap // a gap: at least as far behind as the cap says
			} else {
				n = len(evs)
			}
		}
		secs := 0.0
		if pos.Compare(b.Last) < 0 {
			secs = b.Last.Time().Sub(pos.Time()).Seconds()
			if pos.IsZero() {
				secs = b.Last.Time().Sub(b.First.Time()).Seconds()
			}
		}
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.GaugeValue, float64(n), s.stream, s.id, s.user)
		ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.GaugeValue, secs, s.stream, s.id, s.user)
	}
}

// setLog gives the lag collector the log it measures against.
func (m *metrics) setLog(l store.Log) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lag.log = l
}
