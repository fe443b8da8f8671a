package stream_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
)

// exampleObjects returns an author and an indicator it authored.
func exampleObjects() (author, ind *stix.Object) {
	t0 := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	author, _ = stix.NewIdentity("CrowdStrike", "organization", stix.Common{
		ID: "identity--5eed0001-0000-4000-8000-000000000001", Created: t0})
	ind, _ = stix.NewIndicator("Emotet C2", "[ipv4-addr:value = '198.51.100.7']", t0, stix.Common{
		ID: "indicator--5eed0003-0000-4000-8000-000000000003", Created: t0, CreatedByRef: author.ID()})
	return author, ind
}

// A public live stream served over HTTP and read with the Go client, which decodes
// OpenCTI's wire format back into messages.
func ExampleNewHandler() {
	ctx := context.Background()
	st := memstore.New(nil)
	streams, _ := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{stream.Definition{ID: "everything", Name: "Everything", Live: true, Public: true}}})
	h, err := stream.NewHandler(&stream.HandlerOptions{Store: st, Streams: streams})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close() // ends open streams first, or srv.Close would wait for them

	author, ind := exampleObjects()
	st.Put(ctx, author)
	last, _, _ := st.Put(ctx, ind)

	c, _ := stream.NewClient(srv.URL+"/stream/everything", &stream.ClientOptions{From: "0"})
	for m, err := range c.Messages(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(m)
		if m.Pos == last.Pos {
			break // a live stream never ends by itself
		}
	}
	// Output:
	// create       identity--5eed0001-0000-4000-8000-000000000001 "CrowdStrike"
	// create       indicator--5eed0003-0000-4000-8000-000000000003 "Emotet C2"
}

// The frames on the wire, as any OpenCTI consumer sees them: a connected frame, then one
// frame per message whose id is a log position and whose data is OpenCTI's event.
func ExampleHandler_wireFormat() {
	ctx := context.Background()
	at := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	st := memstore.New(&memstore.Options{Clock: func() time.Time { return at }})
	streams, _ := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{stream.Definition{ID: "everything", Live: true, Public: true}}})
	h, _ := stream.NewHandler(&stream.HandlerOptions{Store: st, Streams: streams})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	author, ind := exampleObjects()
	st.Put(ctx, author)
	st.Put(ctx, ind)

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stream/everything?from=0", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(resp.Body)
	for frames := 0; frames < 3 && sc.Scan(); {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "data: "):
			d := gjson.Parse(line[len("data: "):])
			if d.Get("connectionId").Exists() {
				fmt.Printf("data: streamSize=%d lastEventId=%s\n", d.Get("streamSize").Int(), d.Get("lastEventId"))
			} else {
				fmt.Printf("data: version=%s type=%s message=%q data.id=%s\n", d.Get("version"), d.Get("type"), d.Get("message"), d.Get("data.id"))
			}
		case line == "":
			frames++
			fmt.Println()
		default:
			fmt.Println(line)
		}
	}
	// Output:
	// text/event-stream; charset=utf-8
	// event: connected
	// data: streamSize=2 lastEventId=1705309200000-1
	//
	// id: 1705309200000-0
	// event: create
	// data: version=4 type=create message="creates a Identity `CrowdStrike`" data.id=identity--5eed0001-0000-4000-8000-000000000001
	//
	// id: 1705309200000-1
	// event: create
	// data: version=4 type=create message="creates a Indicator `Emotet C2`" data.id=indicator--5eed0003-0000-4000-8000-000000000003
}

// A consumer mirrors a remote stream into its own store: the Mirror applies each message
// (create and update put, delete deletes, merge merges).
func ExampleMirror() {
	ctx := context.Background()
	remote := memstore.New(nil)
	streams, _ := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{stream.Definition{ID: "everything", Live: true, Public: true}}})
	h, _ := stream.NewHandler(&stream.HandlerOptions{Store: remote, Streams: streams})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	author, ind := exampleObjects()
	remote.Put(ctx, author)
	remote.Put(ctx, ind)
	last, _ := remote.Delete(ctx, author.ID())

	local := memstore.New(nil)
	c, _ := stream.NewClient(srv.URL+"/stream/everything", &stream.ClientOptions{From: "0"})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	frames := func(yield func(stream.Frame, error) bool) {
		for f, err := range c.Frames(ctx) {
			if !yield(f, err) || f.ID == last.Pos.String() {
				return // stop once the remote's last change is mirrored
			}
		}
	}
	if err := stream.NewMirror(local, nil).Run(ctx, frames); err != nil {
		fmt.Println(err)
		return
	}
	n, _ := local.Count(ctx)
	_, err := local.Get(ctx, ind.ID())
	fmt.Println(n, "object mirrored; indicator found:", err == nil)
	// Output:
	// 1 object mirrored; indicator found: true
}
