package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/stix"
)

// TestAdminStreamsSharedByNodes: two hubs on one PostgreSQL database. A stream PUT on
// node A is served by node B within pgstore's refresh interval (1 s); B's open connection
// follows a filter changed on A and ends when A stops or deletes the stream; B answers
// 410 and 404 to new connections.
func TestAdminStreamsSharedByNodes(t *testing.T) {
	storeYAML := fmt.Sprintf("{engine: postgres, path: %q}", pgtest.DSN(t))
	a := startAdminHub(t, writeAdminConfig(t, t.TempDir(), storeYAML, configuredStream))
	b := startAdminHub(t, writeAdminConfig(t, t.TempDir(), storeYAML, configuredStream))
	const refresh = time.Second // pgstore.StreamDefinitionsOptions.Refresh's default

	// B reads the definitions once, so that it holds a cached copy that lacks the stream.
	mustCall(t, http.StatusNotFound, http.MethodGet, b.base+"/admin/streams/shared", adminToken, "")
	mustCall(t, http.StatusCreated, http.MethodPut, a.base+"/admin/streams/shared", adminToken,
		`{"name": "Shared", "stream_live": true, "filters": `+filterOn("alpha")+`}`)
	putAt := time.Now()
	var c *consumer
	for {
		code, cc := connect(t, b.base+"/stream/shared", readerToken)
		if code == http.StatusOK {
			c = cc
			break
		}
		if code != http.StatusNotFound {
			t.Fatalf("node B answered %d", code)
		}
		// The refresh interval plus a margin for a loaded machine: the bound checked is
		// that B does not wait for anything but its refresh (no restart, no event).
		if time.Since(putAt) > refresh+2*time.Second {
			t.Fatalf("node B did not serve the stream %v after the PUT on node A", time.Since(putAt))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("node B served the stream %v after the PUT on node A", time.Since(putAt).Round(time.Millisecond))

	a1 := labelled(t, "alpha-1", "alpha", stix.TLP2Green)
	put(t, a, a1) // written through node A, read through node B
	c.expect(t, a1)

	mustCall(t, http.StatusOK, http.MethodPut, a.base+"/admin/streams/shared", adminToken,
		`{"name": "Shared", "stream_live": true, "filters": `+filterOn("beta")+`}`)
	c.awaitFilter(t, func(o *stix.Object) { put(t, a, o) }, "beta") // B's refresh, then its heartbeat
	a2, b2 := labelled(t, "alpha-2", "alpha", stix.TLP2Green), labelled(t, "beta-2", "beta", stix.TLP2Green)
	put(t, a, a2, b2)
	c.expect(t, b2, a2)

	mustCall(t, http.StatusOK, http.MethodPut, a.base+"/admin/streams/shared", adminToken, `{"name": "Shared", "stream_live": false}`)
	c.waitEnd(t)
	if code, _ := connect(t, b.base+"/stream/shared", readerToken); code != http.StatusGone {
		t.Errorf("node B answers %d for a stream stopped on node A, want 410", code)
	}
	mustCall(t, http.StatusNoContent, http.MethodDelete, a.base+"/admin/streams/shared", adminToken, "")
	eventually(t, "node B forgetting the deleted stream", func() bool {
		code, _ := connect(t, b.base+"/stream/shared", readerToken)
		return code == http.StatusNotFound
	})

	// A stream deleted on A while B serves it: B's connection ends.
	mustCall(t, http.StatusCreated, http.MethodPut, a.base+"/admin/streams/doomed", adminToken, `{"name": "Doomed", "stream_live": true}`)
	eventually(t, "node B serving the second stream", func() bool {
		code, cc := connect(t, b.base+"/stream/doomed", readerToken)
		c = cc
		return code == http.StatusOK
	})
	mustCall(t, http.StatusNoContent, http.MethodDelete, a.base+"/admin/streams/doomed", adminToken, "")
	c.waitEnd(t)
}
