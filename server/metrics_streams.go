package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// streamsCollector reports the live-stream definitions at scrape time, so that a change
// made on another node (PostgreSQL) shows on every node's metrics.
type streamsCollector struct {
	defs    *Streams
	defined *prometheus.Desc
}

func (c *streamsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.defined }

func (c *streamsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	defs, err := c.defs.List(ctx)
	if err != nil {
		return // the scrape lacks the series; /readyz says whether the store answers
	}
	type key struct{ source, state string }
	n := map[key]int{{"configuration", "live"}: 0, {"configuration", "stopped"}: 0, {"run_time", "live"}: 0, {"run_time", "stopped"}: 0}
	for _, d := range defs {
		k := key{"run_time", "live"}
		if c.defs.Configured(d.ID) {
			k.source = "configuration"
		}
		if !d.Live {
			k.state = "stopped"
		}
		n[k]++
	}
	for k, v := range n {
		ch <- prometheus.MustNewConstMetric(c.defined, prometheus.GaugeValue, float64(v), k.source, k.state)
	}
}

// setStreams registers the definitions' collector and the counter of changes made on
// this node.
func (m *metrics) setStreams(defs *Streams) {
	m.reg.MustRegister(&streamsCollector{defs: defs,
		defined: prometheus.NewDesc("ctifeed_stream_definitions", "Live-stream definitions by source (configuration, run_time) and state (live, stopped).", []string{"source", "state"}, nil)})
	changes := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ctifeed", Name: "stream_definition_changes_total",
		Help: "Live-stream definitions created, replaced or deleted at run time on this node."}, []string{"op"})
	m.reg.MustRegister(changes)
	defs.onChange = func(op string) { changes.WithLabelValues(op).Inc() }
}
