package storefilter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storefilter"
)

// A feed binds its filter to the store as of a position (a live stream: the event's; TAXII
// and CSV: the log's last when the request or run starts) and matches records with their
// platform times.
func ExampleAt() {
	ctx := context.Background()
	s := memstore.New(&memstore.Options{Clock: func() time.Time { return time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC) }})
	s.Put(ctx, indicator)
	s.Put(ctx, malware)
	created, _, _ := s.Put(ctx, indicates)

	g, _ := filter.ParseText(`entity_type = Indicator and regardingOf = {id = ` + idMalware + `, relationship_type = indicates}`)
	m, err := filter.Compile(g, &filter.CompileOptions{Relations: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := m.Bind(ctx, filter.BindOptions{Resolver: storefilter.At(s, created.Pos)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []stix.ID{idIndicator, idMalware} {
		rec, _ := s.Get(ctx, id)
		fmt.Println(rec.Object.Type(), b.Match(rec.Object, storefilter.Times(rec)))
	}
	// Output:
	// indicator true
	// malware false
}
