package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// mutableAuth is an Authenticator whose tokens can be revoked while streams are open.
type mutableAuth struct {
	mu     sync.Mutex
	tokens map[string]*access.Principal
}

func (a *mutableAuth) Authenticate(r *http.Request) (*access.Principal, error) {
	c, err := access.ParseCredentials(r.Header)
	if err != nil || c.Scheme == access.SchemeNone {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.tokens[c.Secret]
	if !ok {
		return nil, access.ErrInvalidCredentials
	}
	return p.Clone(), nil
}

func (a *mutableAuth) set(token string, p *access.Principal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p == nil {
		delete(a.tokens, token)
	} else {
		a.tokens[token] = p
	}
}

var (
	analyst  = &access.Principal{UserID: "u-analyst", Name: "analyst", Capabilities: []access.Capability{access.CapAccessDataSharing}}
	outsider = &access.Principal{UserID: "u-outsider", Name: "outsider", Capabilities: []access.Capability{access.CapAccessDataSharing}}
	nobody   = &access.Principal{UserID: "u-nobody", Name: "nobody"}
)

func newAuth() *mutableAuth {
	return &mutableAuth{tokens: map[string]*access.Principal{
		"analyst": analyst, "outsider": outsider, "nobody": nobody,
	}}
}

func TestHandlerStatuses(t *testing.T) {
	auth := newAuth()
	e := newEnv(t, envOptions{auth: auth},
		publicDef("public"),
		Definition{ID: "restricted", Live: true},
		Definition{ID: "members", Live: true, AuthorizedMembers: []access.Member{{Kind: access.MemberUser, ID: "u-analyst"}}},
		Definition{ID: "stopped", Live: false, Public: true},
	)
	tests := []struct {
		rule       string
		path       string
		headers    []string
		wantStatus int
		wantBody   string // a substring naming the problem
		wantHeader string // WWW-Authenticate
	}{
		{"a public stream needs no credentials", "/stream/public", nil, 200, "", ""},
		{"an unknown stream is 404", "/stream/nope", nil, 404, "no such stream", ""},
		{"a path below a stream is 404", "/stream/public/x", nil, 404, "", ""},
		{"a restricted stream without credentials is 401 with a challenge", "/stream/restricted", nil, 401, "authentication", access.Challenge},
		{"wrong credentials are 401 with a challenge", "/stream/public", []string{"Authorization: Bearer wrong"}, 401, "invalid credentials", access.Challenge},
		{"a caller without data sharing is 403", "/stream/restricted", []string{"Authorization: Bearer nobody"}, 403, "", ""},
		{"a caller with data sharing may use a restricted stream", "/stream/restricted", []string{"Authorization: Bearer analyst"}, 200, "", ""},
		{"a stream limited to other members is hidden: 404", "/stream/members", []string{"Authorization: Bearer outsider"}, 404, "no such stream", ""},
		{"an authorized member may use it", "/stream/members", []string{"Authorization: Bearer analyst"}, 200, "", ""},
		{"a stopped stream is 410", "/stream/stopped", nil, 410, "stopped", ""},
		{"a malformed from is 400 naming from", "/stream/public?from=yesterday", nil, 400, "from", ""},
		{"a malformed Last-Event-ID is 400 naming it", "/stream/public", []string{"Last-Event-ID: 12"}, 400, "Last-Event-ID", ""},
		{"a malformed recover is 400 naming recover", "/stream/public?recover=soon", nil, 400, "recover", ""},
		{"a boolean other than true/false is 400 naming it", "/stream/public?no-dependencies=yes", nil, 400, "no-dependencies", ""},
		{"a boolean header other than true/false is 400 naming it", "/stream/public", []string{"listen-delete: 0"}, 400, "listen-delete", ""},
		{"a path outside the prefix is 404", "/other", nil, 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			resp := e.get(ctx, tc.path, tc.headers...)
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.wantHeader {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.wantHeader)
			}
			if tc.wantStatus == 200 {
				for k, v := range map[string]string{"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform", "Connection": "keep-alive"} {
					if got := resp.Header.Get(k); got != v {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
				ev, err := sse.NewReader(resp.Body, nil).Next()
				if err != nil || ev.Event != "connected" || ev.HasID {
					t.Errorf("first frame %+v, %v; want connected without id", ev, err)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("error Content-Type %q, want plain text", ct)
			}
			body, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("body %q does not contain %q", body, tc.wantBody)
			}
		})
	}
	t.Run("only GET and HEAD are allowed", func(t *testing.T) {
		resp, err := e.client.Post(e.srv.URL+"/stream/public", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

// The listing shows each caller the streams it may use, and nothing of the others.
func TestHandlerList(t *testing.T) {
	e := newEnv(t, envOptions{auth: newAuth()},
		publicDef("public"),
		Definition{ID: "restricted", Name: "R", Live: true},
		Definition{ID: "members", Live: true, AuthorizedMembers: []access.Member{{Kind: access.MemberUser, ID: "u-analyst"}}},
	)
	list := func(headers ...string) []string {
		resp := e.get(context.Background(), "/stream", headers...)
		defer resp.Body.Close()
		var got []listEntry
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		return ids
	}
	if got, want := list(), []string{"public"}; !cmp.Equal(got, want) {
		t.Errorf("anonymous: %v, want %v", got, want)
	}
	if got, want := list("Authorization: Bearer outsider"), []string{"public", "restricted"}; !cmp.Equal(got, want) {
		t.Errorf("outsider: %v, want %v", got, want)
	}
	if got, want := list("Authorization: Bearer analyst"), []string{"members", "public", "restricted"}; !cmp.Equal(got, want) {
		t.Errorf("analyst: %v, want %v", got, want)
	}
}

// The frames of one event's group carry a mid-group id (the resume point before the group
// and the message's Seq), except the last, which carries the event's position; change data
// is OpenCTI's shape.
func TestHandlerFrameIDsAndData(t *testing.T) {
	e := newEnv(t, envOptions{}, publicDef("s"))
	ev1 := mustPut(t, e.store, indicator(1))
	ev2 := mustPut(t, e.store, indicator(2))
	s := e.open("/stream/s?from=0")
	connected, err := s.next(false)
	if err != nil || connected.Event != "connected" {
		t.Fatalf("first frame %+v %v", connected, err)
	}
	var c Connected
	if err := json.Unmarshal(connected.Data, &c); err != nil {
		t.Fatal(err)
	}
	if c.FirstEventID != ev1.Pos.String() || c.LastEventID != ev2.Pos.String() || c.StreamSize != 2 || c.ConnectionID == "" ||
		c.FirstEventDate != stix.FormatTime(ev1.Time) || c.LastEventDate != stix.FormatTime(ev2.Time) {
		t.Errorf("connected data %+v does not describe the log %v..%v", c, ev1.Pos, ev2.Pos)
	}
	got := s.changes(4)
	want := []struct{ id, event, referer string }{
		{midID(store.Position{}, 0).String(), "create", dependencyReferer},
		{ev1.Pos.String(), "create", ""},
		{midID(ev1.Pos, 0).String(), "create", dependencyReferer},
		{ev2.Pos.String(), "create", ""},
	}
	for i, w := range want {
		var d struct {
			Version string `json:"version"`
			Type    string `json:"type"`
			Scope   string `json:"scope"`
			Message string `json:"message"`
			Origin  struct {
				Referer string `json:"referer"`
			} `json:"origin"`
			Data    map[string]any  `json:"data"`
			Context json.RawMessage `json:"context"`
		}
		if err := json.Unmarshal(got[i].Data, &d); err != nil {
			t.Fatalf("frame %d data %s: %v", i, got[i].Data, err)
		}
		if got[i].ID != w.id || got[i].Event != w.event || d.Origin.Referer != w.referer || d.Version != "4" ||
			d.Type != w.event || d.Scope != "external" || d.Data["type"] != "indicator" || d.Context == nil {
			t.Errorf("frame %d: id %q event %q data %s; want id %q event %q referer %q", i, got[i].ID, got[i].Event, got[i].Data, w.id, w.event, w.referer)
		}
		if !strings.HasPrefix(d.Message, "creates a Indicator `ind-") {
			t.Errorf("frame %d message %q", i, d.Message)
		}
	}
}

// scenario writes events whose fake groups have 2, 0 (filtered), 2, 2, 1, 2, 1 and 2 frames.
func scenario(t *testing.T, s interface {
	store.Writer
	store.Reader
}) {
	t.Helper()
	ctx := context.Background()
	mustPut(t, s, indicator(1))
	mustPut(t, s, indicator(2, "skip"))
	mustPut(t, s, indicator(3))
	v2, _ := indicator(1).WithLabel("new", t0.Add(time.Hour))
	mustPut(t, s, v2)
	if _, err := s.Delete(ctx, indicator(3).ID()); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, indicator(4))
	v3, _ := v2.WithLabel("merged", t0.Add(2*time.Hour))
	if _, err := s.Merge(ctx, v3, []stix.ID{indicator(4).ID()}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, indicator(5))
}

type frame struct{ ID, Event, Data string }

func frames(evs []sse.Event) []frame {
	out := make([]frame, len(evs))
	for i, ev := range evs {
		out[i] = frame{ev.ID, ev.Event, string(ev.Data)}
	}
	return out
}

// Whatever frame a consumer is cut off after, resuming with the last id it received
// delivers exactly the frames it lacks (issue 15, item 5): the frames before the cut plus
// the resumed ones are the uninterrupted run, with no frame repeated and none lost, even
// when the cut falls inside a group.
func TestHandlerResumeAfterEveryFrame(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: 2 * time.Millisecond}, Definition{ID: "s", Live: true, Public: true, Description: "skip"})
	scenario(t, e.store)
	b, _ := e.store.Bounds(context.Background())
	full := e.open("/stream/s?from=0").changesUntilHeartbeat(b.Last)
	if len(full) != 12 {
		t.Fatalf("the scenario gives %d frames, want 12", len(full))
	}
	var prev store.Position
	for i, f := range full {
		p, err := store.ParsePosition(f.ID)
		if err != nil {
			t.Fatalf("frame %d id %q: %v", i, f.ID, err)
		}
		if p.Seq >= store.MaxSeq && p.Millis < prev.Millis {
			t.Errorf("frame %d: mid-group id %s is before the previous group's position %s", i, f.ID, prev)
		}
		if p.Seq < store.MaxSeq {
			prev = p
		}
	}
	for k := range len(full) {
		s := e.open("/stream/s?from=0")
		got := s.changes(k + 1)
		s.close()
		lastID := s.r.LastEventID()
		resumed := e.open("/stream/s", "Last-Event-ID: "+lastID).changesUntilHeartbeat(b.Last)
		if diff := cmp.Diff(full[k+1:], resumed); diff != "" {
			t.Errorf("cut after frame %d (id %s): resumed frames (-want +got):\n%s", k, lastID, diff)
		}
		if diff := cmp.Diff(full[:k+1], frames(got)); diff != "" {
			t.Errorf("cut after frame %d: received before the cut (-want +got):\n%s", k, diff)
		}
	}
}

// A heartbeat carries the last position read, filtered-out events included, and its date;
// resuming from it delivers only what comes after.
func TestHandlerHeartbeatResume(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: 5 * time.Millisecond}, Definition{ID: "s", Live: true, Public: true, Description: "skip"})
	mustPut(t, e.store, indicator(1))
	skipped := mustPut(t, e.store, indicator(2, "skip"))
	s := e.open("/stream/s?from=0")
	s.changes(2)
	var hb sse.Event
	for {
		ev, err := s.next(true)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Event == "heartbeat" {
			hb = ev
			break
		}
	}
	if hb.ID != skipped.Pos.String() {
		t.Errorf("heartbeat id %q, want the filtered-out event's position %s", hb.ID, skipped.Pos)
	}
	if want := `"` + stix.FormatTime(skipped.Time) + `"`; string(hb.Data) != want {
		t.Errorf("heartbeat data %s, want %s", hb.Data, want)
	}
	s.close()
	ev3 := mustPut(t, e.store, indicator(3))
	got := e.open("/stream/s", "Last-Event-ID: "+hb.ID).changes(2)
	if got[1].ID != ev3.Pos.String() || !strings.Contains(string(got[1].Data), "ind-3") {
		t.Errorf("after resuming from the heartbeat: %+v, want indicator 3's group", frames(got))
	}
}

