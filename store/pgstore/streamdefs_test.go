package pgstore_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/store/pgstore"
	"github.com/ctifeed/ctifeed/store/storetest/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// A stream definition put on node A is served by node B within B's refresh, filters and
// all; a change and a delete on A reach B the same way; an invalid definition is refused.
func TestStreamDefinitionsSharedByNodes(t *testing.T) {
	a, dsn := open(t, nil)
	b, err := pgstore.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	defsA := a.StreamDefinitions(nil)
	defsB := b.StreamDefinitions(&pgstore.StreamDefinitionsOptions{Refresh: 20 * time.Millisecond})
	if _, err := defsB.Get(ctx, "detections"); !errors.Is(err, stream.ErrUnknownStream) {
		t.Fatalf("before any Put: %v, want ErrUnknownStream", err)
	}
	def, err := stream.ParseDefinition([]byte(`{"id":"detections","name":"Detections","filters":`+seedscenario.FiltersJSON+
		`,"stream_live":true,"authorized_members":[{"kind":"group","id":"soc"}],"defaults":{"cache_size":500}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := defsA.Put(ctx, def); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(def)
	eventuallyDef := func(what string, ok func(stream.Definition, error) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := defsB.Get(ctx, "detections")
			if ok(got, err) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: node B still has %+v, %v", what, got, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	eventuallyDef("the put", func(got stream.Definition, err error) bool {
		b, _ := json.Marshal(got)
		return err == nil && string(b) == string(want)
	})
	def.Live = false
	if err := defsA.Put(ctx, def); err != nil {
		t.Fatal(err)
	}
	if got, err := defsA.Get(ctx, "detections"); err != nil || got.Live {
		t.Errorf("node A right after its own change: %+v, %v", got, err)
	}
	eventuallyDef("the change", func(got stream.Definition, err error) bool { return err == nil && !got.Live })
	if list, err := defsB.List(ctx); err != nil || len(list) != 1 || list[0].ID != "detections" {
		t.Errorf("List on B: %+v, %v", list, err)
	}
	if found, err := defsA.Delete(ctx, "detections"); err != nil || !found {
		t.Fatalf("Delete: %v, %v", found, err)
	}
	if found, err := defsA.Delete(ctx, "detections"); err != nil || found {
		t.Errorf("second Delete: %v, %v; want false", found, err)
	}
	eventuallyDef("the delete", func(_ stream.Definition, err error) bool { return errors.Is(err, stream.ErrUnknownStream) })
	for _, bad := range []stream.Definition{{Name: "no id"}, {ID: "a/b", Name: "slash"}} {
		if err := defsA.Put(ctx, bad); !errors.Is(err, stream.ErrInvalid) {
			t.Errorf("Put(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}

// A stored definition that no longer decodes (written by a node with other filter keys,
// or by hand) fails only its own stream, naming it, and the listing; the other streams are
// still served.
func TestStreamDefinitionThatDoesNotDecodeFailsAlone(t *testing.T) {
	s, dsn := open(t, nil)
	ctx := t.Context()
	defs := s.StreamDefinitions(&pgstore.StreamDefinitionsOptions{Refresh: time.Millisecond})
	good, err := stream.ParseDefinition([]byte(`{"id":"good","name":"Good","stream_live":true,"stream_public":true}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := defs.Put(ctx, good); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO ctifeed_stream_definitions (id, def) VALUES
		('bad', '{"id":"bad","name":"Bad","filters":{"mode":"sometimes","filters":[],"filterGroups":[]}}');
		UPDATE ctifeed_stream_definitions_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past the refresh
	if got, err := defs.Get(ctx, "good"); err != nil || got.ID != "good" {
		t.Fatalf("Get(good) = %+v, %v; want the good stream", got, err)
	}
	if _, err := defs.Get(ctx, "bad"); err == nil || !strings.Contains(err.Error(), `"bad"`) || errors.Is(err, stream.ErrUnknownStream) {
		t.Fatalf("Get(bad) = %v; want an error naming the stored definition", err)
	}
	if _, err := defs.List(ctx); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Fatalf("List = %v; want an error naming the stored definition", err)
	}
}
