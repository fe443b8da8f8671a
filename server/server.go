package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// Options are what a configuration does not say: where logs and the banner go, and the
// engines a host adds. A nil *Options means the defaults.
type Options struct {
	// Logger receives the JSON event and access logs (default: JSON on stderr at the
	// configuration's level).
	Logger *slog.Logger
	// Banner receives the start-up summary of what is served (default: none).
	Banner io.Writer
	// Engines are the store engines by name (default [BuiltinEngines]).
	Engines map[string]Engine
	// ShutdownTimeout bounds a graceful shutdown (default 10 s).
	ShutdownTimeout time.Duration
	// StreamHeartbeat is the interval of live-stream heartbeats, at which open connections
	// also re-read their stream's definition (default stream.DefaultHeartbeat, 5 s, as
	// OpenCTI).
	StreamHeartbeat time.Duration
}

// Server is a running hub: its store, feeds and ingestion sources.
type Server struct {
	cfg     Config
	plan    *plan
	log     *slog.Logger
	banner  io.Writer
	opened  Opened
	store   store.Store
	cps     Checkpoints
	m       *metrics
	auth    *authenticator
	limits  *limits
	mux     *http.ServeMux
	handler http.Handler
	streams *stream.Handler
	defs    *Streams
	beat    time.Duration
	// probes decide whether a stream manager may make a stream public (admin_public.go).
	probes  []*stix.Object
	csv     *csvfeed.Scheduler
	ioc     iocstream.Store
	iocDone progress // how far the IoC bridge has read the log (ioc.go)
	sources []*source
	// hc makes the sources' requests; its idle connections close with Serve.
	hc      *http.Client
	feeds   []feedLine
	timeout time.Duration

	mu       sync.Mutex
	addr     string
	serving  bool
	shutdown bool
}

// feedLine is one banner line.
type feedLine struct{ kind, path, note string }

// New builds the hub a configuration describes: it validates cfg, opens the store and
// mounts the feeds. Nothing listens or ingests until [Server.Serve] (or [Server.IngestFiles]).
func New(ctx context.Context, cfg *Config, opts *Options) (*Server, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Engines == nil {
		o.Engines = BuiltinEngines()
	}
	p, err := cfg.compile(o.Engines)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: *cfg, plan: p, log: o.Logger, banner: o.Banner, m: newMetrics(), mux: http.NewServeMux(),
		timeout: o.ShutdownTimeout, beat: o.StreamHeartbeat, hc: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	if s.log == nil {
		s.log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level(cfg.Observability.LogLevel)}))
	}
	s.opened, err = o.Engines[cfg.engine()](ctx, cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("store engine %s: %w", cfg.engine(), err)
	}
	s.store = instrument(s.opened.Store, s.m)
	s.m.setLog(s.opened.Store) // uninstrumented: scrapes are not store traffic
	s.cps = s.opened.Checkpoints
	if s.cps == nil {
		s.cps = newMemCheckpoints()
	}
	defs, err := s.openStreams(ctx)
	if err != nil {
		s.closeStore()
		return nil, err
	}
	if err := s.mount(defs); err != nil {
		s.closeStore()
		return nil, err
	}
	return s, nil
}

// openStreams puts the configuration's streams into the engine's definitions and returns
// every stream defined then.
func (s *Server) openStreams(ctx context.Context) ([]stream.Definition, error) {
	st := s.opened.Streams
	if st == nil {
		st = memStreams{reg: &stream.Registry{}}
	}
	s.defs = &Streams{store: st, configured: map[string]bool{}}
	for _, d := range s.plan.streams {
		s.defs.configured[d.ID] = true
	}
	defs, err := s.defs.seed(ctx, s.plan.streams, s.log.Info)
	if err != nil {
		return nil, fmt.Errorf("live-stream definitions: %w", err)
	}
	s.m.setStreams(s.defs)
	return defs, nil
}

func level(s string) slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(s)) // validated: "" stays info
	return l
}

// Store is the hub's store, for a host that writes to it directly.
func (s *Server) Store() store.Store { return s.store }

