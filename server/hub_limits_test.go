package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// quietHub starts a hub with no data and the given log retention and connection cap.
func quietHub(t *testing.T, maxEvents, maxConns int) (*running, *memstore.Store) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bundles"), 0o755); err != nil {
		t.Fatal(err)
	}
	rem := newRemote(t)
	st := memstore.New(&memstore.Options{MaxEvents: maxEvents})
	path := hubConfig{dir: dir, remoteURL: rem.srv.URL, maxEvents: maxEvents, maxConns: maxConns}.write(t)
	return startHub(t, path, sharedEngine(st, newMemCheckpoints()), nil), st
}

func dial(t *testing.T, base string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestIdleConnectionsClosed: a keep-alive connection left idle is closed after the idle
// timeout (300 ms here), instead of being held forever.
func TestIdleConnectionsClosed(t *testing.T) {
	hub, _ := quietHub(t, 0, 64)
	c := dial(t, hub.base)
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = br.ReadByte()
	if err != io.EOF {
		t.Fatalf("idle connection: read returned %v, want EOF (closed by the server)", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v, want about the 300ms idle timeout", d)
	}
}

// TestTrickledBodyCut: an unauthenticated POST whose body trickles in is cut at the body
// deadline (400 ms here) rather than holding its connection.
func TestTrickledBodyCut(t *testing.T) {
	hub, _ := quietHub(t, 0, 64)
	c := dial(t, hub.base)
	fmt.Fprintf(c, "POST /hub/collections/%s/objects/ HTTP/1.1\r\nHost: hub\r\nContent-Type: application/taxii+json;version=2.1\r\nContent-Length: 100000\r\n\r\n{", hubColID)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.ReadAll(c) // the answer (if any), then the server's close
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the connection was still open after 10 s of trickling")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cut after %v, want about the 400ms body timeout", d)
	}
}

// TestConnectionCap: a connection over the cap is answered 503 with Retry-After.
func TestConnectionCap(t *testing.T) {
	hub, _ := quietHub(t, 0, 2)
	held := []net.Conn{dial(t, hub.base), dial(t, hub.base)}
	time.Sleep(100 * time.Millisecond) // let the server accept both
	c := dial(t, hub.base)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("third connection: %d, Retry-After %q; want 503 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	for _, c := range held {
		c.Close() // the scrape below needs a connection
	}
	// A scrape sent before the server saw the closes is refused too (a 503 on a fresh
	// connection, or a reused one closed under it): only a scrape that got through counts.
	scraper := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	eventually(t, "the rejection in the metrics", func() bool {
		resp, err := scraper.Get(hub.base + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return err == nil && resp.StatusCode == http.StatusOK &&
			strings.Contains(string(body), `ctifeed_rejected_total{limit="connections"} `) &&
			!strings.Contains(string(body), `ctifeed_rejected_total{limit="connections"} 0`+"\n")
	})
}

// TestStreamCapPerPrincipal: a second live stream of the same user is answered 429 with
// Retry-After while the first is open, and accepted once it closes.
func TestStreamCapPerPrincipal(t *testing.T) {
	hub, _ := quietHub(t, 0, 64)
	open := func() *http.Response {
		req, _ := http.NewRequest(http.MethodGet, hub.base+"/stream/all", nil)
		req.Header.Set("x-apikey", aliceToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := open()
	if first.StatusCode != 200 {
		t.Fatalf("first stream: %d", first.StatusCode)
	}
	second := open()
	second.Body.Close()
	if second.StatusCode != http.StatusTooManyRequests || second.Header.Get("Retry-After") == "" {
		t.Errorf("second stream: %d, Retry-After %q; want 429 with Retry-After", second.StatusCode, second.Header.Get("Retry-After"))
	}
	first.Body.Close()
	eventually(t, "a stream to be accepted after the first closed", func() bool {
		r := open()
		r.Body.Close()
		return r.StatusCode == 200
	})
}

// TestFailedAuthThrottled: after the burst of failed authentications (3 here) an address
// is answered 429 with Retry-After, even with the right password; requests without
// credentials are not affected.
func TestFailedAuthThrottled(t *testing.T) {
	hub, _ := quietHub(t, 0, 64)
	url := hub.base + "/feeds/indicators"
	for i := range 3 {
		if code, _, _ := get(t, url, "Authorization", basic("alice", "wrong")); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i, code)
		}
	}
	code, h, _ := get(t, url, "Authorization", basic("alice", "wrong"))
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("fourth wrong password: %d, Retry-After %q; want 429 with Retry-After", code, h.Get("Retry-After"))
	}
	if code, _, _ := get(t, url, "Authorization", basic("alice", alicePassword)); code != http.StatusTooManyRequests {
		t.Errorf("right password from a throttled address: %d, want 429", code)
	}
	if code, _, _ := get(t, hub.base+"/healthz"); code != 200 {
		t.Errorf("a request without credentials: %d, want 200", code)
	}
}