// Without from or Last-Event-ID the stream starts at the log's end; a date starts at the
// first event at or after it.
func TestHandlerStartPoints(t *testing.T) {
	e := newEnv(t, envOptions{}, publicDef("s"))
	mustPut(t, e.store, indicator(1))
	ev2 := mustPut(t, e.store, indicator(2))
	live := e.open("/stream/s")
	if f, err := live.next(false); err != nil || f.Event != "connected" {
		t.Fatal(f, err)
	}
	ev3 := mustPut(t, e.store, indicator(3))
	if got := live.changes(2); got[1].ID != ev3.Pos.String() {
		t.Errorf("live start: got %+v, want indicator 3 first", frames(got))
	}
	byDate := e.open("/stream/s?from=" + stix.FormatTime(ev2.Time))
	if got := byDate.changes(2); got[1].ID != ev2.Pos.String() {
		t.Errorf("from a date: got %+v, want indicator 2 first", frames(got))
	}
	zero := e.open("/stream/s", "Last-Event-ID: 0-0")
	if got := zero.changes(1); !strings.Contains(string(got[0].Data), "ind-1") {
		t.Errorf("from 0-0: got %+v, want indicator 1 first", frames(got))
	}
}

// recover sends the objects changed up to the date as creates, then goes live from there.
func TestHandlerRecover(t *testing.T) {
	e := newEnv(t, envOptions{}, publicDef("s"))
	mustPut(t, e.store, indicator(1))
	mustPut(t, e.store, indicator(2))
	ev3 := mustPut(t, e.store, indicator(3))
	mustPut(t, e.store, indicator(4))
	s := e.open("/stream/s?from=0&recover=" + stix.FormatTime(ev3.Time))
	got := frames(s.changes(2 + 2 + 2)) // snapshot of 1 and 2, then live 3 and 4
	for i, want := range []string{"ind-1", "ind-2"} {
		if got[i].Event != "create" || !strings.Contains(got[i].Data, want) || strings.Contains(got[i].Data, dependencyReferer) {
			t.Errorf("snapshot frame %d: %+v, want a create of %s", i, got[i], want)
		}
	}
	// The snapshot is one group after 0-0: its first frame has the mid-group id of Seq 0
	// after 0-0, its last the position the snapshot stands for (just before indicator 3).
	at := wirePos(store.PositionAt(ev3.Time))
	if got[0].ID != "0-4294967296" || got[1].ID != at.String() {
		t.Errorf("snapshot ids %q %q, want 0-4294967296 then %s", got[0].ID, got[1].ID, at)
	}
	for i := range 2 {
		if !strings.Contains(got[i].Data, `"origin":{"referer":"init-create"}`) {
			t.Errorf("snapshot frame %d: %s, want OpenCTI's origin of a recovered object", i, got[i].Data)
		}
	}
	if !strings.Contains(got[3].Data, "ind-3") || got[3].ID != ev3.Pos.String() {
		t.Errorf("after the snapshot: %+v, want indicator 3 live", got[2:4])
	}
}

