package stream_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// Issue 15, item 1, as a platform performs it: with a consumer connected over HTTP, the
// indicator is deleted (the store deletes its relationship first), or its relationship
// then the indicator, back to back. The consumer receives the relationship's delete, then
// the indicator's: it never keeps a relationship whose end is gone.
func TestHTTPDeleteWhileConnected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		delete []stix.ID
	}{
		{"the indicator (cascade)", []stix.ID{seedscenario.IndicatorID}},
		{"the relationship, then the indicator", []stix.ID{seedscenario.RelationshipID, seedscenario.IndicatorID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st := memstore.New(nil)
			f := seedscenario.Filters()
			streams, err := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{
				{ID: seedscenario.StreamID, Filters: &f, Live: true, Public: true}}})
			if err != nil {
				t.Fatal(err)
			}
			h, err := stream.NewHandler(&stream.HandlerOptions{Store: st, Streams: streams,
				PublicPrincipal: &access.Principal{UserID: "public", Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			defer h.Close()
			for _, o := range []*stix.Object{seedscenario.Marking(), seedscenario.Author(), seedscenario.Malware(),
				seedscenario.Indicator(seedscenario.Start().Add(time.Minute), seedscenario.Label), seedscenario.Relationship()} {
				if _, _, err := st.Put(ctx, o); err != nil {
					t.Fatal(err)
				}
			}
			c, err := stream.NewClient(srv.URL+"/stream/"+seedscenario.StreamID, &stream.ClientOptions{From: "0"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for m, err := range c.Messages(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, m.String())
				if m.Type == stream.Create && m.Object.ID() == seedscenario.RelationshipID {
					for _, id := range tc.delete { // back to back, while the consumer is connected
						if _, err := st.Delete(ctx, id); err != nil {
							t.Fatal(err)
						}
					}
				}
				if m.Type == stream.Delete && m.Object.ID() == seedscenario.IndicatorID {
					break
				}
			}
			want := []string{
				`delete  dep  relationship--5eed0004-0000-4000-8000-000000000004 indicates`,
				`delete       indicator--5eed0003-0000-4000-8000-000000000003 "Emotet C2 198.51.100.7"`,
			}
			if len(got) < 2 || !slices.Equal(got[len(got)-2:], want) {
				t.Errorf("the consumer received %q; want it to end with %q", got, want)
			}
		})
	}
}
