package demoserver

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/stream"
	"github.com/ctifeed/ctifeed/taxii"
)

// TestNoFeedLeaks reads every feed of the demo platform as each demo caller (the partner,
// cleared to TLP:GREEN in the Blue organization; the analyst, TLP:AMBER in Red; and an
// anonymous caller) and checks that every object that arrives, dependencies included, is one
// the caller may see, both as sent and as stored. It also checks that the platform holds
// objects each caller may not see, so the test cannot pass vacuously.
func TestNoFeedLeaks(t *testing.T) {
	ctx := context.Background()
	p, err := newPlatform(ctx, Config{Indicators: 80, Heartbeat: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.mux)
	defer srv.Close()
	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, task := range p.background { // the CSV scheduler
		wg.Go(func() { task(bg) })
	}
	defer wg.Wait()
	defer stop()
	analyst, partner := principals()
	callers := []struct {
		name      string
		principal *access.Principal // whom the feeds must run as
		user, pw  string
	}{
		{"partner", partner, PartnerUser, PartnerPassword},
		{"analyst", analyst, AnalystUser, AnalystPassword},
		{"anonymous", publicPrincipal(), "", ""},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			hidden := p.hiddenFrom(t, c.principal)
			if len(hidden) == 0 {
				t.Fatal("the demo data hides nothing from this caller: the test would prove nothing")
			}
			seen := map[stix.ID]bool{}
			check := func(feed string, o *stix.Object) {
				t.Helper()
				seen[o.ID()] = true
				if hidden[o.ID()] {
					t.Errorf("%s sent %s, which %s may not see", feed, o.ID(), c.name)
				}
				if !p.vis.CanSee(c.principal, o) {
					t.Errorf("%s sent %s as %s may not see it: %s", feed, o.ID(), c.name, o.Raw())
				}
			}
			p.readStreams(t, srv.URL, c.user, c.pw, check)
			p.readTAXII(t, srv.URL, c.user, c.pw, check)
			p.readCSV(t, srv.URL, c.user, c.pw, func(feed string, id stix.ID) {
				rec, err := p.store.Get(ctx, id)
				if err != nil {
					t.Fatalf("%s lists %s: %v", feed, id, err)
				}
				check(feed, rec.Object)
			})
			if len(seen) == 0 {
				t.Error("no feed sent anything")
			}
			t.Logf("%d distinct objects received, %d stored objects hidden from %s", len(seen), len(hidden), c.name)
		})
	}
}

// hiddenFrom returns the stored objects p may not see.
func (pl *platform) hiddenFrom(t *testing.T, p *access.Principal) map[stix.ID]bool {
	hidden := map[stix.ID]bool{}
	for rec, err := range store.All(context.Background(), pl.store, store.ScanOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if !pl.vis.CanSee(p, rec.Object) {
			hidden[rec.Object.ID()] = true
		}
	}
	return hidden
}

// readStreams reads every live stream the caller may use from the start of the log to its
// end (the first heartbeat after the last event).
func (pl *platform) readStreams(t *testing.T, base, user, pw string, check func(string, *stix.Object)) {
	for _, id := range []string{StreamDetection, StreamPublic} {
		c, err := stream.NewClient(base+"/stream/"+id, &stream.ClientOptions{Username: user, Password: pw, From: "0", MaxFailures: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for f, err := range c.Frames(ctx) {
			var se *stream.StatusError
			if errors.As(err, &se) && user == "" {
				break // the restricted stream refuses anonymous callers
			}
			if err != nil {
				t.Fatalf("stream %s: %v", id, err)
			}
			if f.Event == "heartbeat" {
				break // caught up with the log
			}
			if f.Message.Object != nil {
				check("stream "+id, f.Message.Object)
				for _, s := range f.Message.Sources {
					check("stream "+id+" (merge source)", s)
				}
			}
		}
		cancel()
	}
}

// readTAXII reads every object of every collection the caller may see.
func (pl *platform) readTAXII(t *testing.T, base, user, pw string, check func(string, *stix.Object)) {
	c, err := taxii.NewClient(base, &taxii.ClientOptions{Username: user, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cols, err := c.Collections(ctx, "taxii2/demo/")
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range cols {
		for o, err := range c.Objects(ctx, "taxii2/demo/", col.ID, &taxii.Query{Limit: 500, Versions: []string{"all"}}) {
			if err != nil {
				t.Fatalf("collection %s: %v", col.Alias, err)
			}
			check("taxii "+col.Alias, o)
		}
	}
}

// readCSV reads the CSV feeds the caller may use and reports the id of each row that has
// one (the detection feed's first column).
func (pl *platform) readCSV(t *testing.T, base, user, pw string, row func(string, stix.ID)) {
	for _, id := range []string{"detection-indicators", "public-file-hashes"} {
		req, _ := http.NewRequest(http.MethodGet, base+"/feeds/"+id, nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		var resp *http.Response
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var err error
			if resp, err = http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
				break // generated: the scheduler's first run may still be under way
			}
			resp.Body.Close()
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			if user == "" && resp.StatusCode == http.StatusUnauthorized {
				continue
			}
			t.Fatalf("feed %s: status %d", id, resp.StatusCode)
		}
		recs, err := csv.NewReader(resp.Body).ReadAll()
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			if strings.HasPrefix(r[0], "indicator--") {
				row("csv "+id, stix.ID(r[0]))
			}
		}
	}
}
