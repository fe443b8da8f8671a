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
	flag.StringVar(&cfg.Data, "data", "", "keep everything in this directory (a bbolt file) across restarts; default: memory only")
	flag.StringVar(&cfg.Store, "store", "", "keep everything in this PostgreSQL database (postgres://user:password@host/db), shared by every server started on it")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demoserver.Run(ctx, cfg, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "feedserver:", err)
		os.Exit(1)
	}
}
