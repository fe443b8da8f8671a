package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/stix"
)

func filterOn(label string) string {
	return `{"mode": "and", "filters": [{"key": ["objectLabel"], "values": ["` + label + `"]}], "filterGroups": []}`
}

// TestAdminStreamLifecycle, on every engine: a stream created over HTTP at run time is
// served at once; a consumer connected to it sees a new filter apply, is disconnected when
// the stream is stopped (new connections then get 410), and the deleted stream is 404.
func TestAdminStreamLifecycle(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testAdminLifecycle(t, "{engine: memory}") })
	t.Run("bolt", func(t *testing.T) { testAdminLifecycle(t, "{engine: bolt, path: data}") })
	t.Run("postgres", func(t *testing.T) {
		testAdminLifecycle(t, fmt.Sprintf("{engine: postgres, path: %q}", pgtest.DSN(t)))
	})
}

func testAdminLifecycle(t *testing.T, storeYAML string) {
	hub := startAdminHub(t, writeAdminConfig(t, t.TempDir(), storeYAML, configuredStream))
	admin := hub.base + "/admin/streams/runtime"

	code, h, body := call(t, http.MethodPut, admin, adminToken,
		`{"name": "Run time", "stream_live": true, "filters": `+filterOn("alpha")+`}`)
	if code != http.StatusCreated || h.Get("Location") != "/admin/streams/runtime" {
		t.Fatalf("create: %d, Location %q: %s", code, h.Get("Location"), body)
	}
	var got adminDefinition
	if err := json.Unmarshal([]byte(mustCall(t, 200, http.MethodGet, admin, adminToken, "")), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "runtime" || got.Name != "Run time" || !got.Live || got.Source != "run_time" || got.Filters == nil {
		t.Errorf("read back: %+v", got)
	}
	var list []adminDefinition
	if err := json.Unmarshal([]byte(mustCall(t, 200, http.MethodGet, hub.base+"/admin/streams", adminToken, "")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "configured" || list[0].Source != "configuration" || list[1].ID != "runtime" {
		t.Errorf("list: %+v", list)
	}
	if v, _ := metric(t, hub.base, `ctifeed_stream_definitions{source="run_time",state="live"}`); v != 1 {
		t.Errorf("run-time live streams metric = %v, want 1", v)
	}

	code, c := connect(t, hub.base+"/stream/runtime", readerToken)
	if code != http.StatusOK {
		t.Fatalf("connecting to the new stream: %d", code)
	}
	a1 := labelled(t, "alpha-1", "alpha", stix.TLP2Green)
	put(t, hub, a1)
	c.expect(t, a1)

	// A new filter applies to the open connection from its next re-read on.
	mustCall(t, 200, http.MethodPut, admin, adminToken, `{"name": "Run time", "stream_live": true, "filters": `+filterOn("beta")+`}`)
	c.awaitFilter(t, func(o *stix.Object) { put(t, hub, o) }, "beta")
	a2, b2 := labelled(t, "alpha-2", "alpha", stix.TLP2Green), labelled(t, "beta-2", "beta", stix.TLP2Green)
	put(t, hub, a2, b2) // a2 first: when b2 arrives, a2 was decided
	c.expect(t, b2, a2)

	// Stopping ends the connection; a new one gets the stream's refusal.
	mustCall(t, 200, http.MethodPut, admin, adminToken, `{"name": "Run time", "stream_live": false}`)
	c.waitEnd(t)
	if code, _ := connect(t, hub.base+"/stream/runtime", readerToken); code != http.StatusGone {
		t.Errorf("a stopped stream answered %d, want 410", code)
	}
	if v, _ := metric(t, hub.base, `ctifeed_stream_definitions{source="run_time",state="stopped"}`); v != 1 {
		t.Errorf("run-time stopped streams metric = %v, want 1", v)
	}

	mustCall(t, http.StatusNoContent, http.MethodDelete, admin, adminToken, "")
	if code, _ := connect(t, hub.base+"/stream/runtime", readerToken); code != http.StatusNotFound {
		t.Errorf("a deleted stream answered %d, want 404", code)
	}
	mustCall(t, http.StatusNotFound, http.MethodGet, admin, adminToken, "")
	mustCall(t, http.StatusNotFound, http.MethodDelete, admin, adminToken, "")
	for op, want := range map[string]float64{"create": 1, "replace": 2, "delete": 1} { // PUT filter, PUT stop
		if v, _ := metric(t, hub.base, `ctifeed_stream_definition_changes_total{op="`+op+`"}`); v != want {
			t.Errorf("changes metric %s = %v, want %v", op, v, want)
		}
	}

	// The configuration's stream is changed in the configuration only.
	for _, m := range []string{http.MethodPut, http.MethodDelete} {
		code, h, body := call(t, m, hub.base+"/admin/streams/configured", adminToken, `{"name": "Hijacked", "stream_live": false}`)
		if p := problemOf(t, h, body); code != http.StatusConflict || len(p.Errors) != 1 || p.Errors[0].Field != "id" {
			t.Errorf("%s of the configured stream: %d %s", m, code, body)
		}
	}
	if code, _ := connect(t, hub.base+"/stream/configured", readerToken); code != http.StatusOK {
		t.Errorf("the configured stream answers %d after refused changes", code)
	}
}

// TestAdminStreamsSurviveRestart: on bolt, a run-time stream survives a restart; the
// configuration's streams follow the configuration file, and a stream removed from it
// stays defined, as a run-time stream an administrator may delete.
func TestAdminStreamsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	const storeYAML = "{engine: bolt, path: data}"
	hub := startAdminHub(t, writeAdminConfig(t, dir, storeYAML, configuredStream))
	mustCall(t, http.StatusCreated, http.MethodPut, hub.base+"/admin/streams/runtime", adminToken,
		`{"name": "Run time", "stream_live": true, "filters": `+filterOn("alpha")+`}`)
	hub.stop()

	hub = startAdminHub(t, writeAdminConfig(t, dir, storeYAML,
		`    - {"id": "configured", "name": "Renamed in the file", "stream_live": true}`))
	var got adminDefinition
	if err := json.Unmarshal([]byte(mustCall(t, 200, http.MethodGet, hub.base+"/admin/streams/runtime", adminToken, "")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != "Run time" || got.Filters == nil || got.Source != "run_time" {
		t.Errorf("the run-time stream after a restart: %+v", got)
	}
	if code, _ := connect(t, hub.base+"/stream/runtime", readerToken); code != http.StatusOK {
		t.Errorf("the run-time stream answers %d after a restart", code)
	}
	got = adminDefinition{}
	if err := json.Unmarshal([]byte(mustCall(t, 200, http.MethodGet, hub.base+"/admin/streams/configured", adminToken, "")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != "Renamed in the file" || got.Source != "configuration" {
		t.Errorf("the configured stream after a restart: %+v", got)
	}
	hub.stop()

	hub = startAdminHub(t, writeAdminConfig(t, dir, storeYAML, ""))
	got = adminDefinition{}
	if err := json.Unmarshal([]byte(mustCall(t, 200, http.MethodGet, hub.base+"/admin/streams/configured", adminToken, "")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Source != "run_time" {
		t.Errorf("a stream no longer in the configuration: source %q, want run_time", got.Source)
	}
	mustCall(t, http.StatusNoContent, http.MethodDelete, hub.base+"/admin/streams/configured", adminToken, "")
	hub.stop()

	hub = startAdminHub(t, writeAdminConfig(t, dir, storeYAML, ""))
	mustCall(t, http.StatusNotFound, http.MethodGet, hub.base+"/admin/streams/configured", adminToken, "")
}