// Handler is the hub's HTTP handler with every protection but the connection cap and
// the server timeouts, which [Server.Serve] adds.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr is the address Serve listens on, once it does ("" before).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *Server) mount(defs []stream.Definition) error {
	c := s.cfg
	th := newThrottle(orDefault(c.HTTP.AuthFailures.PerMinute, 30), orDefaultInt(c.HTTP.AuthFailures.Burst, 10))
	s.auth = newAuthenticator(s.plan.users, th, func(scheme string, ok bool) {
		r := "failure"
		if ok {
			r = "success"
		}
		s.m.auth.WithLabelValues(scheme, r).Inc()
	})
	hc := c.HTTP
	hc.BodyTimeout = orDefaultDur(hc.BodyTimeout, 30*time.Second)
	hc.WriteTimeout = orDefaultDur(hc.WriteTimeout, 60*time.Second)
	hc.RetryAfter = orDefaultDur(hc.RetryAfter, 5*time.Second)
	hc.MaxStreamsPerPrincipal = orDefaultInt(hc.MaxStreamsPerPrincipal, 8)
	s.limits = &limits{cfg: hc, auth: s.auth, throttle: th, m: s.m, log: s.log,
		accessLog: c.Observability.AccessLog, streamsPer: map[string]int{}}
	// Streams are served even when none is defined yet: the admin API may add some.
	h, err := stream.NewHandler(&stream.HandlerOptions{Store: s.store, Streams: s.defs.store, Authenticator: s.auth,
		Visibility: s.plan.vis, PublicPrincipal: s.plan.public, Logger: s.log, Observer: streamObserver{s.m},
		Heartbeat: s.beat, MaxLag: s.cfg.HTTP.StreamMaxLag})
	if err != nil {
		return err
	}
	s.streams = h
	s.mux.Handle("/stream", h)
	s.mux.Handle("/stream/", h)
	for _, d := range defs {
		note := audience(d.Public)
		if !s.defs.Configured(d.ID) {
			note += ", defined at run time"
		}
		if !d.Live {
			note += ", stopped"
		}
		s.feeds = append(s.feeds, feedLine{"live stream", "/stream/" + d.ID, note})
	}
	s.probes = s.publicProbes()
	s.mountAdmin()
	s.feeds = append(s.feeds, feedLine{"stream admin", "/admin/streams", "capability " + string(CapManageStreams)})
	if len(s.plan.roots) > 0 {
		h, err := taxii.NewHandler(&taxii.HandlerOptions{Store: s.store, Title: orDefaultStr(c.Title, "ctifeed TAXII server"),
			APIRoots: s.plan.roots, BaseURL: c.BaseURL, Authenticator: s.auth, Visibility: s.plan.vis, Logger: s.log,
			CursorKey: s.opened.CursorKey, Statuses: s.opened.Statuses})
		if err != nil {
			return err
		}
		s.mux.Handle(taxii.DiscoveryPath, h)
		for _, r := range s.plan.roots {
			s.mux.Handle("/"+r.Path+"/", h)
			for _, col := range r.Collections {
				mode := "read-only"
				if col.CanWrite {
					mode = "writable"
				}
				s.feeds = append(s.feeds, feedLine{"TAXII collection", "/" + r.Path + "/collections/" + col.ID + "/",
					col.Title + ", " + mode + ", " + audience(col.Access.Public)})
			}
		}
	}
	if len(s.plan.csv) > 0 {
		sched, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s.store, Visibility: s.plan.vis,
			Feeds: s.plan.csv, Logger: s.log, Observer: csvObserver{s.m}, State: s.opened.CSVWindows})
		if err != nil {
			return err
		}
		h, err := csvfeed.NewHandler(&csvfeed.HandlerOptions{Scheduler: sched, Authenticator: s.auth})
		if err != nil {
			return err
		}
		s.csv = sched
		s.mux.Handle("/feeds/", h)
		for _, d := range s.plan.csvDefs {
			s.feeds = append(s.feeds, feedLine{"CSV feed", "/feeds/" + d.ID, audience(d.Public)})
		}
	}
	if ic := c.Feeds.IoCStream; ic != nil {
		s.ioc = s.opened.IoC
		if s.ioc == nil {
			s.ioc = iocstream.NewMemStore(nil)
		}
		h := iocstream.NewHandler(&iocstream.HandlerOptions{Store: s.ioc, Authenticator: s.auth,
			ReadOnly: !ic.Writable, BaseURL: c.BaseURL, Logger: s.log})
		s.mux.Handle("/api/v3/", h)
		mode := "read-only"
		if ic.Writable {
			mode = "writable (notifications may be deleted)"
		}
		s.feeds = append(s.feeds, feedLine{"IoC stream", "/api/v3/ioc_stream", mode + ", restricted"})
	}
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.HandleFunc("/readyz", s.ready)
	if mp := orDefaultStr(c.Observability.MetricsPath, "/metrics"); mp != "-" {
		s.mux.Handle(mp, promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{Registry: s.m.reg}))
	}
	if c.Observability.Pprof {
		s.mux.HandleFunc("/debug/pprof/", pprof.Index)
		s.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	for _, sc := range c.Ingest {
		s.sources = append(s.sources, &source{cfg: sc, s: s})
	}
	s.handler = s.limits.wrap(s.mux)
	return nil
}

