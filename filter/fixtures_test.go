package filter_test

import (
	"context"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
)

// Identifiers the fixtures share.
const (
	idIndicator  = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	idIndicator2 = "indicator--1f3c5e7a-9b2d-4f6e-8a0c-2e4f6a8c0e2a" // an earlier STIX id of the indicator
	idMalware    = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
	idRel        = "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"
	idSighting   = "sighting--6e7f8a9b-0c1d-4e2f-a3b4-c5d6e7f8a9b0"
	idCrowd      = "identity--b3d5e8c1-4a3f-4e0e-9f2a-8c7d6e5f4a3b"
	idOther      = "identity--0e1d6c4a-5b7f-4c1a-8d2e-3f4a5b6c7d8e"
	idCountry    = "location--7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
	internalID   = "7a1c5a28-8b3e-4d47-9b1a-3f3e1a9c0b11" // OpenCTI's internal id of the indicator
	userAdmin    = "88ec0c6a-13ce-5e39-b486-354fe4a7084f"
	userAssignee = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
	userPart     = "3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"
	workflow     = "c5f6a7b8-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
	workflowTop  = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"
	workflowExt  = "d6e7f8a9-b0c1-4d2e-9f3a-4b5c6d7e8f9a"
)

const (
	octiExt = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
	octiSCO = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"
	times   = `"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-02T10:00:00.000Z"`
)

