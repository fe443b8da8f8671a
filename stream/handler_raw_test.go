package stream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
)

// Issue 20, item 1: GET /stream asked as an event stream is OpenCTI's raw platform stream
// (pycti connects there when no stream id is configured): every event, with the live
// stream's frames and resume semantics, for a principal with BYPASS only; any other Accept
// still lists the streams.
func TestHandlerRawStream(t *testing.T) {
	auth := newAuth()
	admin := &access.Principal{UserID: "u-admin", Name: "admin", Capabilities: []access.Capability{access.CapBypass}}
	auth.set("admin", admin)
	def := publicDef("s")
	def.Description = "skip" // the named stream filters out what the raw stream still sends
	e := newEnv(t, envOptions{auth: auth, heartbeat: 2 * time.Millisecond}, def)
	mustPut(t, e.store, indicator(1))
	skipped := mustPut(t, e.store, indicator(2, "skip"))
	ev3 := mustPut(t, e.store, indicator(3))

	sse := "Accept: text/event-stream"
	for _, tc := range []struct {
		headers []string
		status  int
	}{
		{[]string{sse}, http.StatusUnauthorized},
		{[]string{sse, "Authorization: Bearer analyst"}, http.StatusForbidden},
		{[]string{"Accept: application/json", "Authorization: Bearer admin"}, http.StatusOK},
		{[]string{"Authorization: Bearer admin"}, http.StatusOK},
	} {
		resp := e.get(context.Background(), "/stream", tc.headers...)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%v: %d %s, want %d", tc.headers, resp.StatusCode, body, tc.status)
		}
		if tc.status == http.StatusOK {
			var list []listEntry
			if err := json.Unmarshal(body, &list); err != nil || len(list) != 1 || list[0].ID != "s" {
				t.Errorf("%v: %s, want the list of streams", tc.headers, body)
			}
		}
	}

	s := e.open("/stream?from=0", sse, "Authorization: Bearer admin")
	all := s.changesUntilHeartbeat(ev3.Pos)
	if len(all) != 6 || !strings.Contains(all[3].Data, "ind-2") {
		t.Fatalf("raw stream frames %v, want the 3 events' groups, ind-2 included", all)
	}
	// Resuming works as on a live stream: after the filtered-out event's frame, only ind-3.
	rs := e.open("/stream", sse, "Authorization: Bearer admin", "Last-Event-ID: "+skipped.Pos.String())
	rest := rs.changesUntilHeartbeat(ev3.Pos)
	if len(rest) != 2 || rest[1].ID != ev3.Pos.String() {
		t.Errorf("resumed raw stream %v, want ind-3's group", rest)
	}
	// Losing BYPASS ends the raw stream at the next heartbeat.
	open := e.open("/stream?from=0", sse, "Authorization: Bearer admin")
	auth.set("admin", analyst)
	if _, err := open.untilEOF(); err != nil {
		t.Errorf("raw stream after BYPASS was revoked: %v, want a clean end", err)
	}
}
