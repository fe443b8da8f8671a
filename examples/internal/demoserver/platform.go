package demoserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/examples/internal/demodata"
	"github.com/ctifeed/ctifeed/iocstream"
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
	// ioc is the IoC store the hub serves; the demo seeds it (see notify).
	ioc iocstream.Store
	vis *access.Visibility
	// describe names the store engine in the banner.
	describe string
	// audience are the demo principals, the IoC stream's readers; see notify.
	audience []*access.Principal
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
	var ioc iocstream.Store
	banner := &onWrite{}
	srv, err := server.New(ctx, hc, &server.Options{Engines: engines(&ioc), Banner: banner,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, err
	}
	// The same rule as the hub's (organizations enforced, ungranted objects visible to
	// all), for the demo's IoC audience.
	vis, err := access.NewVisibility(&access.VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	if err != nil {
		srv.Close()
		return nil, err
	}
	analyst, partner := principals()
	p := &platform{srv: srv, banner: banner, store: srv.Store(), ioc: ioc, vis: vis, describe: describe,
		audience: []*access.Principal{analyst, partner}}
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

// resume takes up a kept store of n objects: the simulation changes its indicators. If
// the IoC stream is empty (a seed cut short between the objects and their notifications),
// the notifications are added again before serving, as the hub's bridge would add them
// afterwards; those already expired are never seen.
func (p *platform) resume(ctx context.Context, n int) error {
	p.objects = n
	all, err := iocstream.ParseFilter("")
	if err != nil {
		return err
	}
	kept, err := p.ioc.Scan(ctx, all, &iocstream.ScanOptions{Order: iocstream.OrderNewest, Limit: 1})
	if err != nil {
		return err
	}
	for r, err := range store.All(ctx, p.store, store.ScanOptions{}) {
		if err != nil {
			return err
		}
		if r.Object.Type() == "indicator" {
			p.indicators = append(p.indicators, r.Object.ID())
		}
		if len(kept) == 0 {
			if err := p.notify(ctx, r.Object); err != nil {
				return err
			}
		}
	}
	return nil
}

// seed puts the demo objects into the store and one IoC notification per indicator into
// the IoC stream.
func (p *platform) seed(ctx context.Context, indicators int) error {
	// Objects are a minute apart; start early enough that the newest is about now, so the
	// data is inside the IoC stream's 7-day retention and recent CSV windows.
	start := time.Now().UTC().Add(-time.Duration(4*indicators+indicators/10+40) * time.Minute).Truncate(time.Minute)
	objs, err := demodata.Generate(&demodata.Options{Indicators: indicators, Start: start})
	if err != nil {
		return err
	}
	// The objects in one batch (one transaction on a durable store), then their
	// notifications, whose access check looks objects up in the store; see resume for a
	// seed cut short between the two.
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
		if err := p.notify(ctx, o); err != nil {
			return err
		}
		if o.Type() == "indicator" {
			p.indicators = append(p.indicators, o.ID())
		}
	}
	return nil
}

// put stores o and, for an indicator, notifies its IoCs on the IoC stream.
func (p *platform) put(ctx context.Context, o *stix.Object) error {
	if _, _, err := p.store.Put(ctx, o); err != nil {
		return fmt.Errorf("storing %s: %w", o.ID(), err)
	}
	return p.notify(ctx, o)
}

// hubSource is the source package server's IoC bridge gives the notifications it derives
// from the log. The demo adds the same notifications (same template, so the same derived
// ids) before it serves, so that the IoC stream is complete once the banner is printed;
// the hub's bridge then finds each one already kept.
var hubSource = iocstream.Source{Type: iocstream.SourceCollection, ID: "hub", Label: "ctifeed hub"}

// notify adds the IoC notifications of o as the hub's bridge makes them: indicators and
// observables that every demo principal may see (one already kept is not an error: a
// seed may be repeated).
func (p *platform) notify(ctx context.Context, o *stix.Object) error {
	for _, pr := range p.audience {
		if !p.vis.CanSee(pr, o) {
			return nil
		}
	}
	tmpl := &iocstream.Notification{Origin: iocstream.OriginSubscriptions, Date: o.Created(),
		Sources: []iocstream.Source{hubSource}, Tags: o.Labels()}
	ns, err := iocstream.FromSTIX(o, tmpl)
	if err != nil {
		return nil // not an IoC (ErrUnsupported) or not usable as one, as the bridge decides
	}
	for _, n := range ns {
		if err := p.ioc.Add(ctx, n); err != nil && !errors.Is(err, iocstream.ErrExists) {
			return err
		}
	}
	return nil
}
