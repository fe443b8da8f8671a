// Command feedserver serves every ctifeed feed — a live stream, TAXII 2.1, CSV feeds and the
// IoC stream — from one process on the in-memory store, seeded with self-contained demo
// data. It prints the URLs, demo credentials and ready-to-paste curl commands on start.
//
//	go run ./examples/feedserver                 # listen on 127.0.0.1:8080
//	go run ./examples/feedserver -addr :9000 -simulate 2s
//
// With -simulate the server keeps changing its data (labels added and removed, indicators
// created and deleted) so the live stream shows activity. Ctrl-C shuts it down cleanly.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ctifeed/ctifeed/internal/demoserver"
)

func main() {
	var cfg demoserver.Config
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	flag.DurationVar(&cfg.Simulate, "simulate", 0, "if positive, change the demo data at this interval (e.g. 2s)")
	flag.IntVar(&cfg.Indicators, "indicators", 300, "how many demo indicators to generate")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demoserver.Run(ctx, cfg, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "feedserver:", err)
		os.Exit(1)
	}
}
