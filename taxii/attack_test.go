package taxii_test

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/taxii"
)

// Real data: the MITRE ATT&CK bundle posted through the Go client in envelopes under the
// API root's max_content_length, then read back page by page: every object arrives once,
// and the references of what arrived resolve within the collection (except marking
// definitions the bundle references without containing, if any).
func TestAttackRoundTrip(t *testing.T) {
	path := sharedtest.AttackBundle(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var objs []*stix.Object
	for o, err := range stix.DecodeBundle(f) {
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	ctx := context.Background()
	clock := &stepClock{t: t0, tick: time.Millisecond}
	h, err := taxii.NewHandler(&taxii.HandlerOptions{Store: memstore.New(&memstore.Options{Clock: clock.now}), Clock: clock.now,
		APIRoots: []taxii.APIRoot{{Path: "api", Title: "ATT&CK", Collections: []taxii.Collection{{
			ID: "attack", Title: "ATT&CK", Access: access.FeedAccess{Public: true, PublicPrincipal: &access.Principal{Capabilities: []access.Capability{access.CapBypass}}},
			CanRead: true, CanWrite: true}}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := newClient(t, srv.URL, nil)

	failures := 0
	for i := 0; i < len(objs); i += 200 {
		st, err := c.AddObjects(ctx, "api", "attack", objs[i:min(i+200, len(objs))])
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range st.Failures {
			if failures++; failures <= 5 {
				t.Logf("refused %s: %s", d.ID, d.Message)
			}
		}
	}
	got := collect(t, c.Objects(ctx, "api", "attack", &taxii.Query{Limit: 97}))
	if len(got)+failures != len(objs) {
		t.Fatalf("posted %d (%d refused), read back %d", len(objs), failures, len(got))
	}
	seen := map[stix.ID]bool{}
	for _, o := range got {
		if seen[o.ID()] {
			t.Fatalf("%s read twice", o.ID())
		}
		seen[o.ID()] = true
	}
	found, missing, err := c.ResolveMissing(ctx, "api", "attack", got)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range missing {
		if id.Type() != "marking-definition" && id.Type() != "identity" {
			t.Errorf("unresolved reference %s", id)
		}
	}
	t.Logf("%d objects (%d refused by validation), %d references resolved, %d missing", len(got), failures, len(found), len(missing))
}
