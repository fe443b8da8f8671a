package demoserver

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Run builds the platform, listens on cfg.Addr and serves until ctx ends; then it shuts
// down, ending live streams first. ready, when set, receives the base URL once the
// listener is open (tests use it with -addr 127.0.0.1:0).
func Run(ctx context.Context, cfg Config, out io.Writer, ready func(baseURL string)) error {
	p, err := newPlatform(ctx, cfg, out)
	if err != nil {
		return err
	}
	return p.serve(ctx, cfg, out, ready)
}

// serve runs the hub until ctx ends, with the simulation when cfg asks for it; the banner
// goes to out once the hub listens.
func (p *platform) serve(ctx context.Context, cfg Config, out io.Writer, ready func(baseURL string)) error {
	var sim sync.WaitGroup
	defer sim.Wait()
	simCtx, stop := context.WithCancel(ctx)
	defer stop()
	// The hub writes its own banner once it listens; the demo's replaces it, with the
	// credentials and what to paste, once the hub has derived the IoC notifications of
	// the seeded objects, so that every feed is complete when the banner shows.
	p.banner.f = func() {
		sim.Go(func() {
			if p.srv.WaitIoC(simCtx) != nil {
				return // shutting down
			}
			base := "http://" + p.srv.Addr()
			printBanner(out, base, p)
			if ready != nil {
				ready(base)
			}
			if cfg.Simulate > 0 {
				p.simulate(simCtx, cfg.Simulate, out)
			}
		})
	}
	err := p.srv.Serve(ctx)
	fmt.Fprintln(out, "shutting down")
	return err
}

// onWrite calls f at the first Write and discards what is written.
type onWrite struct {
	once sync.Once
	f    func()
}

func (w *onWrite) Write(b []byte) (int, error) {
	w.once.Do(w.f)
	return len(b), nil
}

func printBanner(out io.Writer, base string, p *platform) {
	var b strings.Builder
	fmt.Fprintf(&b, "ctifeed demo feed server on %s (%s, %d objects)\n\n", base, p.describe, p.objects)
	fmt.Fprintf(&b, "Demo credentials:\n")
	fmt.Fprintf(&b, "  %s / %s   (sees up to TLP:AMBER, member of the Red organization)\n", AnalystUser, AnalystPassword)
	fmt.Fprintf(&b, "  %s / %s   (sees up to TLP:GREEN, member of the Blue organization)\n", PartnerUser, PartnerPassword)
	fmt.Fprintf(&b, "  token %s   (the analyst; as 'Authorization: Bearer', 'Token' or 'x-apikey')\n\n", AnalystToken)
	for _, f := range bannerFeeds {
		fmt.Fprintf(&b, "%s\n  %s%s\n  %s\n\n", f.Name, base, f.Path, strings.ReplaceAll(f.Curl, "{base}", base))
	}
	fmt.Fprintf(&b, "Metrics: %s/metrics   health: %s/healthz %s/readyz\n\n", base, base, base)
	fmt.Fprintf(&b, "Press Ctrl-C to stop.\n")
	io.WriteString(out, b.String())
}
