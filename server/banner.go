package server

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ctifeed/ctifeed/store"
)

// printBanner writes what is served, for the operator.
func (s *Server) printBanner(base string) {
	if s.banner == nil {
		return
	}
	var b strings.Builder
	durable := "in memory: data is lost at exit"
	if s.opened.Durable {
		durable = "durable"
	}
	fmt.Fprintf(&b, "ctifeed hub on %s (store: %s, %s)\n", base, s.cfg.engine(), durable)
	for _, f := range s.feeds {
		fmt.Fprintf(&b, "  %-17s %s%s  (%s)\n", f.kind, base, f.path, f.note)
	}
	for _, src := range s.sources {
		fmt.Fprintf(&b, "  ingest %-10s %s\n", src.cfg.Name, describeSource(src.cfg))
	}
	fmt.Fprintf(&b, "  health            %s/healthz  %s/readyz\n", base, base)
	if mp := orDefaultStr(s.cfg.Observability.MetricsPath, "/metrics"); mp != "-" {
		fmt.Fprintf(&b, "  metrics           %s%s\n", base, mp)
	}
	fmt.Fprint(s.banner, b.String())
}

func describeSource(c SourceConfig) string {
	switch {
	case c.TAXII != nil:
		return fmt.Sprintf("TAXII collection %s at %s%s (polled every %s)", c.TAXII.Collection, c.TAXII.URL, c.TAXII.APIRoot, orDefaultDur(c.TAXII.Interval, 5*60e9))
	case c.Stream != nil:
		return "live stream " + c.Stream.URL + " (mirrored)"
	case c.Watch > 0:
		return fmt.Sprintf("files %s (watched every %s)", strings.Join(c.Files, ", "), c.Watch)
	}
	return "files " + strings.Join(c.Files, ", ") + " (once)"
}

// Describe returns what the configuration serves, as `ctifeed check` prints it.
func (s *Server) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen %s, store %s\n", s.cfg.Listen, s.cfg.engine())
	for _, f := range s.feeds {
		fmt.Fprintf(&b, "%-17s %s  (%s)\n", f.kind, f.path, f.note)
	}
	for _, src := range s.sources {
		fmt.Fprintf(&b, "ingest %-10s %s\n", src.cfg.Name, describeSource(src.cfg))
		for _, f := range src.cfg.Files {
			if _, err := os.Stat(f); err != nil {
				fmt.Fprintf(&b, "warning: %v (the source will report it when the hub runs)\n", err)
			}
		}
	}
	for _, u := range s.plan.users {
		fmt.Fprintf(&b, "user %s: groups %v, capabilities %v\n", u.name, u.principal.Groups, u.principal.Capabilities)
	}
	return b.String()
}

// warnHidden counts, for each configured user, the stored objects it may not see, by the
// markings that hide them, into the objects_hidden metric, and warns in the log about a
// user who can see less than 1% of what is stored: the usual cause is a
// statement marking (such as MITRE's on ATT&CK) missing from the user's clearance.
func (s *Server) warnHidden(ctx context.Context) {
	type count struct{ total, seen int }
	counts := map[string]*count{}
	hidden := map[[2]string]int{}
	for rec, err := range store.All(ctx, s.store, store.ScanOptions{}) {
		if err != nil {
			s.log.Warn("counting visible objects failed", "err", err)
			return
		}
		for _, u := range s.plan.users {
			c := counts[u.name]
			if c == nil {
				c = &count{}
				counts[u.name] = c
			}
			c.total++
			if s.plan.vis.CanSee(u.principal, rec.Object) {
				c.seen++
				continue
			}
			label := "organization"
			if refs := rec.Object.ObjectMarkingRefs(); len(refs) > 0 {
				ss := make([]string, len(refs))
				for i, r := range refs {
					ss[i] = string(r)
				}
				slices.Sort(ss)
				label = strings.Join(ss, ",")
			}
			hidden[[2]string{u.name, label}]++
		}
	}
	s.m.hidden.Reset()
	for k, n := range hidden {
		s.m.hidden.WithLabelValues(k[0], k[1]).Set(float64(n))
	}
	for _, u := range s.plan.users {
		c := counts[u.name]
		if c == nil || c.total == 0 || c.seen*100 >= c.total {
			continue
		}
		top, most := "", 0
		for k, n := range hidden {
			if k[0] == u.name && (n > most || n == most && k[1] < top) {
				top, most = k[1], n
			}
		}
		s.log.Warn("a configured user can see almost none of the stored objects: check its clearance (a statement marking is allowed only when listed)",
			"user", u.name, "visible", c.seen, "stored", c.total, "hidden_most_by", top, "hidden_by_it", most)
	}
}
