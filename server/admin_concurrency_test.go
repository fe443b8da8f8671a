package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestAdminStreamsConcurrent: managers changing streams at once while others list them
// (run under -race): every change lands, creates and replaces are told apart, and the
// final definitions are the last ones written.
func TestAdminStreamsConcurrent(t *testing.T) {
	hub := startAdminHub(t, writeAdminConfig(t, t.TempDir(), "{engine: bolt, path: data}", configuredStream))
	base := hub.base + "/admin/streams/"
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if code, _, body := call(t, http.MethodGet, hub.base+"/admin/streams", adminToken, ""); code != http.StatusOK {
				t.Errorf("list: %d %s", code, body)
				return
			}
		}
	})
	const writers, rounds = 6, 10
	for w := range writers {
		wg.Go(func() {
			id := fmt.Sprintf("w%d", w)
			for r := range rounds {
				want := http.StatusOK
				if r == 0 {
					want = http.StatusCreated
				}
				body := fmt.Sprintf(`{"name": "round %d", "stream_live": true}`, r)
				if code, _, got := call(t, http.MethodPut, base+id, adminToken, body); code != want {
					t.Errorf("%s round %d: %d, want %d: %s", id, r, code, want, got)
				}
			}
			if w%2 == 1 {
				if code, _, got := call(t, http.MethodDelete, base+id, adminToken, ""); code != http.StatusNoContent {
					t.Errorf("delete %s: %d %s", id, code, got)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	var list []adminDefinition
	if err := json.Unmarshal([]byte(mustCall(t, http.StatusOK, http.MethodGet, hub.base+"/admin/streams", adminToken, "")), &list); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range list {
		got[d.ID] = d.Name
	}
	for w := range writers {
		id := fmt.Sprintf("w%d", w)
		if name, ok := got[id]; ok != (w%2 == 0) || ok && name != fmt.Sprintf("round %d", rounds-1) {
			t.Errorf("%s: present %v, name %q", id, ok, name)
		}
	}
	// Concurrent requests make the client dial connections it may never use; a graceful
	// shutdown waits (up to 5 s, past the test's shutdown timeout) for such request-less
	// connections, so close them before stopping.
	http.DefaultClient.CloseIdleConnections()
	hub.stop()
}
