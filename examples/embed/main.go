package main

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

func main() {
	// Ctrl-C or SIGTERM ends ctx: the CSV scheduler stops and the server shuts down.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st := memstore.New(nil) // or your own store.Store (see store/storetest)
	// Your service writes STIX objects, before and while it serves; every feed sees each change.
	ind, _ := stix.NewIndicator("bad domain", "[domain-name:value = 'bad.example']", time.Now(), stix.Common{Labels: []string{"detection"}})
	if _, _, err := st.Put(ctx, ind); err != nil {
		log.Fatal(err)
	}
	mux, err := feeds(ctx, st)
	if err != nil {
		log.Fatal(err)
	}
	if err := serve(ctx, "localhost:8081", mux); err != nil {
		log.Fatal(err)
	}
}

// serve serves h until ctx ends, then shuts down gracefully. Live streams never finish by
// themselves, so their requests' context (BaseContext) ends first; then Shutdown waits for
// the other requests in flight, at most 10 s. The timeouts keep idle and slow clients from
// holding connections.
func serve(ctx context.Context, addr string, h http.Handler) error {
	reqCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		BaseContext: func(net.Listener) context.Context { return reqCtx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	cancel() // ends the live streams
	sctx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	err := srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
		return e
	}
	return err
}

// feeds builds the three feeds over one store.
func feeds(ctx context.Context, st *memstore.Store) (*http.ServeMux, error) {
	me := &access.Principal{UserID: "me", Capabilities: []access.Capability{access.CapAccessDataSharing},
		Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
	auth, err := access.NewStatic(access.StaticOptions{Tokens: []access.StaticToken{{Token: "s3cret", Principal: me}}})
	if err != nil {
		return nil, err
	}
	detections, err := filter.ParseText("entity_type = Indicator and objectLabel = detection")
	if err != nil {
		return nil, err
	}
	streams, err := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{
		{ID: "detections", Name: "Detections", Filters: &detections, Live: true}}})
	if err != nil {
		return nil, err
	}
	live, err := stream.NewHandler(&stream.HandlerOptions{Store: st, Streams: streams, Authenticator: auth})
	if err != nil {
		return nil, err
	}
	tx, err := taxii.NewHandler(&taxii.HandlerOptions{Store: st, Authenticator: auth, APIRoots: []taxii.APIRoot{{
		Path: "api1", Title: "Our intel", Collections: []taxii.Collection{{
			ID: "0b1c6e2a-3d4f-4a5b-8c6d-7e8f9a0b1c2d", Title: "Detections", Filters: &detections, CanRead: true}}}}})
	if err != nil {
		return nil, err
	}
	csv, err := csvFeed(ctx, st, auth, detections)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/stream/", live) // OpenCTI live stream: /stream/detections
	mux.Handle("/taxii2/", tx)   // TAXII discovery
	mux.Handle("/api1/", tx)     // TAXII API root
	mux.Handle("/feeds/", csv)   // CSV feed: /feeds/detections
	return mux, nil
}

// csvFeed serves the detections as a CSV file regenerated every minute.
func csvFeed(ctx context.Context, st *memstore.Store, auth access.Authenticator, f filter.Group) (http.Handler, error) {
	feed, err := csvfeed.Compile(csvfeed.Definition{ID: "detections", Name: "Detections", Filters: f,
		FeedTypes: []string{"Indicator"}, IncludeHeader: true, Window: csvfeed.Rolling, RollingTime: 24 * 60,
		Interval: time.Minute, Attributes: []csvfeed.Attribute{
			{Attribute: "name", Mappings: []csvfeed.Mapping{{Type: "Indicator", Attribute: "name"}}},
			{Attribute: "pattern", Mappings: []csvfeed.Mapping{{Type: "Indicator", Attribute: "pattern"}}},
		}}, nil)
	if err != nil {
		return nil, err
	}
	vis, err := access.NewVisibility(nil) // TLP markings; options add organizations, PAP...
	if err != nil {
		return nil, err
	}
	sched, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: st, Visibility: vis, Feeds: []*csvfeed.Feed{feed}})
	if err != nil {
		return nil, err
	}
	go sched.Run(ctx) // regenerates until ctx ends
	return csvfeed.NewHandler(&csvfeed.HandlerOptions{Scheduler: sched, Authenticator: auth})
}
