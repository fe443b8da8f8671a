package store_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// A host writes objects, a TAXII-like reader pages through them by date added, and a
// live-stream-like reader follows the change log from the start.
func Example() {
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
		if _, _, err := s.Put(ctx, o); err != nil {
			fmt.Println(err)
		}
	}
	newer, _ := ind.WithLabel("detection", created.Add(time.Hour))
	s.Put(ctx, newer)

	// Two records a page, in (date_added, id) order.
	opts := store.ScanOptions{Order: store.ByDateAdded, Limit: 2}
	for {
		page, err := store.Scan(ctx, s, opts)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range page.Records {
			fmt.Println("record", r.DateAdded.Format(time.TimeOnly), r.Object.Type(), "labels", r.Object.Labels())
		}
		if page.Next == "" {
			break
		}
		fmt.Println("-- next page")
		opts.After = page.Next
	}

	rels, _ := s.RelationsOf(ctx, emotet.ID())
	fmt.Println("relations of Emotet:", len(rels), rels[0].Object.Get("relationship_type"))

	for ev, err := range store.Events(ctx, s, store.Position{}, 100) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("event", ev.Pos, ev.Kind, ev.ID.Type())
	}
	// Output:
	// record 10:00:01 malware labels []
	// record 10:00:02 indicator labels [detection]
	// -- next page
	// record 10:00:03 relationship labels []
	// relations of Emotet: 1 indicates
	// event 1714557601000-0 create malware
	// event 1714557602000-0 create indicator
	// event 1714557603000-0 create relationship
	// event 1714557604000-0 update indicator
}
