package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ctifeed/ctifeed/examples/internal/demoserver"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedserver:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demoserver.Run(ctx, cfg, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "feedserver:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line; values that would silently mean something else (no
// or negative indicators, a negative interval, a stray argument) are errors.
func parseFlags(args []string, stderr io.Writer) (demoserver.Config, error) {
	var cfg demoserver.Config
	fs := flag.NewFlagSet("feedserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.DurationVar(&cfg.Simulate, "simulate", 0, "if positive, change the demo data at this interval (e.g. 2s); 0: never")
	fs.IntVar(&cfg.Indicators, "indicators", 300, "how many demo indicators to generate (at least 1)")
	fs.StringVar(&cfg.Data, "data", "", "keep everything in this directory (a bbolt file) across restarts; default: memory only")
	fs.StringVar(&cfg.Store, "store", "", "keep everything in this PostgreSQL database (postgres://user:password@host/db), shared by every server started on it")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	switch {
	case fs.NArg() > 0:
		return cfg, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	case cfg.Indicators < 1:
		return cfg, fmt.Errorf("-indicators %d: must be at least 1", cfg.Indicators)
	case cfg.Simulate < 0:
		return cfg, fmt.Errorf("-simulate %s: must not be negative (0 turns the simulation off)", cfg.Simulate)
	}
	return cfg, nil
}
