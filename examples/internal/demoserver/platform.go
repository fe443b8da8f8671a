package demoserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/examples/internal/demodata"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// The demo credentials the banner prints. They exist only in this example.
const (
	AnalystUser     = "analyst"
	AnalystPassword = "analyst-demo-password"
	AnalystToken    = "demo-analyst-token"
	PartnerUser     = "partner"
	PartnerPassword = "partner-demo-password"
)

// platform is everything the server serves: one store, one access policy, every feed.
type platform struct {
	store store.Store
	ioc   iocstream.Store
	// storage is where store and ioc come from, with the rest of the durable state.
	storage *storage
	auth    *access.Static
	vis     *access.Visibility
	mux     *http.ServeMux
	// audience are the demo principals, the IoC stream's readers; see iocAudience.
	audience []*access.Principal
	// feeds describe what is mounted, for the banner.
	feeds []feedInfo
	// background are the goroutines the platform needs while it serves (CSV regeneration,
	// the simulation); each returns when its context ends.
	background []func(ctx context.Context)
	// closers run at shutdown, before the server waits for its connections.
	closers []func()
	// objects is how many demo objects were stored.
	objects int
	// indicators are the demo indicators' ids, which the simulation changes.
	indicators []stix.ID
}

// feedInfo is one banner entry: a feed's name, its URL path and a curl example.
type feedInfo struct {
	Name, Path, Curl string
}

// principals: the analyst sees up to TLP:AMBER and the Red organization's objects; the
// partner sees up to TLP:GREEN and the Blue organization's.
func principals() (analyst, partner *access.Principal) {
	orgs := demodata.Orgs()
	analyst = &access.Principal{UserID: "user-analyst", Name: AnalystUser,
		Organizations: []string{string(orgs.Red)},
		Capabilities:  []access.Capability{access.CapAccessDataSharing},
		Markings:      access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
	partner = &access.Principal{UserID: "user-partner", Name: PartnerUser,
		Organizations: []string{string(orgs.Blue)},
		Capabilities:  []access.Capability{access.CapAccessDataSharing},
		Markings:      access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
	return analyst, partner
}

func newPlatform(ctx context.Context, cfg Config) (*platform, error) {
	if cfg.Indicators <= 0 {
		cfg.Indicators = 300
	}
	analyst, partner := principals()
	auth, err := access.NewStatic(access.StaticOptions{
		Users: []access.StaticUser{
			{Username: AnalystUser, Password: AnalystPassword, Principal: analyst},
			{Username: PartnerUser, Password: PartnerPassword, Principal: partner},
		},
		Tokens: []access.StaticToken{{Token: AnalystToken, Principal: analyst}},
	})
	if err != nil {
		return nil, err
	}
	// Objects granted to an organization are seen by its members only; the rest by all.
	vis, err := access.NewVisibility(&access.VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p := &platform{store: st.store, ioc: st.ioc, storage: st, auth: auth, vis: vis,
		mux: http.NewServeMux(), audience: []*access.Principal{analyst, partner}}
	if err := p.mount(ctx, cfg); err != nil {
		st.close()
		return nil, err
	}
	return p, nil
}

// mount seeds an empty store (or finds what a kept one holds) and mounts every feed.
func (p *platform) mount(ctx context.Context, cfg Config) error {
	n, err := store.Count(ctx, p.store)
	if err != nil {
		return err
	}
	if n == 0 {
		err = p.seed(ctx, cfg.Indicators)
	} else {
		err = p.resume(ctx, n)
	}
	if err != nil {
		return err
	}
	if err := p.mountStream(cfg.Heartbeat); err != nil {
		return err
	}
	if err := p.mountTAXII(); err != nil {
		return err
	}
	sched, err := p.mountCSV()
	if err != nil {
		return err
	}
	p.background = append(p.background, func(ctx context.Context) { _ = sched.Run(ctx) }) // returns ctx.Err()
	p.mountIoCStream()
	return nil
}

// resume takes up a kept store of n objects: the simulation changes its indicators. If
// the IoC stream is empty (a seed cut short between the objects and their notifications),
// the indicators' notifications are added again; those already expired are never seen.
func (p *platform) resume(ctx context.Context, n int) error {
	p.objects = n
	for r, err := range store.All(ctx, p.store, store.ScanOptions{Types: []string{"indicator"}}) {
		if err != nil {
			return err
		}
		p.indicators = append(p.indicators, r.Object.ID())
	}
	all, err := iocstream.ParseFilter("")
	if err != nil {
		return err
	}
	kept, err := p.ioc.Scan(ctx, all, &iocstream.ScanOptions{Order: iocstream.OrderNewest, Limit: 1})
	if err != nil || len(kept) > 0 {
		return err
	}
	recs, err := p.store.GetMany(ctx, p.indicators)
	if err != nil {
		return err
	}
	for _, id := range p.indicators {
		if err := p.notify(ctx, recs[id].Object); err != nil {
			return err
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

// notify adds the IoC notifications of an indicator (one already kept is not an error: a
// seed may be repeated).
func (p *platform) notify(ctx context.Context, o *stix.Object) error {
	if o.Type() != "indicator" {
		return nil
	}
	tmpl := &iocstream.Notification{Origin: iocstream.OriginSubscriptions, Date: o.Created(),
		Sources: []iocstream.Source{{Type: iocstream.SourceCollection, ID: "demo-indicators", Label: "Demo indicators"}},
		Tags:    o.Labels()}
	// The IoC stream has one audience: it carries only what every demo principal may see.
	ns, err := iocstream.FromSTIXFor(ctx, p.iocAudience(), o, tmpl)
	if errors.Is(err, iocstream.ErrUnsupported) || errors.Is(err, iocstream.ErrHidden) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, n := range ns {
		if err := p.ioc.Add(ctx, n); err != nil && !errors.Is(err, iocstream.ErrExists) {
			return err
		}
	}
	return nil
}

func (p *platform) mountIoCStream() {
	h := iocstream.NewHandler(&iocstream.HandlerOptions{Store: p.ioc, Authenticator: p.auth, ReadOnly: true})
	p.mux.Handle("/api/v3/", h)
	p.feeds = append(p.feeds, feedInfo{Name: "IoC stream (VirusTotal API v3)", Path: "/api/v3/ioc_stream",
		Curl: "curl -s -H 'x-apikey: " + AnalystToken + "' '{base}/api/v3/ioc_stream?limit=5&filter=entity_type:file'"})
}

// iocAudience is who reads the IoC stream: the demo principals, whose boundary decides
// what becomes a notification.
func (p *platform) iocAudience() *iocstream.Audience {
	return &iocstream.Audience{Visibility: p.vis, Principals: p.audience, Lookup: storeLookup(p.store)}
}

// storeLookup answers the access boundary's look-ups from the store's current records.
func storeLookup(st store.Reader) access.Lookup {
	return access.LookupFunc(func(ctx context.Context, ids []stix.ID, found func(*stix.Object)) error {
		recs, err := st.GetMany(ctx, ids)
		if err != nil {
			return err
		}
		for _, r := range recs {
			found(r.Object)
		}
		return nil
	})
}
