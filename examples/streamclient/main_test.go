package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ctifeed/ctifeed/examples/internal/demoserver"
)

// syncBuilder is a strings.Builder safe for the client's reconnect callback.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func TestFollowsAndMirrorsTheDemoStream(t *testing.T) {
	base := demoserver.StartForTest(t, demoserver.Config{Indicators: 40}, nil)
	var out syncBuilder
	cfg := config{URL: base + "/stream/" + demoserver.StreamDetection, User: demoserver.AnalystUser,
		Password: demoserver.AnalystPassword, From: "0", Max: 30}
	if err := run(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.b.String()), "\n")
	if len(lines) != 31 {
		t.Fatalf("got %d lines, want 30 messages and a summary:\n%s", len(lines), out.b.String())
	}
	created := map[string]bool{}
	for _, l := range lines[:30] {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != "create" {
			t.Errorf("not a create message (nothing is deleted early in the demo log): %q", l)
			continue
		}
		id := f[1]
		if id == "dep" {
			id = f[2]
		}
		created[id] = true
	}
	// An object may come twice (as a dependency, then for its own event when replaying
	// history); the mirror holds each once.
	if want := fmt.Sprintf("30 messages; the local mirror holds %d objects", len(created)); lines[30] != want {
		t.Errorf("summary = %q, want %q", lines[30], want)
	}
}

func TestWrongPasswordIsReported(t *testing.T) {
	base := demoserver.StartForTest(t, demoserver.Config{Indicators: 40}, nil)
	var out syncBuilder
	cfg := config{URL: base + "/stream/" + demoserver.StreamDetection, User: demoserver.AnalystUser, Password: "wrong", From: "0"}
	err := run(context.Background(), cfg, &out)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("run = %v, want an error naming 401", err)
	}
}
