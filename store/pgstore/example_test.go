package pgstore_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/store/pgstore"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// One node of a platform served by several: every feed reads and writes the same
// database, and the TAXII `next` key is one secret kept there, so any node answers any
// request. (This example is compiled, not run: it needs a server; the package's tests run
// the same wiring against a throwaway one.)
func Example() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, os.Getenv("CTIFEED_POSTGRES_DSN"), &pgstore.Options{MaxEvents: 5_000_000})
	if err != nil {
		log.Fatal(err) // names the server it could not reach, or a schema newer than this code
	}
	defer s.Close()
	key, err := s.Secret(ctx, "taxii-next-key", 32)
	if err != nil {
		log.Fatal(err)
	}
	collections, err := taxii.NewHandler(&taxii.HandlerOptions{Store: s, Statuses: s.Statuses(), CursorKey: key,
		APIRoots: []taxii.APIRoot{{Path: "api1", Title: "Feeds"}}})
	if err != nil {
		log.Fatal(err)
	}
	live, err := stream.NewHandler(&stream.HandlerOptions{Store: s, Streams: &stream.Registry{}})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api1/", collections)
	mux.Handle("/stream/", live)
	mux.Handle("/api/v3/", iocstream.NewHandler(&iocstream.HandlerOptions{Store: s.IoC("hunting", nil)}))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}

// Ingestion positions kept with the data: a source saves where it got to once what it read
// is stored, and a restarted node — or any other node — resumes from there. (Compiled, not
// run: it needs a server.)
func ExampleStore_Positions() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, os.Getenv("CTIFEED_POSTGRES_DSN"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	positions := s.Positions()
	from, err := positions.Load(ctx, "partner-taxii") // "" the first time
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("polling the partner's collection added after %q", from)
	// … store what the poll returned, then:
	if err := positions.Save(ctx, "partner-taxii", "2026-12-01T10:00:00.000000Z"); err != nil {
		log.Fatal(err)
	}
}

// CSV feeds whose since-previous windows are shared by every node: each window is closed
// once, by whichever node's scheduler gets the feed's row lock first, and a restarted node
// continues from the stored close. (Compiled, not run: it needs a server.)
func ExampleStore_CSVWindows() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, os.Getenv("CTIFEED_POSTGRES_DSN"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	feed, err := csvfeed.Compile(csvfeed.Definition{ID: "indicators", Name: "Indicators", FeedTypes: []string{"Indicator"},
		Attributes: []csvfeed.Attribute{{Attribute: "pattern", Mappings: []csvfeed.Mapping{{Type: "Indicator", Attribute: "pattern"}}}}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	sched, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Feeds: []*csvfeed.Feed{feed}, State: s.CSVWindows()})
	if err != nil {
		log.Fatal(err)
	}
	h, err := csvfeed.NewHandler(&csvfeed.HandlerOptions{Scheduler: sched})
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(http.ListenAndServe("127.0.0.1:8080", h)) }()
	log.Fatal(sched.Run(ctx))
}

// Live-stream definitions changed at run time and shared by every node: a Put or Delete
// here is served by the other nodes within the refresh interval, and their open
// connections follow it at their next heartbeat (a stopped or deleted stream ends them).
// (Compiled, not run: it needs a server.)
func ExampleStore_StreamDefinitions() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, os.Getenv("CTIFEED_POSTGRES_DSN"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	defs := s.StreamDefinitions(&pgstore.StreamDefinitionsOptions{Refresh: time.Second})
	live, err := stream.NewHandler(&stream.HandlerOptions{Store: s, Streams: defs})
	if err != nil {
		log.Fatal(err)
	}
	def, err := stream.ParseDefinition([]byte(`{"id": "indicators", "name": "Indicators", "stream_live": true,
		"filters": {"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Indicator"]}], "filterGroups": []}}`), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := defs.Put(ctx, def); err != nil { // stream.ErrInvalid for a definition that does not validate
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", live))
}
