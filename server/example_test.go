package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ctifeed/ctifeed/server"
	"github.com/ctifeed/ctifeed/stream"
)

// A hub from a YAML configuration: one public live stream over an in-memory store.
// Serve runs until its context ends, then shuts down gracefully.
func Example() {
	cfg, err := server.ParseConfig("hub.yaml", []byte(`
listen: 127.0.0.1:0
feeds:
  streams:
    - {"id": "public", "name": "Public", "stream_live": true, "stream_public": true}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	hub, err := server.New(context.Background(), cfg, &server.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- hub.Serve(ctx) }()
	for hub.Addr() == "" {
		time.Sleep(time.Millisecond)
	}
	resp, err := http.Get("http://" + hub.Addr() + "/readyz")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))
	stop()
	fmt.Println("stopped:", <-done)
	// Output:
	// 200 ready
	// stopped: <nil>
}

// Mistakes in a configuration name the file, the line and the field.
func ExampleParseConfig() {
	_, err := server.ParseConfig("hub.yaml", []byte("listen: :8080\nhttp:\n  idle_timeout: -1s\n  max_conections: 10\n"))
	fmt.Println(err)
	_, err = server.ParseConfig("hub.yaml", []byte("listen: :8080\nhttp:\n  idle_timeout: -1s\n"))
	fmt.Println(err)
	// Output:
	// hub.yaml:4: max_conections: unknown field (in HTTPConfig)
	// hub.yaml:3: http.idle_timeout: must not be negative
}

// Live streams defined at run time, from Go: Put creates or replaces a definition, which
// the hub serves at once; the configuration's own streams are changed in the
// configuration only. The admin HTTP API (/admin/streams) does the same for a principal
// holding TAXIIAPI_SETCOLLECTIONS.
func ExampleServer_Streams() {
	cfg, err := server.ParseConfig("hub.yaml", []byte(`
listen: 127.0.0.1:0
feeds:
  streams:
    - {"id": "public", "name": "Public", "stream_live": true, "stream_public": true}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	hub, err := server.New(ctx, cfg, &server.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hub.Close()
	indicators, err := stream.ParseDefinition([]byte(`{"id": "indicators", "name": "Indicators", "stream_live": true,
		"filters": {"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Indicator"]}], "filterGroups": []}}`), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	created, err := hub.Streams().Put(ctx, indicators)
	fmt.Println("created:", created, err)
	indicators.Live = false // stop it: open connections end, new ones get 410
	created, err = hub.Streams().Put(ctx, indicators)
	fmt.Println("created:", created, err)
	_, err = hub.Streams().Put(ctx, stream.Definition{ID: "public", Live: false})
	fmt.Println(errors.Is(err, server.ErrConfiguredStream))
	defs, _ := hub.Streams().List(ctx)
	for _, d := range defs {
		fmt.Println(d.ID, d.Live, hub.Streams().Configured(d.ID))
	}
	// Output:
	// created: true <nil>
	// created: false <nil>
	// true
	// indicators false false
	// public true true
}
