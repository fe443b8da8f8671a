package seedscenario_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// Replaying the table through a live-stream subscriber with dependencies resolution on: one
// clock drives the store and the subscriber's cache.
func ExampleSteps() {
	ctx := context.Background()
	now := seedscenario.Start()
	clock := func() time.Time { return now }
	st := memstore.New(&memstore.Options{Clock: clock})
	filters := seedscenario.Filters()
	vis, _ := access.NewVisibility(nil)
	sub, err := stream.NewSubscriber(st, stream.Definition{ID: seedscenario.StreamID, Filters: &filters, Live: true},
		stream.SubscriberOptions{Visibility: vis, Clock: clock,
			Principal: &access.Principal{UserID: "analyst", Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := seedscenario.Setup(ctx, st); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := st.Bounds(ctx)
	after := b.Last
	for _, step := range seedscenario.Steps() {
		now = step.At
		if err := step.Apply(ctx, st); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(step.Name)
		for ev, err := range store.Events(ctx, st, after, 100) {
			if err != nil {
				fmt.Println(err)
				return
			}
			after = ev.Pos
			msgs, _ := sub.Process(ctx, ev)
			for _, m := range msgs {
				fmt.Printf("  %s %s\n", m.Type, m.Object.Type())
			}
		}
	}
	// Output:
	// 1. Create an indicator
	// 2. Add the label detection
	//   create marking-definition
	//   create identity
	//   create malware
	//   create indicator
	//   create relationship
	// 3. Remove the label detection
	//   delete relationship
	//   delete indicator
	// 4. Add the label detection
	//   create indicator
	//   create relationship
	// 5. Delete the indicator
	//   delete relationship
	//   delete indicator
}
