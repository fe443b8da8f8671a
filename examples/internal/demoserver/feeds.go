package demoserver

import (
	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
)

// publicPrincipal is whom anonymous callers of public feeds run as (server's default
// public clearance): they see objects marked TLP:CLEAR (or unmarked) that no organization
// restricts.
func publicPrincipal() *access.Principal {
	return &access.Principal{UserID: "anonymous", Name: "anonymous",
		Markings: access.Clearance{Max: []stix.ID{stix.TLP2Clear}}}
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

// The demo live streams' ids.
const (
	StreamDetection = "detection-indicators"
	StreamPublic    = "public"
)

// streamDefinitions are the demo live streams, in OpenCTI's JSON shape.
var streamDefinitions = []string{
	`{"id": "` + StreamDetection + `", "name": "Detection indicators", "stream_live": true,
	  "description": "Indicators labelled detection, with their dependencies (the seed's stream)",
	  "filters": ` + filterDetection + `}`,
	`{"id": "` + StreamPublic + `", "name": "Public knowledge", "stream_live": true, "stream_public": true,
	  "description": "Everything anonymous callers may see (TLP:CLEAR)"}`,
}

// collectionDefinitions are the demo TAXII collections, in OpenCTI's JSON shape plus
// alias and permissions.
var collectionDefinitions = []string{
	`{"id": "` + CollectionIndicators + `", "alias": "indicators", "name": "Indicators",
	  "description": "Every indicator", "filters": ` + filterIndicators + `}`,
	`{"id": "` + CollectionKnowledge + `", "alias": "knowledge", "name": "All knowledge",
	  "description": "Every object you may see"}`,
	`{"id": "` + CollectionPublic + `", "alias": "public", "name": "Public", "taxii_public": true,
	  "description": "What anonymous callers may see (TLP:CLEAR)"}`,
	`{"id": "` + CollectionInbox + `", "alias": "inbox", "name": "Inbox", "can_write": true,
	  "description": "Add objects here (POST)", "filters": ` + filterIndicators + `}`,
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

// feedInfo is one banner entry: a feed's name, its URL path and a curl example.
type feedInfo struct {
	Name, Path, Curl string
}

// bannerFeeds are the banner's entries, one per kind of feed the configuration serves.
var bannerFeeds = []feedInfo{
	{Name: "Live stream (OpenCTI Server-Sent Events)", Path: "/stream/" + StreamDetection,
		Curl: "curl -sN -u " + AnalystUser + ":" + AnalystPassword + " '{base}/stream/" + StreamDetection + "?from=0'   # all streams: curl -s -u " + AnalystUser + ":" + AnalystPassword + " '{base}/stream'"},
	{Name: "TAXII 2.1", Path: "/taxii2/",
		Curl: "curl -s -u " + AnalystUser + ":" + AnalystPassword + " -H 'Accept: application/taxii+json;version=2.1' '{base}/taxii2/demo/collections/" + CollectionIndicators + "/objects/?limit=2'"},
	{Name: "CSV feeds", Path: "/feeds/detection-indicators",
		Curl: "curl -s -u " + AnalystUser + ":" + AnalystPassword + " '{base}/feeds/detection-indicators'   # public: curl -s '{base}/feeds/public-file-hashes'"},
	{Name: "IoC stream (VirusTotal API v3)", Path: "/api/v3/ioc_stream",
		Curl: "curl -s -H 'x-apikey: " + AnalystToken + "' '{base}/api/v3/ioc_stream?limit=5&filter=entity_type:file'"},
}
