package main

import (
	"net/http"
	"os"
	"testing"

	"github.com/ctifeed/ctifeed/examples/internal/demoserver"
	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/taxii"
)

// TestMain gives the tests that ask for one a throwaway PostgreSQL server (see pgtest).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The feed server with -store postgres://… restarts as with -data: every feed continues.
func TestRestartContinuesEveryFeedOnPostgreSQL(t *testing.T) {
	checkRestart(t, demoserver.Config{Addr: "127.0.0.1:0", Indicators: 40, Store: pgtest.DSN(t)})
}

// -data and -store together are refused, naming both.
func TestDataAndStoreTogetherAreRefused(t *testing.T) {
	err := demoserver.Run(t.Context(), demoserver.Config{Addr: "127.0.0.1:0", Data: t.TempDir(), Store: "postgres://x@localhost/x"}, nil, nil)
	if err == nil || err.Error() != "-data and -store both name a store: give one" {
		t.Errorf("Run with -data and -store: %v", err)
	}
}

// Two servers on one database serve one platform: a TAXII `next` token from one works on
// the other, and a status POSTed on one is polled on the other.
func TestTwoServersOnOneDatabase(t *testing.T) {
	dsn := pgtest.DSN(t)
	baseA, _ := runUntilStopped(t, demoserver.Config{Addr: "127.0.0.1:0", Indicators: 40, Store: dsn})
	baseB, _ := runUntilStopped(t, demoserver.Config{Addr: "127.0.0.1:0", Indicators: 40, Store: dsn})
	hdr := map[string]string{"Accept": taxii.MediaType, "Authorization": "Bearer " + demoserver.AnalystToken}
	path := "/taxii2/demo/collections/" + demoserver.CollectionKnowledge + "/objects/?limit=7"
	var page1 struct{ Next string }
	code, b := body(t, "GET", baseA+path, hdr, "")
	if err := jsonUnmarshal(b, &page1); err != nil || code != 200 || page1.Next == "" {
		t.Fatalf("TAXII page 1 from A: %d %v %s", code, err, b)
	}
	_, page2A := body(t, "GET", baseA+path+"&next="+page1.Next, hdr, "")
	if code, page2B := body(t, "GET", baseB+path+"&next="+page1.Next, hdr, ""); code != 200 || page2B != page2A {
		t.Errorf("page 2 from B with A's token: %d\n%s\nfrom A:\n%s", code, page2B, page2A)
	}
	post := `{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--1e9f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","name":"posted on A","pattern":"[ipv4-addr:value = '198.51.100.8']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"}]}`
	code, statusA := body(t, "POST", baseA+"/taxii2/demo/collections/"+demoserver.CollectionInbox+"/objects/",
		map[string]string{"Accept": taxii.MediaType, "Content-Type": taxii.MediaType, "Authorization": "Bearer " + demoserver.AnalystToken}, post)
	var st taxii.Status
	if err := jsonUnmarshal(statusA, &st); err != nil || code != http.StatusAccepted {
		t.Fatalf("POST on A: %d %v %s", code, err, statusA)
	}
	if code, statusB := body(t, "GET", baseB+"/taxii2/demo/status/"+st.ID+"/", hdr, ""); code != 200 || statusB != statusA {
		t.Errorf("the status polled on B: %d %s, want %s", code, statusB, statusA)
	}
}
