package pgstore_test

import (
	"context"
	"log"
	"net/http"
	"os"

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