// fixtureJSON holds the objects the match tests run on, each built to exercise some keys.
var fixtureJSON = map[string]string{
	// Every property at the top level and in OpenCTI's extension, the top level set to win.
	"ind": `{"type":"indicator","spec_version":"2.1","id":"` + idIndicator + `",` + times + `,
		"created_by_ref":"` + idCrowd + `","name":"Emotet C2","description":"C2 server of the Emotet botnet",
		"pattern":"[ipv4-addr:value = '198.51.100.3']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z",
		"valid_until":"2025-05-01T00:00:00Z",
		"indicator_types":["malicious-activity","anomalous-activity"],"labels":["Detection"," c2 "],
		"object_marking_refs":["` + string(stix.TLP2Green) + `"],"confidence":75,
		"x_opencti_score":80,"x_opencti_detection":true,"x_opencti_main_observable_type":"IPv4-Addr",
		"extensions":{"` + octiExt + `":{"extension_type":"property-extension","id":"` + internalID + `",
			"type":"Indicator","stix_ids":["` + idIndicator2 + `"],"creator_ids":["` + userAdmin + `"],
			"assignee_ids":["` + userAssignee + `"],"participant_ids":["` + userPart + `"],
			"workflow_id":"` + workflow + `","score":10,"detection":false,"main_observable_type":"Domain-Name"}}}`,
	// OpenCTI's properties only in its extension, except the workflow, which is in both.
	"ind-ext": `{"type":"indicator","spec_version":"2.1","id":"indicator--2a4c6e8f-0b1d-4f3a-9c5e-7a9b1c3d5e7f",` + times + `,
		"pattern":"rule x { condition: true }","pattern_type":"yara","valid_from":"2024-05-01T10:00:00.000Z",
		"x_opencti_workflow_id":"` + workflowTop + `",
		"extensions":{"` + octiExt + `":{"extension_type":"property-extension","score":65,"detection":true,
			"created_at":"2024-03-01T00:00:00.000Z","updated_at":"2024-03-02T00:00:00.000Z",
			"main_observable_type":"StixFile","workflow_id":"` + workflowExt + `"}}}`,
	// Nothing optional.
	"ind-bare": `{"type":"indicator","spec_version":"2.1","id":"indicator--3b5d7f9a-1c2e-4a4b-8d6f-8a0b2c4d6e8f",` + times + `,
		"pattern":"[file:name = 'a.exe']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z"}`,
	// A property name spelled with a \u escape (x_opencti_score).
	"escaped": `{"type":"indicator","spec_version":"2.1","id":"indicator--4c6e8a0b-2d3f-4b5c-9e7a-9b1c3d5e7f9a",` + times + `,
		"pattern":"[file:name = 'b.exe']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z",
		"x_opencti\u005fscore":90}`,
	// Numbers and booleans written as strings.
	"malware": `{"type":"malware","spec_version":"2.1","id":"` + idMalware + `",` + times + `,
		"name":"Emotet","is_family":true,"revoked":true,"labels":["detection"],"confidence":90,
		"aliases":["Geodo","Heodo"],"first_seen":"2014-06-01T00:00:00Z","last_seen":"2024-04-30T00:00:00Z",
		"x_opencti_score":"70","x_opencti_detection":"yes"}`,
	"report": `{"type":"report","spec_version":"2.1","id":"report--5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",` + times + `,
		"name":"Emotet returns","published":"2024-05-01T10:00:00.000Z","report_types":["threat-report","Internal"],
		"object_refs":["` + idIndicator + `","` + idMalware + `"],"confidence":"high","revoked":false,
		"extensions":{"` + octiExt + `":{"extension_type":"property-extension","object_refs_inferred":["` + idRel + `"]}}}`,
	"note": `{"type":"note","spec_version":"2.1","id":"note--6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",` + times + `,
		"content":"Seen again","note_types":["analysis"],"object_refs":["` + idMalware + `"]}`,
	"case": `{"type":"case-incident","spec_version":"2.1","id":"case-incident--7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",` + times + `,
		"name":"Outbreak","response_types":["ransomware"],"severity":"high","priority":"P1",
		"object_refs":["` + idIndicator + `"]}`,
	"rfi": `{"type":"case-rfi","spec_version":"2.1","id":"case-rfi--8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a",` + times + `,
		"name":"Question","information_types":["technical"]}`,
	"rft": `{"type":"case-rft","spec_version":"2.1","id":"case-rft--9e0f1a2b-3c4d-4e5f-a06b-7c8d9e0f1a2b",` + times + `,
		"name":"Takedown","takedown_types":["domain"]}`,
	"incident": `{"type":"incident","spec_version":"2.1","id":"incident--0f1a2b3c-4d5e-4f6a-b7c8-d9e0f1a2b3c4",` + times + `,
		"name":"Breach","incident_type":"cybercrime"}`,
	"rel": `{"type":"relationship","spec_version":"2.1","id":"` + idRel + `",` + times + `,
		"relationship_type":"indicates","source_ref":"` + idIndicator + `","target_ref":"` + idMalware + `",
		"x_opencti_score":null,"start_time":"2024-04-01T00:00:00Z","stop_time":"2024-04-30T23:59:59Z",
		"extensions":{"` + octiExt + `":{"extension_type":"property-extension","source_type":"Indicator","target_type":"Malware"}}}`,
	"rel-bare": `{"type":"relationship","spec_version":"2.1","id":"relationship--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",` + times + `,
		"relationship_type":"uses","source_ref":"intrusion-set--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
		"target_ref":"attack-pattern--3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"}`,
	// A relationship_type that names an object type, and an identity_class no OpenCTI type has.
	"rel-odd": `{"type":"relationship","spec_version":"2.1","id":"relationship--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6f",` + times + `,
		"relationship_type":"indicator","source_ref":"` + idIndicator + `","target_ref":"` + idMalware + `"}`,
	"group": `{"type":"identity","spec_version":"2.1","id":"identity--3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e70",` + times + `,
		"name":"Crew","identity_class":"group"}`,
	"sighting": `{"type":"sighting","spec_version":"2.1","id":"` + idSighting + `",` + times + `,
		"sighting_of_ref":"` + idIndicator + `","where_sighted_refs":["` + idCrowd + `","` + idCountry + `"],
		"extensions":{"` + octiExt + `":{"extension_type":"property-extension","sighting_of_type":"Indicator",
			"where_sighted_types":["Organization","Country"]}}}`,
	// An observable whose OpenCTI properties are in the observable extension.
	"ipv4": `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3",
		"extensions":{"` + octiSCO + `":{"extension_type":"property-extension","labels":["scanner"],
			"created_by_ref":"` + idCrowd + `","score":40,"description":"Scanner"}}}`,
	"file": `{"type":"file","spec_version":"2.1","id":"file--4d5e6f7a-8b9c-5d0e-9f1a-2b3c4d5e6f7a","name":"a.exe",
		"hashes":{"MD5":"d41d8cd98f00b204e9800998ecf8427e"}}`,
	"hostname": `{"type":"hostname","spec_version":"2.1","id":"hostname--5e6f7a8b-9c0d-5e1f-a2b3-c4d5e6f7a8b9","value":"host.example"}`,
	"org": `{"type":"identity","spec_version":"2.1","id":"` + idCrowd + `",` + times + `,
		"name":"CrowdStrike","identity_class":"organization"}`,
	"sector": `{"type":"identity","spec_version":"2.1","id":"identity--6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0",` + times + `,
		"name":"Finance","identity_class":"class"}`,
	"country": `{"type":"location","spec_version":"2.1","id":"` + idCountry + `",` + times + `,
		"name":"France","country":"FR","x_opencti_location_type":"Country"}`,
	"ta-ind": `{"type":"threat-actor","spec_version":"2.1","id":"threat-actor--7a8b9c0d-1e2f-4a3b-8c4d-e5f6a7b8c9d0",` + times + `,
		"name":"Lone wolf","resource_level":"individual","x_opencti_aliases":["Wolf"]}`,
	"observed": `{"type":"observed-data","spec_version":"2.1","id":"observed-data--3a4b5c6d-7e8f-4a9b-8c0d-e1f2a3b4c5d6",` + times + `,
		"first_observed":"2024-04-28T08:00:00Z","last_observed":"2024-04-29T08:00:00.5Z","number_observed":2,
		"object_refs":["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]}`,
	// OpenCTI's extension says group, the STIX property individual: the extension wins.
	"ta-group": `{"type":"threat-actor","spec_version":"2.1","id":"threat-actor--8b9c0d1e-2f3a-4b4c-9d5e-f6a7b8c9d0e1",` + times + `,
		"name":"Crew","resource_level":"individual",
		"extensions":{"` + octiExt + `":{"extension_type":"property-extension","type":"Threat-Actor-Group"}}}`,
	"vuln": `{"type":"vulnerability","spec_version":"2.1","id":"vulnerability--9c0d1e2f-3a4b-4c5d-ae6f-a7b8c9d0e1f2",` + times + `,
		"name":"CVE-2024-0001","x_opencti_cisa_kev":true,"x_opencti_epss_score":0.42,"x_opencti_cvss_base_score":9.8,
		"extensions":{"` + octiExt + `":{"extension_type":"property-extension","epss_percentile":0.97,"cvss_base_severity":"CRITICAL"}}}`,
	"tlp": `{"type":"marking-definition","spec_version":"2.1","id":"` + string(stix.TLPGreen) + `",
		"created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}}`,
	"x-sdo": `{"type":"x-mitre-tactic","spec_version":"2.1","id":"x-mitre-tactic--0d1e2f3a-4b5c-4d6e-8f7a-b8c9d0e1f2a3",` + times + `,
		"name":"Collection","x_mitre_domains":["mobile-attack","enterprise-attack"],"x_mitre_version":"1.2",
		"x_count":5,"x_flag":"no"}`,
	"x-sco": `{"type":"x-custom-observable","spec_version":"2.1","id":"x-custom-observable--1e2f3a4b-5c6d-4e7f-8a9b-c0d1e2f3a4b5","value":"abc"}`,
	"unicode": `{"type":"malware","spec_version":"2.1","id":"malware--2f3a4b5c-6d7e-4f8a-9b0c-d1e2f3a4b5c6",` + times + `,
		"name":"Ça","is_family":false,"labels":["ÉCOLE","Straße"]}`,
}

