package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

// config is what the flags set.
type config struct {
	URL, User, Password, Token, From string
	NoDependencies                   bool
	Max                              int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080/stream/detection-indicators", "the live stream's URL")
	flag.StringVar(&cfg.User, "user", "analyst", "HTTP Basic user name (empty: none)")
	flag.StringVar(&cfg.Password, "password", "analyst-demo-password", "HTTP Basic password")
	flag.StringVar(&cfg.Token, "token", "", "Bearer token (instead of -user)")
	flag.StringVar(&cfg.From, "from", "", `where to start: "0" for the whole log, an event id, an RFC 3339 date; empty: live only`)
	flag.BoolVar(&cfg.NoDependencies, "no-dependencies", false, "avoid dependencies resolution")
	flag.IntVar(&cfg.Max, "max", 0, "stop after this many messages (0: run until Ctrl-C)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "streamclient:", err)
		os.Exit(1)
	}
}

// run follows the stream until ctx ends or cfg.Max messages have arrived, then prints what
// the local mirror holds.
func run(ctx context.Context, cfg config, out io.Writer) error {
	opts := &stream.ClientOptions{From: cfg.From, Token: cfg.Token, Options: stream.Options{NoDependencies: cfg.NoDependencies},
		OnReconnect: func(err error, last string) {
			fmt.Fprintf(out, "reconnecting after %v, resuming after %s\n", err, last)
		}}
	if cfg.Token == "" {
		opts.Username, opts.Password = cfg.User, cfg.Password
	}
	c, err := stream.NewClient(cfg.URL, opts)
	if err != nil {
		return err
	}
	local := memstore.New(nil)
	mirror := stream.NewMirror(local, nil)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := 0
	for m, err := range c.Messages(ctx) {
		if err != nil {
			return err
		}
		if err := mirror.Apply(ctx, m); err != nil {
			return err
		}
		fmt.Fprintln(out, m.String())
		if n++; cfg.Max > 0 && n >= cfg.Max {
			break
		}
	}
	count, err := store.Count(context.Background(), local)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d messages; the local mirror holds %d objects\n", n, count)
	return nil
}
