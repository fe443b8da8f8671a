package pgstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/pgstore"
)

// The benchmarks run every measurement on pgstore (against the throwaway server) and on
// memstore in the same run, the in-process baseline.

// corpusCache holds the ATT&CK for Mobile bundle's objects (about 1.4 kB of JSON each),
// read once per benchmark binary.
var corpusCache struct {
	once sync.Once
	objs []*stix.Object
	err  error
}

func corpus(b *testing.B) []*stix.Object {
	b.Helper()
	path := sharedtest.AttackBundle(b) // skips, saying why, without the shared data
	corpusCache.once.Do(func() { corpusCache.objs, corpusCache.err = readBundle(path) })
	if corpusCache.err != nil {
		b.Fatal(corpusCache.err)
	}
	return corpusCache.objs
}

func readBundle(path string) ([]*stix.Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*stix.Object
	for o, err := range stix.DecodeBundle(f) {
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// fresh returns n ATT&CK objects with new ids: the corpus's content, round robin, under
// the identifier of a new object of the same type (references unchanged).
func fresh(b *testing.B, objs []*stix.Object, n, seq int) []*stix.Object {
	b.Helper()
	out := make([]*stix.Object, n)
	for i := range out {
		src := objs[(seq*n+i)%len(objs)]
		id := stix.ID(fmt.Sprintf("%s--%08x-%04x-4000-8000-000000000000", src.Type(), seq, i))
		raw := bytes.Replace(src.Raw(), []byte(`"`+string(src.ID())+`"`), []byte(`"`+string(id)+`"`), 1)
		o, err := stix.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = o
	}
	return out
}

// engines returns a fresh pgstore and memstore for a benchmark, by name.
func engines(b *testing.B) []struct {
	name string
	s    store.Store
} {
	b.Helper()
	pg, err := pgstore.Open(b.Context(), pgtest.DSN(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pg.Close)
	return []struct {
		name string
		s    store.Store
	}{{"pgstore", pg}, {"memstore", memstore.New(&memstore.Options{MaxEvents: 2_000_000})}}
}

// Batched ingestion: each operation stores 1,000 new ATT&CK-sized objects with
// store.PutMany (pgstore: one transaction, COPY). Goal for pgstore: ≥ 10,000 objects/s.
func BenchmarkIngestBatch(b *testing.B) {
	objs := corpus(b)
	const batch = 1000
	for _, e := range engines(b) {
		seq := 0 // across the runs of -count, which share the engine
		b.Run(e.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				in := fresh(b, objs, batch, seq)
				seq++
				b.StartTimer()
				res, err := store.PutMany(context.Background(), e.s, in)
				if err != nil || len(res) != batch || !res[batch-1].Changed {
					b.Fatalf("PutMany: %v", err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// One Put of a new ATT&CK-sized object: one transaction with its event.
func BenchmarkPut(b *testing.B) {
	objs := corpus(b)
	for _, e := range engines(b) {
		seq := 1_000_000 // across the runs of -count, which share the engine
		b.Run(e.name, func(b *testing.B) {
			var in []*stix.Object
			for b.Loop() {
				if len(in) == 0 { // new objects, made outside the timer
					b.StopTimer()
					in = fresh(b, objs, 1000, seq)
					seq++
					b.StartTimer()
				}
				if _, changed, err := e.s.Put(context.Background(), in[0]); err != nil || !changed {
					b.Fatalf("Put: %v", err)
				}
				in = in[1:]
			}
		})
	}
}
