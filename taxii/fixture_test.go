package taxii_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/taxii"
)

// t0 is when the fixture's first object is stored; each later write is a minute later.
var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// The fixture's ids, fixed so that goldens and cursors are deterministic.
const (
	idOrg      stix.ID = "identity--0a3ef6c4-9c7e-4e6a-9f3e-1f1c6f0b6a01"
	idIndA     stix.ID = "indicator--1d4c2c1a-5b2e-4b0b-8a59-6a1e4a2f0a02"
	idIndAmber stix.ID = "indicator--2e5d3d2b-6c3f-4c1c-9b6a-7b2f5b3f1b03"
	idMalware  stix.ID = "malware--3f6e4e3c-7d40-4d2d-8c7b-8c306c401c04"
	idRel      stix.ID = "relationship--4a7f5f4d-8e51-4e3e-9d8c-9d417d512d05"
	idIndC     stix.ID = "indicator--5b806a5e-9f62-4f4f-8e9d-ae528e623e06"
	statusID           = "8a6c1f0e-2d3b-4c5a-9e8f-7a6b5c4d3e2f"
	collPublic         = "6b2f3a59-7a15-4d8e-9a3c-1c2d3e4f5a01"
	collIndic          = "7c3a4b6a-8b26-4e9f-8b4d-2d3e4f5a6b02"
	collSecret         = "8d4b5c7b-9c37-4fa0-9c5e-3e4f5a6b7c03"
	collWrite          = "9e5c6d8c-ad48-40b1-8d6f-4f5a6b7c8d04"
)

// stepClock is a settable clock for the store and the handler; with tick set, every
// reading advances it by tick, so that each write has its own millisecond and the
// handler's horizon is always past the writes before it.
type stepClock struct {
	mu   sync.Mutex
	t    time.Time
	tick time.Duration
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.tick)
	return c.t
}

func (c *stepClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func must(o *stix.Object, err error) *stix.Object {
	if err != nil {
		panic(err)
	}
	return o
}

// fixtureObjects are stored in this order, a minute apart: an organization, an indicator
// (later given a second version), an indicator marked TLP:AMBER, a malware, a relationship
// between the first indicator and the malware, and a third indicator.
func fixtureObjects() []*stix.Object {
	c := func(id stix.ID, day int) stix.Common {
		return stix.Common{ID: id, Created: time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC), CreatedByRef: idOrg}
	}
	org := must(stix.NewIdentity("ACME CERT", "organization", stix.Common{ID: idOrg, Created: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}))
	amber := c(idIndAmber, 3)
	amber.ObjectMarkingRefs = []stix.ID{stix.TLPAmber}
	return []*stix.Object{
		org,
		must(stix.NewIndicator("evil.example", "[domain-name:value = 'evil.example']", t0, c(idIndA, 2))),
		must(stix.NewIndicator("amber only", "[ipv4-addr:value = '203.0.113.9']", t0, amber)),
		must(stix.NewMalware("Emotet", true, c(idMalware, 4))),
		must(stix.NewRelationship("indicates", idIndA, idMalware, c(idRel, 5))),
		must(stix.NewIndicator("c2.example", "[domain-name:value = 'c2.example']", t0, c(idIndC, 6))),
	}
}

// fixture is a handler over a store holding the fixture, a clock set to the minute after
// the last write, and the authenticator's users:
//   - reader:pw (and Bearer reader-token): data sharing, cleared up to TLP:AMBER;
//   - nocap:pw: authenticated, without the data-sharing capability.
type fixture struct {
	store *memstore.Store
	clock *stepClock
	h     *taxii.Handler
}

func newFixture(t testing.TB, mod func(*taxii.HandlerOptions)) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := &stepClock{t: t0}
	s := memstore.New(&memstore.Options{Clock: clock.now})
	for i, o := range fixtureObjects() {
		clock.set(t0.Add(time.Duration(i) * time.Minute))
		if _, _, err := s.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// The first indicator's second version, stored last.
	clock.set(t0.Add(10 * time.Minute))
	a, _ := s.Get(ctx, idIndA)
	v2 := must(a.Object.NewVersion(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), func(p map[string]any) { p["name"] = "evil.example (v2)" }))
	if _, _, err := s.Put(ctx, v2); err != nil {
		t.Fatal(err)
	}
	clock.set(t0.Add(time.Hour))
	opts := fixtureOptions(s, clock)
	if mod != nil {
		mod(opts)
	}
	h, err := taxii.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: s, clock: clock, h: h}
}

var testAuth = func() *access.Static {
	reader := &access.Principal{UserID: "u-reader", Name: "reader", Groups: []string{"analysts"},
		Capabilities: []access.Capability{access.CapAccessDataSharing},
		Markings:     access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
	a, err := access.NewStatic(access.StaticOptions{
		Users: []access.StaticUser{
			{Username: "reader", Password: "pw", Principal: reader},
			{Username: "nocap", Password: "pw", Principal: &access.Principal{UserID: "u-nocap", Name: "nocap"}},
		},
		Tokens: []access.StaticToken{{Token: "reader-token", Principal: reader}},
	})
	if err != nil {
		panic(err)
	}
	return a
}()

func fixtureOptions(s store.Store, clock *stepClock) *taxii.HandlerOptions {
	indicators, err := filter.ParseText("entity_type = Indicator")
	if err != nil {
		panic(err)
	}
	return &taxii.HandlerOptions{
		Store: s, Title: "ctifeed test server", Description: "Fixtures for the golden exchanges",
		Contact: "cert@example.com", Authenticator: testAuth,
		DefaultLimit: 100, MaxLimit: 1000,
		CursorKey: []byte("a fixed key so that next tokens are deterministic"),
		Clock:     clock.now, NewID: func() string { return statusID },
		APIRoots: []taxii.APIRoot{{
			Path: "api1", Title: "API root one", Description: "Everything", MaxContentLength: 4096,
			Collections: []taxii.Collection{
				{ID: collPublic, Alias: "public", Title: "Public", Description: "Every object, for anyone",
					Access: access.FeedAccess{Public: true}, CanRead: true},
				{ID: collIndic, Alias: "indicators", Title: "Indicators", Filters: &indicators, CanRead: true, CanWrite: true},
				{ID: collSecret, Alias: "secret", Title: "Insiders only", CanRead: true,
					Access: access.FeedAccess{AuthorizedMembers: []access.Member{{Kind: access.MemberGroup, ID: "insiders"}}}},
				{ID: collWrite, Alias: "inbox", Title: "Write only", CanWrite: true},
			},
		}},
	}
}

func envelope(objs ...*stix.Object) string {
	s := `{"objects":[`
	for i, o := range objs {
		if i > 0 {
			s += ","
		}
		s += string(o.Raw())
	}
	return s + "]}"
}

func newIndicator(n int, at time.Time) *stix.Object {
	return must(stix.NewIndicator(fmt.Sprintf("new %d", n), fmt.Sprintf("[ipv4-addr:value = '192.0.2.%d']", n%250), at,
		stix.Common{ID: stix.ID(fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n)), Created: at}))
}
