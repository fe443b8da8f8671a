package stream_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

// A host doing its own fan-out gives its subscribers one Share: subscribers whose
// principals have the same redaction class plan each event once between them (ann plans
// and stores, bob finds), while the guest, alone in its class, plans for itself and
// receives only what it may see.
func ExampleShare() {
	ctx := context.Background()
	st := memstore.New(nil)
	vis, _ := access.NewVisibility(nil)
	share := stream.NewShare(&stream.ShareOptions{MaxBytes: 16 << 20})

	amber := access.Clearance{Max: []stix.ID{stix.TLP2Amber}}
	principals := []*access.Principal{
		{UserID: "ann", Markings: amber},
		{UserID: "bob", Markings: amber}, // another user, the same class as ann
		{UserID: "guest"},                // sees unmarked objects only
	}
	var subs []*stream.Subscriber
	for _, p := range principals {
		sub, err := stream.NewSubscriber(st, stream.Definition{ID: "all", Live: true},
			stream.SubscriberOptions{Principal: p, Visibility: vis, Share: share})
		if err != nil {
			fmt.Println(err)
			return
		}
		subs = append(subs, sub)
	}

	t0 := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	green, _ := stix.TLPMarking(stix.TLPGreen)
	ind, _ := stix.NewIndicator("Emotet C2", "[ipv4-addr:value = '198.51.100.7']", t0, stix.Common{
		ID: "indicator--5eed0003-0000-4000-8000-000000000003", Created: t0, ObjectMarkingRefs: []stix.ID{stix.TLPGreen}})
	st.Put(ctx, green)
	st.Put(ctx, ind)

	for ev, err := range store.Events(ctx, st, store.Position{}, 100) {
		if err != nil {
			fmt.Println(err)
			return
		}
		for i, sub := range subs {
			msgs, err := sub.Process(ctx, ev)
			if err != nil {
				fmt.Println(err)
				return
			}
			for _, m := range msgs {
				fmt.Println(principals[i].UserID, m)
			}
		}
	}
	s := share.Stats()
	fmt.Printf("plans stored %d, found %d, planned alone %d\n", s.Planned, s.Hits, s.Private)
	// Output:
	// ann create       marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da "TLP:GREEN"
	// bob create       marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da "TLP:GREEN"
	// guest create       marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da "TLP:GREEN"
	// ann create       indicator--5eed0003-0000-4000-8000-000000000003 "Emotet C2"
	// bob create       indicator--5eed0003-0000-4000-8000-000000000003 "Emotet C2"
	// plans stored 2, found 2, planned alone 2
}
