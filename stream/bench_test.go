package stream_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/benchcpu"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

// benchLog stores an author, TLP:GREEN and three malware, then n reports, each marked,
// authored and containing the three malware: five dependencies. Every labelEvery-th report
// carries the label "detection". It returns the reports' create events.
func benchLog(b *testing.B, n, labelEvery int) (*memstore.Store, []store.Event) {
	b.Helper()
	ctx := context.Background()
	st := memstore.New(&memstore.Options{MaxEvents: -1})
	author := identity(b, 1, "CrowdStrike")
	objs := []*stix.Object{tlp(stix.TLPGreen), author}
	var mals []stix.ID
	for i := range 3 {
		m := malware(b, i+1, fmt.Sprint("m", i), common("malware", i+1, ""))
		objs = append(objs, m)
		mals = append(mals, m.ID())
	}
	for _, o := range objs {
		st.Put(ctx, o)
	}
	evs := make([]store.Event, 0, n)
	for i := range n {
		c := common("report", i+1, author.ID(), stix.TLPGreen)
		if labelEvery > 0 && i%labelEvery == 0 {
			c.Labels = []string{"detection"}
		}
		ev, _, err := st.Put(ctx, ok(b)(stix.NewReport(fmt.Sprint("r", i), t0, mals, c)))
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return st, evs
}

// loop runs f(i) for i = 0, 1, … like b.Loop, and reports events/s (wall) and the CPU
// time per operation of the benchmark's thread as "cpu-ns/op" where the platform tells it.
func loop(b *testing.B, f func(i int)) {
	n := benchcpu.Loop(b, f)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func benchSub(b *testing.B, st store.History, filters string, o stream.Options) *stream.Subscriber {
	vis, _ := access.NewVisibility(nil)
	s, err := stream.NewSubscriber(st, stream.Definition{ID: "s", Filters: mustGroup(b, filters)},
		stream.SubscriberOptions{Principal: analyst(), Visibility: vis, Options: o})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchReads are the two ways a subscriber reads the store, run side by side: "as-of" (the
// engine's: the store as of each event's position) and "present" (the old shape: the
// store as it is now, through presentReads, which answers from the current state).
var benchReads = []struct {
	name string
	src  func(*memstore.Store) store.History
}{
	{"as-of", func(st *memstore.Store) store.History { return st }},
	{"present", func(st *memstore.Store) store.History { return presentReads{st} }},
}

// BenchmarkProcess: one subscriber over report events. The baseline is "no-match" (the
// events fail the filters); "match-5deps-cached" sends each report after its five
// dependencies were sent once (cache hits); "match-5deps-sent" sends the five dependencies
// with every report (a cache of one entry); each with resolution off and on, and each
// reading as of the event and (the old shape) the present.
func BenchmarkProcess(b *testing.B) {
	st, evs := benchLog(b, 1000, 1)
	ctx := context.Background()
	for _, bc := range []struct {
		name    string
		filters string
		size    int
	}{
		{"no-match", "entity_type = Indicator", 0},
		{"match-5deps-cached", "entity_type = Report", 0},
		{"match-5deps-sent", "entity_type = Report", 1},
	} {
		for _, noDeps := range []bool{true, false} {
			for _, rd := range benchReads {
				b.Run(fmt.Sprintf("%s/resolution=%t/reads=%s", bc.name, !noDeps, rd.name), func(b *testing.B) {
					s := benchSub(b, rd.src(st), bc.filters, stream.Options{NoDependencies: noDeps, CacheSize: bc.size})
					msgs := 0
					loop(b, func(i int) {
						out, err := s.Process(ctx, evs[i%len(evs)])
						if err != nil {
							b.Fatal(err)
						}
						msgs += len(out)
					})
					b.ReportMetric(float64(msgs)/float64(b.N), "msgs/event")
				})
			}
		}
	}
}

// BenchmarkSubscribers1000: 1,000 subscribers (resolution on) each process every event of
// one log in which one report in ten matches; events/s counts events through all 1,000.
// The baseline is one subscriber over the same events; each reads as of the event and (the
// old shape) the present.
func BenchmarkSubscribers1000(b *testing.B) {
	st, evs := benchLog(b, 1000, 10)
	ctx := context.Background()
	for _, n := range []int{1, 1000} {
		for _, rd := range benchReads {
			b.Run(fmt.Sprintf("subscribers=%d/reads=%s", n, rd.name), func(b *testing.B) {
				subs := make([]*stream.Subscriber, n)
				for i := range subs {
					subs[i] = benchSub(b, rd.src(st), "entity_type = Report and objectLabel = detection", stream.Options{})
				}
				loop(b, func(i int) {
					ev := evs[i%len(evs)]
					for _, s := range subs {
						if _, err := s.Process(ctx, ev); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "deliveries/s")
			})
		}
	}
}
