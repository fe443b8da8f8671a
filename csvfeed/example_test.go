package csvfeed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// A feed of indicators with the malware each one indicates, generated for one hour of
// platform time. The store's clock says when each object arrived.
func Example() {
	ctx := context.Background()
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	s := memstore.New(&memstore.Options{Clock: func() time.Time { at = at.Add(time.Minute); return at }})
	c := func(id string) stix.Common {
		return stix.Common{ID: stix.ID(id), Created: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)}
	}
	emotet, _ := stix.NewMalware("Emotet", true, c("malware--00000000-0000-4000-8000-000000000001"))
	ind, _ := stix.NewIndicator("C2 of Emotet", "[ipv4-addr:value = '198.51.100.7']", at, c("indicator--00000000-0000-4000-8000-000000000002"))
	rel, _ := stix.NewRelationship("indicates", ind.ID(), emotet.ID(), c("relationship--00000000-0000-4000-8000-000000000003"))
	formula, _ := stix.NewIndicator("=HYPERLINK(\"http://evil\")", "[domain-name:value = 'evil.example']", at, c("indicator--00000000-0000-4000-8000-000000000004"))
	for _, o := range []*stix.Object{emotet, ind, rel, formula} {
		s.Put(ctx, o)
	}

	var def csvfeed.Definition
	err := json.Unmarshal([]byte(`{
	  "id": "c2-indicators", "name": "C2 indicators", "feed_public": true,
	  "filters": "{\"mode\":\"and\",\"filters\":[],\"filterGroups\":[]}",
	  "feed_types": ["Indicator"], "separator": ";", "include_header": true,
	  "feed_attributes": [
	    {"attribute": "name", "mappings": [{"type": "Indicator", "attribute": "name"}]},
	    {"attribute": "pattern", "mappings": [{"type": "Indicator", "attribute": "pattern"}]},
	    {"attribute": "malware", "mappings": [{"type": "Indicator", "attribute": "name",
	      "relationship_type": "indicates", "target_entity_type": "Malware"}]}
	  ]}`), &def)
	if err != nil {
		fmt.Println(err)
		return
	}
	feed, err := csvfeed.Compile(def, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	vis, _ := access.NewVisibility(nil)
	p, _ := feed.Access().Authorize(nil) // the public principal
	w := csvfeed.Window{Since: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Until: time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC)}
	f, err := feed.Generate(ctx, s, vis, p, w)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", f.String())
	// Output:
	// "name;pattern;malware\r\n\"'=HYPERLINK(\"\"http://evil\"\")\";[domain-name:value = 'evil.example'];\r\nC2 of Emotet;[ipv4-addr:value = '198.51.100.7'];Emotet\r\n"
}

// Validate names the member at fault.
func ExampleDefinition_Validate() {
	def := csvfeed.Definition{ID: "f", Name: "f", FeedTypes: []string{"Indicator"}, Separator: ";;",
		Attributes: []csvfeed.Attribute{{Attribute: "v", Mappings: []csvfeed.Mapping{{Type: "Foo", Attribute: "value"}}}}}
	fmt.Println(def.Validate())
	// Output:
	// csvfeed: separator: ";;" is not one character
	// csvfeed: feed_attributes[0].mappings[0].type: "Foo" is not in feed_types
}

// The writer quotes what RFC 4180 requires and neutralises formulas.
func ExampleWriter() {
	w, _ := csvfeed.NewWriter(os.Stdout, nil)
	w.Write([]string{"plain", "a,b", `say "hi"`, "two\nlines", "=1+2", "-5", "Zürich"})
	w.Flush()
	// Output:
	// plain,"a,b","say ""hi""","two
	// lines",'=1+2,'-5,Zürich
}

// A scheduler regenerates the feed and a handler serves its latest file at OpenCTI's
// path; an unchanged file is answered 304.
func ExampleHandler() {
	ctx := context.Background()
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	s := memstore.New(&memstore.Options{Clock: now})
	ip, _ := stix.NewSCO("ipv4-addr", map[string]any{"value": "198.51.100.7"})
	s.Put(ctx, ip)

	feed, _ := csvfeed.Compile(csvfeed.Definition{ID: "ips", Name: "IPs", Public: true, IncludeHeader: true,
		FeedTypes: []string{"IPv4-Addr"}, Interval: 10 * time.Minute,
		Attributes: []csvfeed.Attribute{{Attribute: "value", Mappings: []csvfeed.Mapping{{Type: "IPv4-Addr", Attribute: "value"}}}},
	}, nil)
	vis, _ := access.NewVisibility(nil)
	sched, _ := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: s, Visibility: vis, Feeds: []*csvfeed.Feed{feed},
		Clock: func() time.Time { return at.Add(time.Minute) }})
	sched.Regenerate(ctx, "ips") // Run(ctx) does this at every interval
	h, _ := csvfeed.NewHandler(&csvfeed.HandlerOptions{Scheduler: sched})

	res := httptest.NewRecorder()
	h.ServeHTTP(res, httptest.NewRequest("GET", "/feeds/ips", nil))
	fmt.Println(res.Code, res.Header().Get("Content-Type"))
	fmt.Printf("%q\n", res.Body.String())

	again := httptest.NewRequest("GET", "/feeds/ips", nil)
	again.Header.Set("If-None-Match", res.Header().Get("ETag"))
	res = httptest.NewRecorder()
	h.ServeHTTP(res, again)
	fmt.Println(res.Code)
	// Output:
	// 200 text/plain; charset=utf-8
	// "value\r\n198.51.100.7\r\n"
	// 304
}
