package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// startServer runs the feed server on a free port and stops it when the test ends.
func startServer(t *testing.T, cfg config) (base string, output func() string) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.Indicators == 0 {
		cfg.Indicators = 60
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var out strings.Builder
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, w, func(b string) { ready <- b }) }()
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run returned %v after shutdown", err)
		}
	})
	return base, func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func get(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestBannerNamesEveryFeedAndCredentials(t *testing.T) {
	base, output := startServer(t, config{})
	banner := output()
	for _, want := range []string{base, analystUser, analystPassword, partnerUser, partnerPassword, analystToken, "curl "} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
}

func TestIoCStream(t *testing.T) {
	base, _ := startServer(t, config{})
	resp, body := get(t, base+"/api/v3/ioc_stream?limit=5", map[string]string{"x-apikey": analystToken})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var page struct {
		Data []struct{ Type, ID string }
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(page.Data) != 5 {
		t.Errorf("got %d notifications, want 5: %s", len(page.Data), body)
	}
	if resp, body := get(t, base+"/api/v3/ioc_stream", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous: status %d, want 401: %s", resp.StatusCode, body)
	}
}

func TestSimulationChangesDataAndStops(t *testing.T) {
	// Registered first, so it runs after the server's own cleanup has stopped it.
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	_, output := startServer(t, config{Simulate: 5 * time.Millisecond})
	deadline := time.Now().Add(10 * time.Second) // a bound on waiting, not a speed check
	for !strings.Contains(output(), "simulate: ") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(output(), "simulate: ") {
		t.Fatalf("no simulated change was reported:\n%s", output())
	}
}