// Resuming from a position retention dropped sends a gap frame, the recovery snapshot of
// the missed window, and continues live: every object changed after the resume point
// arrives.
func TestHandlerGap(t *testing.T) {
	e := newEnv(t, envOptions{maxEvents: 3}, publicDef("s"))
	first := mustPut(t, e.store, indicator(1))
	for i := 2; i <= 8; i++ {
		mustPut(t, e.store, indicator(i))
	}
	b, _ := e.store.Bounds(context.Background())
	s := e.open("/stream/s", "Last-Event-ID: "+first.Pos.String())
	var gap Gap
	for {
		ev, err := s.next(false)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Event == "create" {
			t.Fatalf("a change before the gap frame: %s", ev.Data)
		}
		if ev.Event == "gap" {
			if ev.HasID {
				t.Errorf("gap frame has id %q; it must not move the resume point", ev.ID)
			}
			if err := json.Unmarshal(ev.Data, &gap); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if gap.Requested != first.Pos || gap.FirstRetained != b.First || !strings.Contains(gap.Message, "recover") {
		t.Errorf("gap %+v, want requested %s first retained %s and how to recover", gap, first.Pos, b.First)
	}
	// Snapshot: the objects changed from the requested position's millisecond (1 is sent
	// again: times have millisecond precision) as of the last dropped event, 5; then live
	// 6, 7, 8.
	got := frames(s.changes(5 + 3*2))
	var names []string
	for _, f := range got {
		if !strings.Contains(f.Data, dependencyReferer) {
			var d struct {
				Data struct{ Name string } `json:"data"`
			}
			_ = json.Unmarshal([]byte(f.Data), &d)
			names = append(names, d.Data.Name)
		}
	}
	want := []string{"ind-1", "ind-2", "ind-3", "ind-4", "ind-5", "ind-6", "ind-7", "ind-8"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("objects after the gap (-want +got):\n%s", diff)
	}
}

// A connection that falls behind the log's retention while streaming gets a gap frame
// too, then the recovery snapshot, and goes on: nothing is skipped silently.
func TestHandlerGapWhileStreaming(t *testing.T) {
	e := newEnv(t, envOptions{maxEvents: 3}, publicDef("s"))
	e.gate = make(chan struct{})
	mustPut(t, e.store, indicator(1))
	s := e.open("/stream/s?from=0") // its processor waits at indicator 1
	for i := 2; i <= 9; i++ {
		mustPut(t, e.store, indicator(i))
	}
	close(e.gate)
	var events, names []string
	for len(names) == 0 || names[len(names)-1] != "ind-9" {
		ev, err := s.next(false)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev.Event)
		if ev.Event == "create" && !strings.Contains(string(ev.Data), dependencyReferer) {
			var d struct {
				Data struct{ Name string } `json:"data"`
			}
			_ = json.Unmarshal(ev.Data, &d)
			names = append(names, d.Data.Name)
		}
	}
	if !slices.Contains(events, "gap") {
		t.Errorf("no gap frame among %v", events)
	}
	for i := 1; i <= 9; i++ {
		if !slices.Contains(names, fmt.Sprintf("ind-%d", i)) {
			t.Errorf("indicator %d never arrived: %v", i, names)
		}
	}
}

// Stopping or deleting a stream, revoking a token or an authorized membership ends open
// connections at the next heartbeat; reconnecting then gets the matching status.
func TestHandlerDefinitionChangesEndConnections(t *testing.T) {
	tests := []struct {
		rule       string
		change     func(e *env, auth *mutableAuth)
		wantStatus int
	}{
		{"a stopped stream ends its connections, then answers 410", func(e *env, _ *mutableAuth) {
			d, _ := e.reg.Get(context.Background(), "s")
			d.Live = false
			_ = e.reg.Put(d)
		}, 410},
		{"a deleted stream ends its connections, then answers 404", func(e *env, _ *mutableAuth) { e.reg.Delete("s") }, 404},
		{"a revoked membership ends the connection, then the stream is hidden", func(e *env, _ *mutableAuth) {
			d, _ := e.reg.Get(context.Background(), "s")
			d.AuthorizedMembers = []access.Member{{Kind: access.MemberUser, ID: "someone-else"}}
			_ = e.reg.Put(d)
		}, 404},
		{"a revoked token ends the connection, then answers 401", func(_ *env, a *mutableAuth) { a.set("analyst", nil) }, 401},
		{"a principal losing data sharing ends the connection, then answers 403", func(_ *env, a *mutableAuth) {
			a.set("analyst", &access.Principal{UserID: "u-analyst"})
		}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			auth := newAuth()
			e := newEnv(t, envOptions{auth: auth, heartbeat: 2 * time.Millisecond},
				Definition{ID: "s", Live: true, AuthorizedMembers: []access.Member{{Kind: access.MemberUser, ID: "u-analyst"}}})
			mustPut(t, e.store, indicator(1))
			s := e.open("/stream/s?from=0", "Authorization: Bearer analyst")
			s.changes(2)
			tc.change(e, auth)
			if _, err := s.untilEOF(); err != nil {
				t.Fatalf("the connection did not end cleanly: %v", err)
			}
			resp := e.get(context.Background(), "/stream/s", "Authorization: Bearer analyst")
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("reconnecting: %d, want %d", resp.StatusCode, tc.wantStatus)
			}
		})
	}
}

