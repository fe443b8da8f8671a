package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestServeEndsItsGoroutines: after Serve returns, nothing it started is left running:
// not the sources (files, TAXII poll, stream mirror), the CSV scheduler, the IoC follower
// nor an open live stream's connection.
func TestServeEndsItsGoroutines(t *testing.T) {
	before := goleak.IgnoreCurrent()
	// Registered first, so it runs last: after the remote platform's test server closed.
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	hub, _ := quietHub(t, 0, 64)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest(http.MethodGet, hub.base+"/stream/all", nil)
	req.Header.Set("x-apikey", aliceToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(200 * time.Millisecond) // sources polling, the stream open
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopped := make(chan struct{})
	go func() { hub.stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("Serve did not return with a live stream open")
	}
	client.CloseIdleConnections()
}