// TestCORS: an allowed origin gets Access-Control-Allow-Origin and preflights are
// answered; another origin gets no CORS header.
func TestCORS(t *testing.T) {
	hub, _ := quietHub(t, 0, 64)
	_, h, _ := get(t, hub.base+"/healthz", "Origin", "https://console.example")
	if h.Get("Access-Control-Allow-Origin") != "https://console.example" {
		t.Errorf("allowed origin: Access-Control-Allow-Origin %q", h.Get("Access-Control-Allow-Origin"))
	}
	_, h, _ = get(t, hub.base+"/healthz", "Origin", "https://evil.example")
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin got Access-Control-Allow-Origin %q", h.Get("Access-Control-Allow-Origin"))
	}
	req, _ := http.NewRequest(http.MethodOptions, hub.base+"/taxii2/", nil)
	req.Header.Set("Origin", "https://console.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestMetricsLagAndGap scrapes the metrics for values the test causes: the lag of a
// subscriber that does not read while the log grows, and the gap counter after a
// consumer resumed from before the retained log.
func TestMetricsLagAndGap(t *testing.T) {
	t.Run("lag", func(t *testing.T) {
		hub, st := quietHub(t, 0, 64)
		// A consumer with a tiny receive buffer that never reads.
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		c, err := d.Dial("tcp", strings.TrimPrefix(hub.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /stream/all HTTP/1.1\r\nHost: hub\r\nx-apikey: %s\r\n\r\n", aliceToken)
		eventually(t, "the subscriber to connect", func() bool {
			v, _ := metric(t, hub.base, `ctifeed_stream_subscribers{stream="all"}`)
			return v == 1
		})
		pad := strings.Repeat("x", 8000)
		ctx := context.Background()
		for i := range 2000 {
			o, err := stix.NewIndicator(fmt.Sprintf("lag-%d", i), "[domain-name:value = 'lag.example']", time.Now(),
				stix.Common{ObjectMarkingRefs: []stix.ID{stix.TLP2Green}, Extra: map[string]any{"description": pad}})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.Put(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "the lag to show", func() bool {
			ev, _ := metric(t, hub.base, `ctifeed_stream_subscriber_lag_events{stream="all"`)
			secs, ok := metric(t, hub.base, `ctifeed_stream_subscriber_lag_seconds{stream="all"`)
			return ev > 100 && ok && secs >= 0
		})
		if v, _ := metric(t, hub.base, `ctifeed_stream_messages_sent_total{stream="all"}`); v < 1 {
			t.Errorf("messages sent = %v, want some", v)
		}
	})
	t.Run("gap", func(t *testing.T) {
		hub, st := quietHub(t, 5, 64)
		ctx := context.Background()
		for i := range 20 {
			if _, _, err := st.Put(ctx, indicator(t, fmt.Sprintf("gap-%d", i), time.Now().UTC().Truncate(time.Millisecond))); err != nil {
				t.Fatal(err)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, hub.base+"/stream/all?from=1-0", nil)
		req.Header.Set("x-apikey", aliceToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(line, "event: gap") {
				break
			}
		}
		eventually(t, "the gap and its recovery in the metrics", func() bool {
			g, _ := metric(t, hub.base, `ctifeed_stream_gaps_sent_total{stream="all"}`)
			r, _ := metric(t, hub.base, `ctifeed_stream_recoveries_sent_total{stream="all"}`)
			return g == 1 && r == 1
		})
	})
}