func audience(public bool) string {
	if public {
		return "public"
	}
	return "restricted"
}

// ready answers 200 when the store answers.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Bounds(ctx); err != nil {
		http.Error(w, "store unreachable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

func orDefault(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}

func orDefaultInt(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func orDefaultDur(v, d time.Duration) time.Duration {
	if v == 0 {
		return d
	}
	return v
}

func orDefaultStr(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// Serve listens on the configured address and serves until ctx ends, running the
// ingestion sources and the CSV scheduler meanwhile. Then it shuts down gracefully: live
// streams end first, then in-flight requests finish (within Options.ShutdownTimeout),
// then the sources stop and the store closes. It returns nil after a shutdown caused by
// ctx.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return errors.New("server: Serve called twice")
	}
	s.serving = true
	s.mu.Unlock()
	defer s.closeStore()
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if t := s.cfg.HTTP.TLS; t.CertFile != "" {
		cr, err := newCertReloader(t.CertFile, t.KeyFile, func(err error) { s.log.Error("reloading the TLS certificate failed", "err", err) })
		if err != nil {
			ln.Close()
			return fmt.Errorf("TLS: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{GetCertificate: cr.GetCertificate, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	if max := orDefaultInt(s.cfg.HTTP.MaxConnections, 1024); max > 0 {
		ln = &capListener{Listener: ln, max: int64(max), retryAfter: s.limits.cfg.RetryAfter,
			onReject: func() { s.m.rejected.WithLabelValues("connections").Inc() }}
	}
	base := scheme + "://" + ln.Addr().String()
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()

	// Long-lived work watches this context: Shutdown alone would wait for streams forever.
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	srv := &http.Server{Handler: s.handler,
		ReadHeaderTimeout: orDefaultDur(s.cfg.HTTP.ReadHeaderTimeout, 10*time.Second),
		IdleTimeout:       orDefaultDur(s.cfg.HTTP.IdleTimeout, 60*time.Second),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return bg }}
	s.printBanner(base)
	s.log.Info("serving", "address", base, "engine", s.cfg.engine(), "feeds", len(s.feeds), "sources", len(s.sources))

	var wg sync.WaitGroup
	if s.csv != nil {
		wg.Go(func() { _ = s.csv.Run(bg) }) // returns bg's error
	}
	if s.ioc != nil {
		wg.Go(func() { s.followIoC(bg) })
	}
	// The visibility check runs once the files have been read a first time, so that it
	// sees what they hold.
	var first sync.WaitGroup
	for _, src := range s.sources {
		if len(src.cfg.Files) > 0 {
			first.Add(1)
			src.firstPass = first.Done
		}
		wg.Go(func() { src.run(bg) })
	}
	wg.Go(func() {
		first.Wait()
		if bg.Err() != nil {
			return
		}
		s.warnHidden(bg)
		for _, d := range s.plan.csvDefs { // files that predate the ingested data
			if err := s.csv.Regenerate(bg, d.ID); err != nil && bg.Err() == nil {
				s.log.Warn("regenerating a CSV feed failed", "feed", d.ID, "err", err)
			}
		}
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
		stop()
		wg.Wait()
		s.hc.CloseIdleConnections()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	if s.streams != nil {
		s.streams.Close() // streams first: they never finish by themselves
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	stop()
	wg.Wait()
	s.hc.CloseIdleConnections()
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	s.log.Info("stopped", "err", err)
	return err
}

func (s *Server) closeStore() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return
	}
	s.shutdown = true
	if s.opened.Close != nil {
		if err := s.opened.Close(); err != nil {
			s.log.Error("closing the store", "err", err)
		}
	}
}

// Close releases the store of a Server that was never served (Serve closes it itself).
func (s *Server) Close() error {
	s.closeStore()
	return nil
}
