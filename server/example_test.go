package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ctifeed/ctifeed/server"
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
