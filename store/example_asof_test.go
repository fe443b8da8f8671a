package store_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// Deleting an indicator deletes its relationship first, each with its own event. A reader
// that processes the log after all of it was written still sees, as of each event, the store
// as it was right then: the relationship while it existed, the indicator until its delete.
func ExampleAt() {
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	s := memstore.New(&memstore.Options{Clock: func() time.Time {
		now = now.Add(time.Second)
		return now
	}})
	created := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	c := func(id string) stix.Common { return stix.Common{ID: stix.ID(id), Created: created} }
	emotet, _ := stix.NewMalware("Emotet", true, c("malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"))
	ind, _ := stix.NewIndicator("Emotet C2", "[ipv4-addr:value = '198.51.100.7']", created,
		c("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"))
	rel, _ := stix.NewRelationship("indicates", ind.ID(), emotet.ID(),
		c("relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"))
	for _, o := range []*stix.Object{emotet, ind, rel} {
		s.Put(ctx, o)
	}
	s.Delete(ctx, ind.ID()) // cascades to the relationship

	for ev, err := range store.Events(ctx, s, store.Position{}, 100) {
		if err != nil {
			fmt.Println(err)
			return
		}
		then := store.At(s, ev.Pos)
		_, err := then.Get(ctx, ind.ID())
		rels, _ := then.RelationsOf(ctx, emotet.ID())
		fmt.Printf("%s %-6s %-12s indicator stored: %-5t relations of Emotet: %d\n",
			ev.Pos, ev.Kind, ev.ID.Type(), err == nil, len(rels))
	}
	// Output:
	// 1714557601000-0 create malware      indicator stored: false relations of Emotet: 0
	// 1714557602000-0 create indicator    indicator stored: true  relations of Emotet: 0
	// 1714557603000-0 create relationship indicator stored: true  relations of Emotet: 1
	// 1714557604000-0 delete relationship indicator stored: true  relations of Emotet: 0
	// 1714557605000-0 delete indicator    indicator stored: false relations of Emotet: 0
}
