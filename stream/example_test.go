package stream_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

// A subscriber turns each event of the store's log into the messages one consumer
// receives: here an indicator enters the stream when it gains the label "detection", and
// its author and marking come first, as dependencies.
func ExampleNewSubscriber() {
	ctx := context.Background()
	st := memstore.New(nil)

	filters, _ := filter.ParseText("entity_type = Indicator and objectLabel = detection")
	vis, _ := access.NewVisibility(nil)
	sub, err := stream.NewSubscriber(st, stream.Definition{ID: "detections", Filters: &filters, Live: true},
		stream.SubscriberOptions{
			Principal:  &access.Principal{UserID: "analyst", Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}},
			Visibility: vis,
		})
	if err != nil {
		fmt.Println(err)
		return
	}

	t0 := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	author, _ := stix.NewIdentity("CrowdStrike", "organization", stix.Common{
		ID: "identity--5eed0001-0000-4000-8000-000000000001", Created: t0})
	ind, _ := stix.NewIndicator("Emotet C2", "[ipv4-addr:value = '198.51.100.7']", t0, stix.Common{
		ID: "indicator--5eed0003-0000-4000-8000-000000000003", Created: t0,
		CreatedByRef: author.ID(), ObjectMarkingRefs: []stix.ID{stix.TLPGreen}})
	green, _ := stix.TLPMarking(stix.TLPGreen)
	labelled, _ := ind.WithLabel("detection", t0.Add(time.Minute))
	for _, o := range []*stix.Object{green, author, ind, labelled} {
		st.Put(ctx, o)
	}

	for ev, err := range store.Events(ctx, st, store.Position{}, 100) {
		if err != nil {
			fmt.Println(err)
			return
		}
		msgs, err := sub.Process(ctx, ev)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %s: %d message(s)\n", ev.Kind, ev.ID.Type(), len(msgs))
		for _, m := range msgs {
			fmt.Println("  ", m)
		}
	}
	// Output:
	// create marking-definition: 0 message(s)
	// create identity: 0 message(s)
	// create indicator: 0 message(s)
	// update indicator: 3 message(s)
	//    create  dep  marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da "TLP:GREEN"
	//    create  dep  identity--5eed0001-0000-4000-8000-000000000001 "CrowdStrike"
	//    create       indicator--5eed0003-0000-4000-8000-000000000003 "Emotet C2"
}

// A recovery snapshot is read as of a log position and delivered in batches, so that a
// server holds one batch per connection whatever the snapshot's size; an object's group
// (its dependencies, then itself) is never split between batches.
func ExampleSubscriber_RecoverBatches() {
	ctx := context.Background()
	st := memstore.New(nil)
	t0 := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	author, _ := stix.NewIdentity("CrowdStrike", "organization", stix.Common{
		ID: "identity--5eed0001-0000-4000-8000-000000000001", Created: t0})
	st.Put(ctx, author)
	for i := 1; i <= 3; i++ {
		ind, _ := stix.NewIndicator(fmt.Sprint("C2 ", i), fmt.Sprintf("[ipv4-addr:value = '198.51.100.%d']", i), t0, stix.Common{
			ID: stix.ID(fmt.Sprintf("indicator--5eed0003-0000-4000-8000-00000000000%d", i)), Created: t0, CreatedByRef: author.ID()})
		st.Put(ctx, ind)
	}
	b, _ := st.Bounds(ctx)

	filters, _ := filter.ParseText("entity_type = Indicator")
	vis, _ := access.NewVisibility(nil)
	sub, _ := stream.NewSubscriber(st, stream.Definition{ID: "indicators", Filters: &filters, Live: true},
		stream.SubscriberOptions{Principal: &access.Principal{UserID: "analyst"}, Visibility: vis})
	for batch, err := range sub.RecoverBatches(ctx, st, time.Time{}, time.Time{}, b.Last, 2) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("batch:")
		for _, m := range batch {
			fmt.Println("  ", m.Seq, m)
		}
	}
	// Output:
	// batch:
	//    0 create  dep  identity--5eed0001-0000-4000-8000-000000000001 "CrowdStrike"
	//    1 create       indicator--5eed0003-0000-4000-8000-000000000001 "C2 1"
	// batch:
	//    2 create       indicator--5eed0003-0000-4000-8000-000000000002 "C2 2"
	//    3 create       indicator--5eed0003-0000-4000-8000-000000000003 "C2 3"
}