// Identifiers of fixture containers.
const (
	idReport = "report--5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
	idNote   = "note--6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e"
)

// fixtureNow is the clock of the match tables: a Wednesday, a week after the fixtures' created.
var fixtureNow = time.Date(2024, 5, 8, 12, 0, 0, 0, time.UTC)

// fixtureTimes are the platform's record times the tables give some fixtures.
var fixtureTimes = map[string]filter.Times{
	"ind": {CreatedAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC)},
}

// sliceResolver answers a Resolver's questions from a list of objects: the fixtures, or the
// ATT&CK bundle.
type sliceResolver struct {
	byID map[stix.ID]*stix.Object
	rels map[stix.ID][]*stix.Object // by end
}

func newSliceResolver(objs []*stix.Object) *sliceResolver {
	r := &sliceResolver{byID: map[stix.ID]*stix.Object{}, rels: map[stix.ID][]*stix.Object{}}
	for _, o := range objs {
		r.byID[o.ID()] = o
		var ends []string
		switch o.Type() {
		case "relationship":
			ends = []string{o.Get("source_ref").String(), o.Get("target_ref").String()}
		case "sighting":
			ends = []string{o.Get("sighting_of_ref").String()}
			for _, w := range o.Get("where_sighted_refs").Array() {
				ends = append(ends, w.String())
			}
		}
		for _, e := range ends {
			r.rels[stix.ID(e)] = append(r.rels[stix.ID(e)], o)
		}
	}
	return r
}

func (r *sliceResolver) Relations(_ context.Context, ids []stix.ID) ([]*stix.Object, error) {
	var out []*stix.Object
	for _, id := range ids {
		out = append(out, r.rels[id]...)
	}
	return out, nil
}

func (r *sliceResolver) Objects(_ context.Context, ids []stix.ID) ([]*stix.Object, error) {
	var out []*stix.Object
	for _, id := range ids {
		if o, ok := r.byID[id]; ok {
			out = append(out, o)
		}
	}
	return out, nil
}

func fixtureResolver(objs map[string]*stix.Object) *sliceResolver {
	list := make([]*stix.Object, 0, len(objs))
	for _, o := range objs {
		list = append(list, o)
	}
	return newSliceResolver(list)
}

// fixtures parses fixtureJSON.
func fixtures(tb testing.TB) map[string]*stix.Object {
	tb.Helper()
	objs := make(map[string]*stix.Object, len(fixtureJSON))
	for name, s := range fixtureJSON {
		o, err := stix.Parse([]byte(s))
		if err != nil {
			tb.Fatalf("fixture %s: %v", name, err)
		}
		objs[name] = o
	}
	return objs
}
