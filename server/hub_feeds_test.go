package server

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// TestHubIngestsServesAndResumes starts the hub from a configuration file, feeds it from
// every kind of source (bundle files, one of them malformed; a remote TAXII collection; a
// remote live stream, both served by the SDK's own handlers), reads every feed over
// HTTP, then restarts it on the same store and checks that each source resumes: what was
// added meanwhile arrives, nothing is lost and nothing is written twice.
func TestHubIngestsServesAndResumes(t *testing.T) {
	dir := t.TempDir()
	bundles := filepath.Join(dir, "bundles")
	if err := os.Mkdir(bundles, 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	fileObj := indicator(t, "from-file", t0)
	writeBundle(t, filepath.Join(bundles, "1-good.json"), fileObj)
	// A malformed bundle: one valid indicator beside one whose pattern type is missing.
	halfGood := indicator(t, "half-good", t0)
	bad := indicator(t, "bad", t0)
	raw := strings.Replace(string(bad.Raw()), `"pattern_type":"stix",`, "", 1)
	if raw == string(bad.Raw()) {
		t.Fatalf("could not break the object: %s", bad.Raw())
	}
	badObj, err := stix.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	writeBundle(t, filepath.Join(bundles, "2-bad.json"), halfGood, badObj)

	rem := newRemote(t)
	taxiiObj, streamObj := indicator(t, "from-taxii", t0), indicator(t, "from-stream", t0)
	rem.put(t, taxiiObj)
	rem.put(t, streamObj) // the stream carries both; TAXII serves both too

	st := memstore.New(nil)
	cps := newMemCheckpoints()
	path := hubConfig{dir: dir, remoteURL: rem.srv.URL, maxEvents: 0, maxConns: 64}.write(t)
	hub := startHub(t, path, sharedEngine(st, cps), nil)

	eventually(t, "every source's objects", func() bool {
		return has(st, fileObj.ID()) && has(st, taxiiObj.ID()) && has(st, streamObj.ID())
	})
	if has(st, halfGood.ID()) {
		t.Error("the valid object of the malformed bundle was stored: the bundle was half-applied")
	}
	if v, _ := metric(t, hub.base, `ctifeed_ingest_invalid_objects_total{source="files"}`); v != 1 {
		t.Errorf("invalid objects reported = %v, want 1", v)
	}

	// Every feed, over HTTP.
	auth := basic("alice", alicePassword)
	tc, err := taxii.NewClient(hub.base, &taxii.ClientOptions{Username: "alice", Password: alicePassword})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[stix.ID]bool{}
	for o, err := range tc.Objects(context.Background(), "hub/", hubColID, nil) {
		if err != nil {
			t.Fatal(err)
		}
		seen[o.ID()] = true
	}
	for _, id := range []stix.ID{fileObj.ID(), taxiiObj.ID(), streamObj.ID()} {
		if !seen[id] {
			t.Errorf("TAXII collection lacks %s", id)
		}
	}
	// The OASIS taxii2-client's token scheme.
	if code, _, _ := get(t, hub.base+"/taxii2/", "Authorization", "Token "+aliceToken, "Accept", "application/taxii+json;version=2.1"); code != 200 {
		t.Errorf("Authorization: Token answered %d", code)
	}
	sc, err := stream.NewClient(hub.base+"/stream/all", &stream.ClientOptions{Token: aliceToken, From: "0", MaxFailures: 1})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	got := map[stix.ID]bool{}
	for f, err := range sc.Frames(sctx) {
		if err != nil {
			t.Fatal(err)
		}
		if f.Message.Object != nil {
			got[f.Message.Object.ID()] = true
		}
		if len(got) >= 3 {
			break
		}
	}
	cancel()
	if !got[fileObj.ID()] || !got[taxiiObj.ID()] || !got[streamObj.ID()] {
		t.Errorf("live stream sent %v", got)
	}
	eventually(t, "the CSV feed to list the ingested indicators", func() bool {
		code, _, body := get(t, hub.base+"/feeds/indicators", "Authorization", auth)
		if code != 200 {
			return false
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		return err == nil && len(recs) == 4 // header + 3
	})
	eventually(t, "the IoC stream to carry the indicators", func() bool {
		code, _, body := get(t, hub.base+"/api/v3/ioc_stream?limit=10", "x-apikey", aliceToken)
		return code == 200 && strings.Contains(body, "from-file.example") && strings.Contains(body, "from-stream.example")
	})
	if code, _, _ := get(t, hub.base+"/readyz"); code != 200 {
		t.Errorf("/readyz answered %d", code)
	}

	// Restart on the same store; meanwhile every source gets something new.
	events := logCount(t, st)
	hub.stop()
	later := time.Now().UTC().Truncate(time.Millisecond)
	fileObj2, taxiiObj2, streamObj2 := indicator(t, "file-2", later), indicator(t, "taxii-2", later), indicator(t, "stream-2", later)
	writeBundle(t, filepath.Join(bundles, "3-more.json"), fileObj2)
	rem.put(t, taxiiObj2, streamObj2)
	hub = startHub(t, path, sharedEngine(st, cps), nil)
	eventually(t, "the objects added while the hub was down", func() bool {
		return has(st, fileObj2.ID()) && has(st, taxiiObj2.ID()) && has(st, streamObj2.ID())
	})
	time.Sleep(300 * time.Millisecond) // a few more polls and watches: none may write again
	if n := logCount(t, st); n != events+3 {
		t.Errorf("after the restart the log grew by %d events, want 3 (one per new object)", n-events)
	}
	// Resumed, not re-read: each source handled only what is new since its position
	// (both remote objects added meanwhile, not the two from before).
	for source, want := range map[string]float64{"files": 1, "partner-taxii": 2, "partner-stream": 2} {
		if v, _ := metric(t, hub.base, `ctifeed_ingest_objects_total{source="`+source+`"}`); v != want {
			t.Errorf("after the restart %s stored %v objects, want %v", source, v, want)
		}
	}
}