// A filter change reaches an open connection at its next check and applies from the next
// event, without ending it.
func TestHandlerFilterChange(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: 2 * time.Millisecond}, publicDef("s"))
	s := e.open("/stream/s?from=0")
	d, _ := e.reg.Get(context.Background(), "s")
	d.Description = "skip" // the fake engine's filter
	if err := e.reg.Put(d); err != nil {
		t.Fatal(err)
	}
	for len(e.setDefinitions()) == 0 {
		if _, err := s.next(true); err != nil { // heartbeats pace the checks
			t.Fatal(err)
		}
	}
	mustPut(t, e.store, indicator(1, "skip"))
	ev2 := mustPut(t, e.store, indicator(2))
	got := s.changes(2)
	if got[1].ID != ev2.Pos.String() {
		t.Errorf("after the filter change: %+v, want only indicator 2", frames(got))
	}
	if defs := e.setDefinitions(); defs[0].Description != "skip" {
		t.Errorf("SetDefinition got %+v", defs[0])
	}
}

// Close ends open streams and refuses new ones with 503.
func TestHandlerClose(t *testing.T) {
	e := newEnv(t, envOptions{}, publicDef("s"))
	s := e.open("/stream/s")
	if _, err := s.next(false); err != nil {
		t.Fatal(err)
	}
	e.h.Close()
	if _, err := s.untilEOF(); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
	resp := e.get(context.Background(), "/stream/s")
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d, want 503", resp.StatusCode)
	}
}

func TestNewHandlerNeedsStore(t *testing.T) {
	if _, err := NewHandler(nil); err == nil {
		t.Error("NewHandler(nil) succeeded")
	}
	if _, err := NewHandler(&HandlerOptions{}); err == nil {
		t.Error("NewHandler without a store succeeded")
	}
}
