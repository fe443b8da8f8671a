package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// TestEveryFeedServesTheIndicator runs the README's embedding example against httptest.
func TestEveryFeedServesTheIndicator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := memstore.New(nil)
	ind, err := stix.NewIndicator("bad domain", "[domain-name:value = 'bad.example']", time.Now(), stix.Common{Labels: []string{"detection"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Put(ctx, ind); err != nil {
		t.Fatal(err)
	}
	// Stored before the CSV scheduler's first generation, as main does.
	mux, err := feeds(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			// Read the stream until the indicator's frame, then hang up.
			buf := make([]byte, 0, 4096)
			for !strings.Contains(string(buf), string(ind.ID())) {
				b := make([]byte, 1024)
				n, err := resp.Body.Read(b)
				buf = append(buf, b[:n]...)
				if err != nil {
					break
				}
			}
			return resp.StatusCode, string(buf)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/stream/detections?from=0"); code != 200 || !strings.Contains(body, string(ind.ID())) {
		t.Errorf("stream: %d %s", code, body)
	}
	if code, body := get("/api1/collections/0b1c6e2a-3d4f-4a5b-8c6d-7e8f9a0b1c2d/objects/", "Accept", "application/taxii+json;version=2.1"); code != 200 || !strings.Contains(body, string(ind.ID())) {
		t.Errorf("taxii: %d %s", code, body)
	}
	deadline := time.Now().Add(10 * time.Second) // the first generation runs at start
	for {
		code, body := get("/feeds/detections")
		if code == 200 {
			if body != "name,pattern\r\nbad domain,[domain-name:value = 'bad.example']\r\n" {
				t.Errorf("csv: %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("csv: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeShutsDownGracefully: when its context ends, serve ends an open live stream and
// returns nil.
func TestServeShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := memstore.New(nil)
	mux, err := feeds(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // serve listens itself; the port was free a moment ago
	done := make(chan error, 1)
	go func() { done <- serve(ctx, addr, mux) }()
	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/stream/detections", nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		if resp, err = http.DefaultClient.Do(req); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return: the open stream held the shutdown")
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("stream ended with %v", err)
	}
}
