package stream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/stix"
)

// Issue 23, item 3: a live-only client (no From) cut before it received any frame with an
// id resumes from where its first connection started (the connected frame's lastEventId),
// so the events written in between reach it; before, it reconnected "live" and lost them.
func TestClientLiveOnlyCutBeforeFirstID(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: 5 * time.Millisecond}, publicDef("s"))
	mustPut(t, e.store, indicator(0))                         // a log that is not empty: live starts after it
	e.srv.Config.Handler = &cutter{next: e.h, cuts: []int{1}} // only the connected frame
	var asked []string
	written := false
	c, err := NewClient(e.srv.URL+"/stream/s", &ClientOptions{
		HTTPClient: e.client, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		OnReconnect: func(_ error, id string) {
			asked = append(asked, id)
			if !written { // the writes land while the client is away
				mustPut(t, e.store, indicator(1))
				mustPut(t, e.store, indicator(2))
				written = true
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []stix.ID
	for m, err := range c.Messages(ctx) {
		if err != nil {
			t.Fatalf("after %v: %v (reconnected with %q)", got, err, asked)
		}
		if !m.Dependency {
			got = append(got, m.Object.ID())
		}
		if len(got) == 2 {
			break
		}
	}
	if d := cmp.Diff([]stix.ID{indicator(1).ID(), indicator(2).ID()}, got); d != "" {
		t.Errorf("objects received (-want +got):\n%s", d)
	}
}

// Issue 23, item 5 (audit): the stream client's errors keep the context's sentinel, whether
// the deadline strikes while connecting, while reading or while waiting to reconnect.
func TestClientErrorsKeepTheContextSentinel(t *testing.T) {
	e := newEnv(t, envOptions{heartbeat: time.Hour}, publicDef("s"))
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer hang.Close()
	for name, tc := range map[string]struct {
		url     string
		backoff time.Duration
	}{
		"reading a silent stream": {e.srv.URL + "/stream/s", time.Millisecond},
		"waiting to reconnect":    {down.URL + "/stream/s", time.Hour},
		"connecting":              {hang.URL + "/stream/s", time.Millisecond},
	} {
		c, err := NewClient(tc.url, &ClientOptions{HTTPClient: e.client, MinBackoff: tc.backoff, MaxBackoff: tc.backoff})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		var last error
		for _, err := range c.Frames(ctx) {
			last = err
		}
		cancel()
		if !errors.Is(last, context.DeadlineExceeded) {
			t.Errorf("%s: the iteration ended with %v, want an error wrapping context.DeadlineExceeded", name, last)
		}
	}
}
