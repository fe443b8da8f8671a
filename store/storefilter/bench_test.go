package storefilter_test

import (
	"context"
	"os"
	"testing"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/internal/benchcpu"
	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storefilter"
)

// BenchmarkPageMemstore is filter's BenchmarkPageRegardingOf through this adapter on
// memstore holding ATT&CK for Mobile: one op binds as of the log's last position (the
// relationships of Windshift read from the store) and matches a page of 1,000 records; the
// label filter on the same page is the baseline.
func BenchmarkPageMemstore(b *testing.B) {
	ctx := context.Background()
	f, err := os.Open(sharedtest.AttackBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := memstore.New(&memstore.Options{MaxEvents: -1})
	var objs []*stix.Object
	for o, err := range stix.DecodeBundle(f) {
		if err != nil {
			b.Fatal(err)
		}
		objs = append(objs, o)
	}
	if _, err := store.PutMany(ctx, s, objs); err != nil {
		b.Fatal(err)
	}
	page, err := s.Scan(ctx, store.ScanOptions{Limit: 1000})
	if err != nil {
		b.Fatal(err)
	}
	bounds, err := s.Bounds(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, text string }{
		{"label-baseline", `objectLabel = detection`},
		{"regardingOf", `regardingOf = {id = intrusion-set--afec6dc3-a18e-4b62-b1a4-5510e1a498d1, relationship_type = uses}`},
	} {
		m := compile(b, c.text)
		b.Run(c.name, func(b *testing.B) {
			benchcpu.Loop(b, func(int) {
				bound, err := m.Bind(ctx, filter.BindOptions{Resolver: storefilter.At(s, bounds.Last)})
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range page.Records {
					bound.Match(r.Object, storefilter.Times(r))
				}
			})
		})
	}
}
