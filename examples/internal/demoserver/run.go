package demoserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// run builds the platform, listens on cfg.Addr and serves until ctx ends; then it shuts
// down, ending live streams first. ready, when set, receives the base URL once the
// listener is open (tests use it with -addr 127.0.0.1:0).
func Run(ctx context.Context, cfg Config, out io.Writer, ready func(baseURL string)) (err error) {
	p, err := newPlatform(ctx, cfg)
	if err != nil {
		return err
	}
	// The store closes last, once nothing serves or writes any more.
	defer func() {
		if cerr := p.storage.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	// Long-lived streams watch this context: Shutdown alone would wait for them forever.
	srvCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &http.Server{Handler: p.mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return srvCtx }}
	printBanner(out, base, p)
	if ready != nil {
		ready(base)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.Simulate > 0 {
		p.background = append(p.background, func(ctx context.Context) { p.simulate(ctx, cfg.Simulate, out) })
	}
	var bg sync.WaitGroup
	for _, task := range p.background {
		bg.Go(func() { task(srvCtx) })
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "shutting down")
	cancel()
	for _, c := range p.closers {
		c()
	}
	shutCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	err = srv.Shutdown(shutCtx)
	bg.Wait()
	if err2 := <-errc; !errors.Is(err2, http.ErrServerClosed) && err == nil {
		err = err2
	}
	return err
}

func printBanner(out io.Writer, base string, p *platform) {
	var b strings.Builder
	fmt.Fprintf(&b, "ctifeed demo feed server on %s (%s, %d objects)\n\n", base, p.storage.describe, p.objects)
	fmt.Fprintf(&b, "Demo credentials:\n")
	fmt.Fprintf(&b, "  %s / %s   (sees up to TLP:AMBER, member of the Red organization)\n", AnalystUser, AnalystPassword)
	fmt.Fprintf(&b, "  %s / %s   (sees up to TLP:GREEN, member of the Blue organization)\n", PartnerUser, PartnerPassword)
	fmt.Fprintf(&b, "  token %s   (the analyst; as 'Authorization: Bearer' or 'x-apikey')\n\n", AnalystToken)
	for _, f := range p.feeds {
		fmt.Fprintf(&b, "%s\n  %s%s\n  %s\n\n", f.Name, base, f.Path, strings.ReplaceAll(f.Curl, "{base}", base))
	}
	fmt.Fprintf(&b, "Press Ctrl-C to stop.\n")
	io.WriteString(out, b.String())
}
