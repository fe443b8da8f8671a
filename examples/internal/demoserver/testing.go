package demoserver

import (
	"context"
	"io"
	"testing"
)

// StartForTest runs the demo server on a free loopback port until tb ends and returns its
// base URL; out receives what the server prints (nil: nothing). cfg.Addr is ignored.
func StartForTest(tb testing.TB, cfg Config, out io.Writer) string {
	tb.Helper()
	if out == nil {
		out = io.Discard
	}
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, out, func(b string) { ready <- b }) }()
	select {
	case base := <-ready:
		tb.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("demo server: %v after shutdown", err)
			}
		})
		return base
	case err := <-done:
		cancel()
		tb.Fatalf("demo server did not start: %v", err)
		return ""
	}
}
