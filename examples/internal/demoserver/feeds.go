package demoserver

import (
	"encoding/json"
	"fmt"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/taxii"
)

// publicPrincipal is whom anonymous callers of public feeds run as: they see objects marked
// TLP:CLEAR (or unmarked) that no organization restricts.
func publicPrincipal() *access.Principal {
	return &access.Principal{UserID: "anonymous", Name: "anonymous",
		Markings: access.Clearance{Max: []stix.ID{stix.TLP2Clear}}}
}

// mustFilter parses a FilterGroup written in this file; a mistake here is a bug.
func mustFilter(js string) *filter.Group {
	g, err := filter.Parse([]byte(js))
	if err != nil {
		panic(fmt.Sprintf("demo filter %s: %v", js, err))
	}
	return &g
}

const (
	filterIndicators = `{"mode":"and","filters":[{"key":["entity_type"],"values":["Indicator"]}],"filterGroups":[]}`
	filterDetection  = `{"mode":"and","filters":[{"key":["entity_type"],"values":["Indicator"]},{"key":["objectLabel"],"values":["detection"]}],"filterGroups":[]}`
)

// The demo TAXII collection ids (UUIDs, as the standard asks).
const (
	CollectionIndicators = "9f1a2c3e-0d4b-4c6a-8e2f-1b3c5d7e9f10"
	CollectionKnowledge  = "2b4d6f80-1a3c-4e5f-9a7b-c8d9e0f1a2b3"
	CollectionPublic     = "5c7e9a1b-3d5f-4a6b-8c9d-e0f1a2b3c4d5"
	CollectionInbox      = "7e9f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
)

func (p *platform) mountTAXII() error {
	h, err := taxii.NewHandler(&taxii.HandlerOptions{
		Store: p.store, Title: "ctifeed demo TAXII server", Authenticator: p.auth, Visibility: p.vis,
		Statuses: p.storage.statuses, CursorKey: p.storage.cursorKey,
		APIRoots: []taxii.APIRoot{{Path: "taxii2/demo", Title: "Demo API root", Collections: []taxii.Collection{
			{ID: CollectionIndicators, Alias: "indicators", Title: "Indicators", Description: "Every indicator",
				Filters: mustFilter(filterIndicators), CanRead: true},
			{ID: CollectionKnowledge, Alias: "knowledge", Title: "All knowledge", Description: "Every object you may see",
				CanRead: true},
			{ID: CollectionPublic, Alias: "public", Title: "Public", Description: "What anonymous callers may see (TLP:CLEAR)",
				Access: access.FeedAccess{Public: true, PublicPrincipal: publicPrincipal()}, CanRead: true},
			{ID: CollectionInbox, Alias: "inbox", Title: "Inbox", Description: "Add objects here (POST)",
				Filters: mustFilter(filterIndicators), CanRead: true, CanWrite: true},
		}}},
	})
	if err != nil {
		return err
	}
	p.mux.Handle("/taxii2/", h)
	p.feeds = append(p.feeds, feedInfo{Name: "TAXII 2.1", Path: "/taxii2/",
		Curl: "curl -s -u " + AnalystUser + ":" + AnalystPassword + " -H 'Accept: application/taxii+json;version=2.1' '{base}/taxii2/demo/collections/" + CollectionIndicators + "/objects/?limit=2'"})
	return nil
}

// csvDefinitions are the demo CSV feeds, in OpenCTI's JSON shape.
var csvDefinitions = []string{`{
  "id": "detection-indicators", "name": "Detection indicators",
  "description": "Indicators labelled detection, with the malware they indicate",
  "filters": ` + filterDetection + `, "feed_types": ["Indicator"], "include_header": true,
  "rolling_time": 10080, "window": "rolling",
  "feed_attributes": [
    {"attribute": "id", "mappings": [{"type": "Indicator", "attribute": "id"}]},
    {"attribute": "name", "mappings": [{"type": "Indicator", "attribute": "name"}]},
    {"attribute": "pattern", "mappings": [{"type": "Indicator", "attribute": "pattern"}]},
    {"attribute": "confidence", "mappings": [{"type": "Indicator", "attribute": "confidence"}]},
    {"attribute": "malware", "mappings": [{"type": "Indicator", "attribute": "name",
      "relationship_type": "indicates", "target_entity_type": "Malware"}]}
  ]}`, `{
  "id": "public-file-hashes", "name": "Public file hashes", "feed_public": true,
  "description": "SHA-256 and MD5 of files anyone may see", "separator": ";",
  "feed_types": ["StixFile"], "include_header": true, "rolling_time": 10080, "window": "rolling",
  "feed_attributes": [
    {"attribute": "sha256", "mappings": [{"type": "StixFile", "attribute": "hashes.SHA-256"}]},
    {"attribute": "md5", "mappings": [{"type": "StixFile", "attribute": "hashes.MD5"}]},
    {"attribute": "name", "mappings": [{"type": "StixFile", "attribute": "name"}]}
  ]}`}

// mountCSV compiles the demo CSV feeds and serves them; the returned scheduler must run
// for files to exist.
func (p *platform) mountCSV() (*csvfeed.Scheduler, error) {
	var feeds []*csvfeed.Feed
	for _, js := range csvDefinitions {
		var def csvfeed.Definition
		if err := json.Unmarshal([]byte(js), &def); err != nil {
			return nil, fmt.Errorf("demo CSV feed: %w", err)
		}
		f, err := csvfeed.Compile(def, &csvfeed.FeedOptions{PublicPrincipal: publicPrincipal()})
		if err != nil {
			return nil, err
		}
		feeds = append(feeds, f)
	}
	sched, err := csvfeed.NewScheduler(&csvfeed.SchedulerOptions{Source: p.store, Visibility: p.vis, Feeds: feeds})
	if err != nil {
		return nil, err
	}
	h, err := csvfeed.NewHandler(&csvfeed.HandlerOptions{Scheduler: sched, Authenticator: p.auth})
	if err != nil {
		return nil, err
	}
	p.mux.Handle("/feeds/", h)
	p.feeds = append(p.feeds, feedInfo{Name: "CSV feeds", Path: "/feeds/detection-indicators",
		Curl: "curl -s -u " + AnalystUser + ":" + AnalystPassword + " '{base}/feeds/detection-indicators'   # public: curl -s '{base}/feeds/public-file-hashes'"})
	return sched, nil
}
