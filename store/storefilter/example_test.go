package storefilter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storefilter"
)

// A feed binds its filter to the store as of a position: here the indicator is related to
// Emotet while the relationship exists, and no longer after its delete, even though both
// bindings are made at the end.
func ExampleAt() {
	ctx := context.Background()
	s := memstore.New(&memstore.Options{Clock: func() time.Time { return time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC) }})
	s.Put(ctx, indicator)
	s.Put(ctx, malware)
	created, _, _ := s.Put(ctx, indicates)
	deleted, _ := s.Delete(ctx, idRel)

	g, _ := filter.ParseText(`entity_type = Indicator and regardingOf = {id = ` + idMalware + `, relationship_type = indicates}`)
	m, err := filter.Compile(g, &filter.CompileOptions{Relations: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range []string{"after the create", "after the delete"} {
		pos := created.Pos
		if ev == "after the delete" {
			pos = deleted.Pos
		}
		b, err := m.Bind(ctx, filter.BindOptions{Resolver: storefilter.At(s, pos)})
		if err != nil {
			fmt.Println(err)
			return
		}
		rec, _ := s.Get(ctx, idIndicator)
		fmt.Println(ev, b.Match(rec.Object, storefilter.Times(rec)))
	}
	// Output:
	// after the create true
	// after the delete false
}
