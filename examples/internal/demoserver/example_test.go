package demoserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ctifeed/ctifeed/examples/internal/demoserver"
)

// Run serves until its context ends; ready reports the address once it listens.
func ExampleRun() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- demoserver.Run(ctx, demoserver.Config{Addr: "127.0.0.1:0", Indicators: 20}, io.Discard,
			func(base string) { ready <- base })
	}()
	base := <-ready
	resp, err := http.Get(base + "/taxii2/")
	if err != nil {
		fmt.Println(err)
		return
	}
	var discovery struct{ Title string }
	json.NewDecoder(resp.Body).Decode(&discovery)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, discovery.Title)
	cancel()
	fmt.Println("stopped:", <-done)
	// Output:
	// 200 ctifeed demo TAXII server
	// stopped: <nil>
}
