package demoserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/examples/internal/demodata"
	"github.com/ctifeed/ctifeed/server"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// The demo credentials the banner prints. They exist only in this example (the hub keeps
// only their hashes).
const (
	AnalystUser     = "analyst"
	AnalystPassword = "analyst-demo-password"
	AnalystToken    = "demo-analyst-token"
	PartnerUser     = "partner"
	PartnerPassword = "partner-demo-password"
)

// platform is the demo hub: package server configured by hubConfig, plus what the demo
// adds (seeding, the simulation, the banner).
type platform struct {
	srv *server.Server
	// banner receives the hub's banner; serve sets what it does.
	banner *onWrite
	store  store.Store
	// vis is the hub's access rule, for the tests' oracles.
	vis *access.Visibility
	// describe names the store engine in the banner.
	describe string
	// objects is how many demo objects were stored.
	objects int
	// indicators are the demo indicators' ids, which the simulation changes.
	indicators []stix.ID
}

// principals are the demo users as the configuration makes them: the analyst sees up to
// TLP:AMBER and the Red organization's objects; the partner sees up to TLP:GREEN and the
// Blue organization's.
func principals() (analyst, partner *access.Principal) {
	orgs := demodata.Orgs()
	analyst = &access.Principal{UserID: AnalystUser, Name: AnalystUser, Groups: []string{"analysts"},
		Organizations: []string{string(orgs.Red)},
		Capabilities:  []access.Capability{access.CapAccessDataSharing},
		Markings:      access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
	partner = &access.Principal{UserID: PartnerUser, Name: PartnerUser, Groups: []string{"partners"},
		Organizations: []string{string(orgs.Blue)},
		Capabilities:  []access.Capability{access.CapAccessDataSharing},
		Markings:      access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
	return analyst, partner
}

// newPlatform builds the hub cfg describes and seeds its store when empty; nothing is
// served until serve. log receives the hub's warnings and errors.
func newPlatform(ctx context.Context, cfg Config, log io.Writer) (*platform, error) {
	if cfg.Indicators <= 0 {
		cfg.Indicators = 300
	}
	hc, err := hubConfig(cfg)
	if err != nil {
		return nil, err
	}
	_, describe, _ := storeConfig(cfg) // hubConfig checked it
	banner := &onWrite{}
	srv, err := server.New(ctx, hc, &server.Options{Banner: banner,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, err
	}
	// The same rule as the hub's (organizations enforced, ungranted objects visible to
	// all), for the tests' oracles.
	vis, err := access.NewVisibility(&access.VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	if err != nil {
		srv.Close()
		return nil, err
	}
	p := &platform{srv: srv, banner: banner, store: srv.Store(), vis: vis, describe: describe}
	if err := p.mount(ctx, cfg); err != nil {
		srv.Close()
		return nil, err
	}
	return p, nil
}

// mount seeds an empty store, or finds what a kept one holds.
func (p *platform) mount(ctx context.Context, cfg Config) error {
	n, err := store.Count(ctx, p.store)
	if err != nil {
		return err
	}
	if n == 0 {
		return p.seed(ctx, cfg.Indicators)
	}
	return p.resume(ctx, n)
}

// resume takes up a kept store of n objects: the simulation changes its indicators.
func (p *platform) resume(ctx context.Context, n int) error {
	p.objects = n
	for r, err := range store.All(ctx, p.store, store.ScanOptions{}) {
		if err != nil {
			return err
		}
		if r.Object.Type() == "indicator" {
			p.indicators = append(p.indicators, r.Object.ID())
		}
	}
	return nil
}

// seed puts the demo objects into the store, in one batch (one transaction on a durable
// store). The hub derives their IoC notifications from the log (see serve).
func (p *platform) seed(ctx context.Context, indicators int) error {
	// Objects are a minute apart; start early enough that the newest is about now, so the
	// data is inside the IoC stream's 7-day retention and recent CSV windows.
	start := time.Now().UTC().Add(-time.Duration(4*indicators+indicators/10+40) * time.Minute).Truncate(time.Minute)
	objs, err := demodata.Generate(&demodata.Options{Indicators: indicators, Start: start})
	if err != nil {
		return err
	}
	res, err := store.PutMany(ctx, p.store, objs)
	if err != nil {
		return err
	}
	for i, r := range res {
		if r.Err != nil {
			return fmt.Errorf("storing %s: %w", objs[i].ID(), r.Err)
		}
	}
	p.objects = len(objs)
	for _, o := range objs {
		if o.Type() == "indicator" {
			p.indicators = append(p.indicators, o.ID())
		}
	}
	return nil
}

// put stores o; the hub notifies its IoCs, if any, on the IoC stream.
func (p *platform) put(ctx context.Context, o *stix.Object) error {
	if _, _, err := p.store.Put(ctx, o); err != nil {
		return fmt.Errorf("storing %s: %w", o.ID(), err)
	}
	return nil
}
