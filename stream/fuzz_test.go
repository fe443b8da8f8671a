package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// FuzzParseDefinition: any input either fails with an error wrapping ErrInvalid, or gives a
// definition whose encoding parses back to the same encoding; never a panic.
func FuzzParseDefinition(f *testing.F) {
	f.Add([]byte(definitionJSON))
	f.Add([]byte(`{"id":"s","filters":` + seedscenario.FiltersJSON + `,"defaults":{"cache_ttl":"1h","cache_size":3}}`))
	f.Add([]byte(`{"id":"s","authorized_members":[{"kind":"user","id":"u"}],"stream_public":true}`))
	f.Add([]byte(`{"id":"","defaults":{"cache_ttl":"-5m","cache_size":-1}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := stream.ParseDefinition(data, nil)
		if err != nil {
			if !errors.Is(err, stream.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		enc, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("a valid definition does not encode: %v", err)
		}
		d2, err := stream.ParseDefinition(enc, nil)
		if err != nil {
			t.Fatalf("the encoding %s of a valid definition does not parse: %v", enc, err)
		}
		enc2, err := json.Marshal(d2)
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("round trip changed the encoding:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzProcess: any object a store accepts goes through create or update, merge, delete and
// recovery, with resolution on and off, without a panic or an error, and every message
// carries an object the principal may see.
func FuzzProcess(f *testing.F) {
	for _, o := range seedscenario.Objects() {
		f.Add(o.Raw())
	}
	f.Add([]byte(`{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","relationship_type":"indicates","source_ref":"relationship--00000000-0000-4000-8000-000000000001","target_ref":"malware--5eed0002-0000-4000-8000-000000000002"}`))
	f.Add([]byte(`{"type":"report","spec_version":"2.1","id":"report--00000000-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00Z","object_refs":["report--00000000-0000-4000-8000-000000000001","indicator--5eed0003-0000-4000-8000-000000000003"],"labels":["detection"],"extensions":{"extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba":{"granted_refs":["identity--5eed0001-0000-4000-8000-000000000001"]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := stix.Parse(data)
		if err != nil {
			return
		}
		ctx := context.Background()
		st := memstore.New(nil)
		for _, o := range seedscenario.Objects() {
			st.Put(ctx, o)
		}
		vis, _ := access.NewVisibility(&access.VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
		p := analyst()
		var subs []*stream.Subscriber
		for _, noDeps := range []bool{false, true} {
			for _, filters := range []string{"", "objectLabel = detection"} {
				var g *filter.Group
				if filters != "" {
					g = mustGroup(t, filters)
				}
				s, err := stream.NewSubscriber(st, stream.Definition{ID: "s", Filters: g},
					stream.SubscriberOptions{Principal: p, Visibility: vis, Options: stream.Options{NoDependencies: noDeps}})
				if err != nil {
					t.Fatal(err)
				}
				subs = append(subs, s)
			}
		}
		var evs []store.Event
		if ev, changed, err := st.Put(ctx, obj); err == nil && changed {
			evs = append(evs, ev)
		}
		if obj.ID() != seedscenario.IndicatorID {
			if ev, err := st.Merge(ctx, seedscenario.Indicator(seedscenario.Start().Add(time.Hour), "detection"), []stix.ID{obj.ID()}); err == nil {
				evs = append(evs, ev)
			}
		}
		if ev, err := st.Delete(ctx, obj.ID()); err == nil {
			evs = append(evs, ev)
		}
		for _, s := range subs {
			if _, err := s.Recover(ctx, st, time.Time{}, time.Time{}, store.Position{}); err != nil {
				t.Fatalf("Recover: %v", err)
			}
			for _, ev := range evs {
				msgs, err := s.Process(ctx, ev)
				if err != nil {
					t.Fatalf("%s: %v", ev.Kind, err)
				}
				for _, m := range msgs {
					// Redact strips grants, so on a sent object CanSee checks its markings;
					// TestRandomSafety checks the originals.
					if m.Object == nil || !vis.CanSee(p, m.Object) {
						t.Fatalf("message %s: object the principal may not see", m)
					}
				}
			}
		}
	})
}
