package filter_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
)

const (
	green = string(stix.TLP2Green)
	amber = string(stix.TLPAmber)
)

// matchCase is one row of the key tables: a filter in the text form, the fixture it runs on,
// the outcome, and the rule the row checks.
type matchCase struct {
	filter, object string
	want           bool
	rule           string
}

// keyCases covers every built-in key with every operator family that applies to its kind.
var keyCases = append(baseKeyCases, dateRelationCases...)

// dateRelationCases cover the date keys (at fixtureNow) and the relationship keys (through
// the fixtures' relationships, sightings and containers).
var dateRelationCases = []matchCase{ // alias
	{`alias = geodo`, "malware", true, "aliases, case-insensitively"},
	{`alias = wolf`, "ta-ind", true, "x_opencti_aliases too"},
	{`alias != geodo`, "ind", true, "no aliases: not_eq passes"},
	{`alias contains eod`, "malware", true, "text operators on aliases"},
	{`alias < h`, "malware", true, "Geodo sorts before h"},
	{`alias nil`, "ind", true, "no aliases"},
	{`alias not_nil`, "malware", true, "some aliases"},
	// name
	{`name = emotet`, "malware", true, "the name, case-insensitively"},
	{`name != emotet`, "ind", true, "another name"},
	{`name starts_with "Emotet "`, "ind", true, "text operators on the name"},
	{`name > e`, "malware", true, "Emotet sorts after e"},
	{`name nil`, "ipv4", true, "an observable has no name"},
	{`name not_nil`, "report", true, "a report has a name"},
	// fromOrToId
	{`fromOrToId = ` + idMalware, "rel", true, "the target end"},
	{`fromOrToId = ` + idIndicator, "rel", true, "the source end"},
	{`fromOrToId = ` + idCrowd, "sighting", true, "where a sighting was sighted"},
	{`fromOrToId = ` + idMalware, "sighting", false, "not an end of the sighting"},
	{`fromOrToId != ` + idMalware, "ind", true, "no ends: not_eq passes"},
	{`fromOrToId starts_with indicator--`, "rel", true, "text operators on ends"},
	{`fromOrToId < j`, "rel", true, "indicator-- sorts before j"},
	{`fromOrToId nil`, "ind", true, "an indicator has no ends"},
	{`fromOrToId not_nil`, "sighting", true, "a sighting has ends"},
	// created, modified: the object's STIX times
	{`created = 2024-05-01T10:00:00Z`, "ind", true, "the exact instant"},
	{`created = "2024-05-01T12:00:00+02:00"`, "ind", true, "an offset is the same instant"},
	{`created = 2024-05-01`, "ind", true, "a date is its whole UTC day"},
	{`created != 2024-05-01`, "ind", false, "not_eq of the day"},
	{`created = 2024-05-02`, "ind", false, "another day"},
	{`created < 2024-05-01`, "ind", false, "lt a date compares with its start"},
	{`created <= 2024-05-01`, "ind", true, "lte a date compares with its end"},
	{`created > 2024-05-01`, "ind", false, "gt a date compares with its end"},
	{`created >= 2024-05-01`, "ind", true, "gte a date compares with its start"},
	{`created >= now-7d`, "ind", false, "now-7d is 2024-05-01T12:00, after created"},
	{`created >= now-7d/d`, "ind", true, "now-7d/d rounds down for gte: the start of 2024-05-01"},
	{`created > now-7d/d`, "ind", false, "gt rounds up: the end of 2024-05-01"},
	{`created within (now-1M/M or now)`, "ind", true, "from the start of April to now"},
	{`created within (now-1M/M or now-1M/M)`, "ind", false, "April only"},
	{`created within (now-1w/w or now-1w/w)`, "ind", true, "last ISO week, Monday 2024-04-29 to Sunday 2024-05-05"},
	{`created < now+1h`, "ind", true, "a future relative date"},
	{`created = now`, "ind", false, "now itself"},
	{`created = (2024-01-01 or 2024-05-01)`, "ind", true, "mode or over dates"},
	{`created = (2024-05-01 and now-7d/d)`, "ind", true, "mode and: both are the same day"},
	{`created nil`, "ipv4", true, "an observable has no created"},
	{`created not_nil`, "ind", true, "an indicator has created"},
	{`modified = 2024-05-02T10:00:00.000Z`, "ind", true, "modified, exactly"},
	{`modified < now-6d`, "ind", true, "now-6d is 2024-05-02T12:00"},
	{`modified within (2024-05-02 or 2024-05-02)`, "ind", true, "within one day"},
	{`modified nil`, "tlp", true, "a marking has no modified"},
	{`modified not_nil`, "ind", true, "an indicator has modified"},
	// dates read from properties
	{`valid_from = 2024-05-01T10:00:00Z`, "ind", true, "valid_from"},
	{`valid_from >= 2024-05-02`, "ind", false, "valid_from is earlier"},
	{`valid_from nil`, "malware", true, "a malware has no valid_from"},
	{`valid_until > now`, "ind", true, "still valid"},
	{`valid_until = 2025-05-01`, "ind", true, "the day of valid_until"},
	{`valid_until nil`, "ind-bare", true, "no valid_until"},
	{`published within (2024-05-01 or 2024-05-31)`, "report", true, "published in May"},
	{`published = 2024-05-01T10:00:00.000Z`, "report", true, "published exactly"},
	{`published not_nil`, "report", true, "a report is published"},
	{`published nil`, "ind", true, "an indicator is not"},
	{`first_seen = 2014-06-01`, "malware", true, "first_seen"},
	{`first_seen < 2015-01-01`, "malware", true, "first seen before 2015"},
	{`first_seen nil`, "ind", true, "no first_seen"},
	{`last_seen >= now-1M/M`, "malware", true, "seen since the start of April"},
	{`last_seen = 2024-04-30`, "malware", true, "last_seen's day"},
	{`last_seen not_nil`, "malware", true, "has last_seen"},
	{`start_time = 2024-04-01T00:00:00Z`, "rel", true, "start_time"},
	{`start_time > now-1M/M`, "rel", false, "gt rounds up to the end of April"},
	{`start_time nil`, "rel-bare", true, "no start_time"},
	{`stop_time = 2024-04-30`, "rel", true, "stop_time"},
	{`stop_time <= 2024-04-30T23:59:59Z`, "rel", true, "lte the instant"},
	{`stop_time not_nil`, "rel", true, "has stop_time"},
	{`first_observed = "2024-04-28T08:00:00Z"`, "observed", true, "first_observed"},
	{`first_observed > 2024-04-28T08:00:00Z`, "observed", false, "not after itself"},
	{`first_observed nil`, "report", true, "a report has no first_observed"},
	{`last_observed = 2024-04-29T08:00:00.5Z`, "observed", true, "fractions of a second count"},
	{`last_observed > 2024-04-29T08:00:00.4999Z`, "observed", true, "nanosecond order"},
	{`last_observed not_nil`, "observed", true, "has last_observed"},
	// created_at, updated_at: the platform's record times, else OpenCTI's extension
	{`created_at = 2024-06-01`, "ind", true, "the record's creation time the feed gives"},
	{`created_at >= 2024-05-01`, "ind-ext", false, "without record times, OpenCTI's extension: 2024-03-01"},
	{`created_at < 2024-04-01`, "ind-ext", true, "the extension's created_at"},
	{`created_at nil`, "ind-bare", true, "no record time and no extension"},
	{`created_at not_nil`, "ind", true, "a record time"},
	{`updated_at >= "2024-06-02T00:00:00Z"`, "ind", true, "the record's update time"},
	{`updated_at = 2024-03-02`, "ind-ext", true, "the extension's updated_at"},
	{`updated_at nil`, "malware", true, "no update time"},
	// regardingOf: a relationship of the given types with the given ids, in either direction
	{`regardingOf = {id = ` + idMalware + `, relationship_type = indicates}`, "ind", true, "the indicator indicates Emotet"},
	{`regardingOf = {id = ` + idIndicator + `, relationship_type = indicates}`, "malware", true, "either direction"},
	{`regardingOf = {id = ` + idMalware + `, relationship_type = indicates}`, "malware", false, "Emotet itself is not related to itself"},
	{`regardingOf = {id = ` + idMalware + `, relationship_type = uses}`, "ind", false, "another relationship type"},
	{`regardingOf = {id = ` + idMalware + `, relationship_type = (uses or Indicates)}`, "ind", true, "types compare case-insensitively, or-ed"},
	{`regardingOf = {id = ` + idMalware + `}`, "ind", true, "no type: any relationship"},
	{`regardingOf = {id = ` + idCrowd + `, relationship_type = stix-sighting-relationship}`, "ind", true, "a sighting is stix-sighting-relationship"},
	{`regardingOf = {id = (` + idCrowd + ` or ` + idMalware + `), relationship_type = indicates}`, "ind", true, "ids are or-ed"},
	{`regardingOf != {id = ` + idMalware + `, relationship_type = indicates}`, "ind", false, "not_eq"},
	{`regardingOf != {id = ` + idMalware + `, relationship_type = indicates}`, "report", true, "not_eq passes the unrelated"},
	// connectedToId: the object itself, objects referencing it, objects related to it
	{`connectedToId = ` + idMalware, "malware", true, "the object itself"},
	{`connectedToId = ` + idMalware, "report", true, "a report referencing it"},
	{`connectedToId = ` + idMalware, "ind", true, "related through a relationship"},
	{`connectedToId = ` + idMalware, "org", false, "unconnected"},
	{`connectedToId != ` + idMalware, "org", true, "not_eq"},
	{`connectedToId = (` + idMalware + ` and ` + idCrowd + `)`, "ind", true, "mode and: related to Emotet and sighted at CrowdStrike"},
	// containers: contained in a container with the given id
	{`containers = ` + idReport, "ind", true, "in the report's object_refs"},
	{`containers = ` + idReport, "rel", true, "in the report's inferred refs"},
	{`containers = ` + idReport, "org", false, "not in the report"},
	{`containers = (` + idReport + ` and ` + idNote + `)`, "malware", true, "mode and: in both"},
	{`containers = (` + idReport + ` and ` + idNote + `)`, "ind", false, "mode and: only in the report"},
	{`containers != ` + idNote, "ind", true, "not_eq"},
	// sightedBy: sighted at the given ids
	{`sightedBy = ` + idCrowd, "ind", true, "sighted at CrowdStrike"},
	{`sightedBy = ` + idCrowd, "malware", false, "never sighted"},
	{`sightedBy != ` + idCountry, "ind", false, "not_eq of a place it was sighted"},
}

var baseKeyCases = []matchCase{
	// entity_type
	{`entity_type = Indicator`, "ind", true, "OpenCTI's name matches the STIX type case-insensitively"},
	{`entity_type = indicator`, "ind", true, "the STIX type itself is a name"},
	{`entity_type = Malware`, "ind", false, "another type does not match"},
	{`entity_type = (Malware or Indicator)`, "ind", true, "mode or: one value suffices"},
	{`entity_type = (Indicator and Stix-Domain-Object)`, "ind", true, "mode and: every value among the names"},
	{`entity_type = (Indicator and Malware)`, "ind", false, "mode and: a missing value fails"},
	{`entity_type = Stix-Domain-Object`, "malware", true, "domain objects are Stix-Domain-Object"},
	{`entity_type = Stix-Core-Object`, "ipv4", true, "observables are Stix-Core-Object"},
	{`entity_type = Stix-Cyber-Observable`, "ipv4", true, "observables are Stix-Cyber-Observable"},
	{`entity_type = Stix-Cyber-Observable`, "ind", false, "a domain object is no observable"},
	{`entity_type = Stix-Object`, "tlp", true, "meta objects are Stix-Object"},
	{`entity_type = Stix-Meta-Object`, "tlp", true, "marking definitions are Stix-Meta-Object"},
	{`entity_type = Stix-Core-Object`, "tlp", false, "meta objects are not core objects"},
	{`entity_type = Marking-Definition`, "tlp", true, "OpenCTI's name of marking-definition"},
	{`entity_type = Basic-Object`, "hostname", true, "OpenCTI's own observables get the parents"},
	{`entity_type = Stix-Cyber-Observable`, "hostname", true, "hostname is an observable"},
	{`entity_type = Hostname`, "hostname", true, "OpenCTI's name of hostname"},
	{`entity_type = Container`, "report", true, "reports are containers"},
	{`entity_type = Container`, "note", true, "notes are containers"},
	{`entity_type = Container`, "case", true, "OpenCTI's cases are containers"},
	{`entity_type = Case`, "case", true, "case-incident is a Case"},
	{`entity_type = Case-Incident`, "case", true, "OpenCTI's name of case-incident"},
	{`entity_type = Case`, "report", false, "a report is no Case"},
	{`entity_type = Container`, "ind", false, "an indicator is no container"},
	{`entity_type = indicates`, "rel", true, "a relationship's relationship_type is an entity type"},
	{`entity_type = stix-core-relationship`, "rel", true, "relationships are stix-core-relationship"},
	{`entity_type = Relationship`, "rel", true, "the STIX type relationship"},
	{`entity_type = Stix-Core-Object`, "rel", false, "relationships are not core objects"},
	{`entity_type = Indicator`, "rel-odd", false, "a relationship_type that names an object type is no entity type"},
	{`entity_type contains indic`, "rel-odd", false, "not for any operator"},
	{`entity_type = group`, "group", false, "an identity_class that is no OpenCTI type is no entity type"},
	{`entity_type = Identity`, "group", true, "the identity is still an Identity"},
	{`entity_type = stix-relationship`, "sighting", true, "sightings are stix-relationship"},
	{`entity_type = stix-sighting-relationship`, "sighting", true, "sightings are stix-sighting-relationship"},
	{`entity_type = stix-core-relationship`, "sighting", false, "a sighting is no core relationship"},
	{`entity_type = indicates`, "sighting", false, "a sighting has no relationship_type"},
	{`entity_type = StixFile`, "file", true, "OpenCTI's name of file"},
	{`entity_type = Hashed-Observable`, "file", true, "files are hashed observables"},
	{`entity_type = Artifact`, "file", false, "a file is no artifact"},
	{`entity_type = IPv4-Addr`, "ipv4", true, "OpenCTI's IPv4-Addr is ipv4-addr"},
	{`entity_type = Organization`, "org", true, "identity_class organization is Organization"},
	{`entity_type = Identity`, "org", true, "identities are Identity"},
	{`entity_type = Individual`, "org", false, "an organization is no Individual"},
	{`entity_type = Sector`, "sector", true, `identity_class "class" is Sector`},
	{`entity_type = Country`, "country", true, "x_opencti_location_type names the location"},
	{`entity_type = Location`, "country", true, "locations are Location"},
	{`entity_type = Threat-Actor-Individual`, "ta-ind", true, "resource_level individual"},
	{`entity_type = Threat-Actor-Group`, "ta-ind", false, "an individual is no group"},
	{`entity_type = Threat-Actor`, "ta-ind", true, "threat actors are Threat-Actor"},
	{`entity_type = Threat-Actor-Group`, "ta-group", true, "OpenCTI's extension type wins over resource_level"},
	{`entity_type = Stix-Domain-Object`, "x-sdo", true, "a custom type with created is a domain object"},
	{`entity_type = Stix-Cyber-Observable`, "x-sco", true, "a custom type without created is an observable"},
	{`entity_type = X-Mitre-Tactic`, "x-sdo", true, "custom types match by name"},
	{`entity_type != Malware`, "ind", true, "not_eq: the value is not among the names"},
	{`entity_type != Stix-Domain-Object`, "ind", false, "not_eq: a parent name is among the names"},
	{`entity_type != (Indicator and Malware)`, "ind", false, "not_eq mode and: every value must be absent"},
	{`entity_type != (Indicator or Malware)`, "ind", true, "not_eq mode or: one absent value suffices"},
	{`entity_type contains DICA`, "ind", true, "contains, case-insensitive"},
	{`entity_type not_contains dica`, "ind", false, "not_contains: a name contains it"},
	{`entity_type starts_with stix-cyber`, "ipv4", true, "starts_with reaches the parents"},
	{`entity_type not_starts_with stix-cyber`, "ind", true, "not_starts_with: no name starts so"},
	{`entity_type ends_with -object`, "ind", true, "ends_with"},
	{`entity_type not_ends_with object`, "ind", false, "not_ends_with: a parent ends so"},
	{`entity_type search "foo indic"`, "ind", true, "search: one word of the value is in a name"},
	{`entity_type search "foo bar"`, "ind", false, "search: no word is in a name"},
	{`entity_type < c`, "ind", true, "lt compares names lexically (basic-object < c)"},
	{`entity_type > z`, "ind", false, "gt: no name after z"},
	{`entity_type nil`, "ind", false, "nil: every object has a type"},
	{`entity_type not_nil`, "ind", true, "not_nil: every object has a type"},
	{`entity_type = ()`, "ind", false, "eq with no values is nil"},
	{`entity_type != ()`, "ind", true, "not_eq with no values is not_nil"},

	// ids
	{`ids = ` + idIndicator, "ind", true, "the object's id"},
	{`ids = ` + idIndicator2, "ind", true, "another STIX id OpenCTI recorded in stix_ids"},
	{`ids = ` + internalID, "ind", true, "OpenCTI's internal id from its extension"},
	{`ids = ` + idMalware, "ind", false, "another id"},
	{`ids != ` + idMalware, "ind", true, "not_eq another id"},
	{`ids contains 8E2E2D2B`, "ind", true, "contains, case-insensitive"},
	{`ids starts_with INDICATOR--`, "ind", true, "starts_with"},
	{`ids ends_with 3cd3f`, "ind", true, "ends_with"},
	{`ids < j`, "ind", true, "lt on identifiers, lexically"},
	{`ids nil`, "ind-bare", false, "every object has an id"},
	{`ids not_nil`, "ind-bare", true, "every object has an id"},

	// objectLabel
	{`objectLabel = detection`, "ind", true, "labels compare case-insensitively"},
	{`objectLabel = c2`, "ind", true, "labels are trimmed"},
	{`objectLabel = " C2 "`, "ind", true, "values are trimmed and lower-cased"},
	{`objectLabel = phishing`, "ind", false, "absent label"},
	{`objectLabel != phishing`, "ind", true, "not_eq absent label"},
	{`objectLabel != phishing`, "ind-bare", true, "not_eq passes an object without labels"},
	{`objectLabel != detection`, "ind", false, "not_eq present label"},
	{`objectLabel = (detection and c2)`, "ind", true, "mode and: both labels"},
	{`objectLabel = (detection and phishing)`, "ind", false, "mode and: one missing"},
	{`objectLabel = (phishing or detection)`, "ind", true, "mode or: one present"},
	{`objectLabel != (detection or phishing)`, "ind", true, "not_eq mode or: phishing is absent"},
	{`objectLabel != (detection and phishing)`, "ind", false, "not_eq mode and: detection is present"},
	{`objectLabel contains ETEC`, "ind", true, "contains"},
	{`objectLabel not_contains etec`, "ind", false, "not_contains"},
	{`objectLabel starts_with DET`, "ind", true, "starts_with"},
	{`objectLabel not_starts_with det`, "ind", false, "not_starts_with"},
	{`objectLabel ends_with tion`, "ind", true, "ends_with"},
	{`objectLabel not_ends_with xyz`, "ind", true, "not_ends_with"},
	{`objectLabel search "phish detect"`, "ind", true, "search: detect is in detection"},
	{`objectLabel search "phish mal"`, "ind", false, "search: no word found"},
	{`objectLabel < d`, "ind", true, "lt: c2 < d"},
	{`objectLabel >= e`, "ind", false, "gte: no label from e on"},
	{`objectLabel nil`, "ind-bare", true, "nil: no labels"},
	{`objectLabel nil`, "ind", false, "nil: labels present"},
	{`objectLabel not_nil`, "ind", true, "not_nil: labels present"},
	{`objectLabel = ()`, "ind-bare", true, "eq with no values: no labels"},
	{`objectLabel != ()`, "ind-bare", false, "not_eq with no values: some label"},
	{`objectLabel = scanner`, "ipv4", true, "observables' labels in OpenCTI's observable extension"},
	{`objectLabel = école`, "unicode", true, "non-ASCII lower-casing"},
	{`objectLabel contains CO`, "unicode", true, "contains on a non-ASCII label"},
	{`objectLabel = STRASSE`, "unicode", false, "lower-casing is rune by rune: ß is not ss"},
	{`objectLabel = straße`, "unicode", true, "ß lower-cases to itself"},

	// objectMarking
	{`objectMarking = ` + green, "ind", true, "the marking is referenced"},
	{`objectMarking = ` + amber, "ind", false, "another marking"},
	{`objectMarking != ` + amber, "ind", true, "not_eq another marking"},
	{`objectMarking != ` + amber, "ind-bare", true, "not_eq passes an unmarked object"},
	{`objectMarking contains BAB4A63C`, "ind", true, "contains"},
	{`objectMarking starts_with marking-definition--`, "ind", true, "starts_with"},
	{`objectMarking > marking`, "ind", true, "gt lexically"},
	{`objectMarking nil`, "ind-bare", true, "nil: unmarked"},
	{`objectMarking not_nil`, "ind", true, "not_nil: marked"},

	// createdBy
	{`createdBy = ` + idCrowd, "ind", true, "created_by_ref"},
	{`createdBy = ` + idOther, "ind", false, "another author"},
	{`createdBy != ` + idOther, "ind-bare", true, "not_eq passes an object without author"},
	{`createdBy = ` + idCrowd, "ipv4", true, "observables' author in OpenCTI's observable extension"},
	{`createdBy ends_with 4A3B`, "ind", true, "ends_with"},
	{`createdBy >= identity--b`, "ind", true, "gte lexically"},
	{`createdBy nil`, "ind-bare", true, "nil: no author"},
	{`createdBy not_nil`, "ind", true, "not_nil: author"},

	// creator_id
	{`creator_id = ` + userAdmin, "ind", true, "the extension's creator_ids"},
	{`creator_id = ` + userAdmin, "ind-bare", false, "no extension"},
	{`creator_id != ` + userAdmin, "ind", false, "not_eq a creator"},
	{`creator_id starts_with 88EC`, "ind", true, "starts_with"},
	{`creator_id < 9`, "ind", true, "lt lexically"},
	{`creator_id nil`, "ind-bare", true, "nil: no creator"},
	{`creator_id not_nil`, "ind", true, "not_nil"},

	// objectAssignee, objectParticipant
	{`objectAssignee = ` + userAssignee, "ind", true, "the extension's assignee_ids"},
	{`objectAssignee != ` + userAssignee, "ind-bare", true, "not_eq without assignees"},
	{`objectAssignee contains 6f7a`, "ind", true, "contains"},
	{`objectAssignee > 3`, "ind", false, "gt lexically: 2b3c… is not after 3"},
	{`objectAssignee nil`, "ind-bare", true, "nil"},
	{`objectParticipant = ` + userPart, "ind", true, "the extension's participant_ids"},
	{`objectParticipant != ` + userPart, "ind", false, "not_eq a participant"},
	{`objectParticipant ends_with 5D6E7F`, "ind", true, "ends_with"},
	{`objectParticipant >= 3c`, "ind", true, "gte lexically"},
	{`objectParticipant not_nil`, "ind-bare", false, "not_nil without participants"},

	// confidence
	{`confidence >= 75`, "ind", true, "gte on numbers"},
	{`confidence > 75`, "ind", false, "gt on numbers"},
	{`confidence < 80`, "ind", true, "lt on numbers"},
	{`confidence <= 74.5`, "ind", false, "lte with a decimal value"},
	{`confidence = 75`, "ind", true, "eq on numbers"},
	{`confidence = 75.0`, "ind", true, "numbers compare as numbers, not text"},
	{`confidence = " 75 "`, "ind", true, "number values are trimmed"},
	{`confidence != 75`, "ind", false, "not_eq the value"},
	{`confidence != 75`, "ind-bare", true, "not_eq passes an object without confidence"},
	{`confidence = (70 or 75)`, "ind", true, "mode or"},
	{`confidence = (70 and 75)`, "ind", false, "mode and on a single-valued key"},
	{`confidence > (90 or 10)`, "ind", true, "range with mode or"},
	{`confidence nil`, "ind-bare", true, "nil without confidence"},
	{`confidence nil`, "report", true, "a confidence that is not a number yields nothing"},
	{`confidence >= 0`, "report", false, "a confidence that is not a number compares with nothing"},
	{`confidence not_nil`, "ind", true, "not_nil"},

	// revoked
	{`revoked = true`, "malware", true, "revoked true"},
	{`revoked = YES`, "malware", true, "yes means true, any case"},
	{`revoked = 1`, "malware", true, "1 means true"},
	{`revoked = no`, "malware", false, "no means false"},
	{`revoked = false`, "ind", true, "absent revoked is false, as STIX defines"},
	{`revoked = 0`, "report", true, "explicit false; 0 means false"},
	{`revoked = TRUE`, "ind", false, "an unrevoked object"},
	{`revoked != true`, "ind", true, "not_eq true"},
	{`revoked nil`, "ind-bare", false, "revoked always has a value"},
	{`revoked not_nil`, "ind-bare", true, "revoked always has a value"},

	// x_opencti_score
	{`x_opencti_score >= 50`, "ind", true, "the top-level score"},
	{`x_opencti_score < 50`, "ind", false, "the top level wins over the extension's score"},
	{`x_opencti_score = 65`, "ind-ext", true, "the extension's score"},
	{`x_opencti_score = 40`, "ipv4", true, "the observable extension's score"},
	{`x_opencti_score >= 60`, "malware", true, "a score written as a string parses as a number"},
	{`x_opencti_score nil`, "rel", true, "a null score is absent"},
	{`x_opencti_score nil`, "ind-bare", true, "nil without score"},
	{`x_opencti_score not_nil`, "ind", true, "not_nil"},
	{`x_opencti_score != 80`, "ind", false, "not_eq the score"},
	{`x_opencti_score != 80`, "ind-bare", true, "not_eq passes an object without score"},
	{`x_opencti_score > 85`, "escaped", true, "a property name spelled with \\u escapes is still found"},

	// x_opencti_detection
	{`x_opencti_detection = true`, "ind", true, "the top level wins over the extension"},
	{`x_opencti_detection = false`, "ind", false, "the extension's false is not read"},
	{`x_opencti_detection = true`, "ind-ext", true, "the extension's detection"},
	{`x_opencti_detection = yes`, "malware", true, "a boolean written as a string"},
	{`x_opencti_detection != true`, "ind-bare", true, "not_eq without detection"},
	{`x_opencti_detection nil`, "ind-bare", true, "nil"},
	{`x_opencti_detection not_nil`, "ind-ext", true, "not_nil"},

	// pattern_type, pattern
	{`pattern_type = STIX`, "ind", true, "pattern_type"},
	{`pattern_type = yara`, "ind", false, "another pattern type"},
	{`pattern_type = yara`, "ind-ext", true, "yara"},
	{`pattern_type != yara`, "ind", true, "not_eq"},
	{`pattern_type contains ti`, "ind", true, "contains"},
	{`pattern_type > r`, "ind", true, "gt lexically"},
	{`pattern_type nil`, "malware", true, "nil on a malware"},
	{`pattern_type not_nil`, "ind", true, "not_nil"},
	{`pattern = "[ipv4-addr:value = '198.51.100.3']"`, "ind", true, "the whole pattern"},
	{`pattern contains 198.51.100.3`, "ind", true, "contains"},
	{`pattern not_contains 10.0.0.1`, "ind", true, "not_contains"},
	{`pattern starts_with [IPV4-addr`, "ind", true, "starts_with"},
	{`pattern ends_with "']"`, "ind", true, "ends_with"},
	{`pattern search "file:name 198.51"`, "ind", true, "search"},
	{`pattern < [j`, "ind", true, "lt lexically"},
	{`pattern nil`, "malware", true, "nil"},

	// indicator_types
	{`indicator_types = malicious-activity`, "ind", true, "one of the types"},
	{`indicator_types = (malicious-activity and anomalous-activity)`, "ind", true, "mode and"},
	{`indicator_types = benign`, "ind", false, "absent type"},
	{`indicator_types not_ends_with activity`, "ind", false, "not_ends_with: both end so"},
	{`indicator_types not_ends_with activity`, "ind-bare", true, "not_ends_with without types"},
	{`indicator_types > n`, "ind", false, "gt lexically: no type after n"},
	{`indicator_types nil`, "ind-bare", true, "nil"},

	// x_opencti_main_observable_type
	{`x_opencti_main_observable_type = ipv4-addr`, "ind", true, "the top level"},
	{`x_opencti_main_observable_type = Domain-Name`, "ind", false, "the top level wins over the extension"},
	{`x_opencti_main_observable_type = StixFile`, "ind-ext", true, "the extension's main_observable_type"},
	{`x_opencti_main_observable_type starts_with Stix`, "ind-ext", true, "starts_with"},
	{`x_opencti_main_observable_type < j`, "ind", true, "lt lexically"},
	{`x_opencti_main_observable_type nil`, "malware", true, "nil"},

	// objects
	{`objects = ` + idIndicator, "report", true, "object_refs"},
	{`objects = ` + idRel, "report", true, "the extension's object_refs_inferred"},
	{`objects = ` + idSighting, "report", false, "not contained"},
	{`objects != ` + idSighting, "ind", true, "not_eq passes a non-container"},
	{`objects starts_with MALWARE--`, "report", true, "starts_with"},
	{`objects > relationship`, "report", true, "gt lexically"},
	{`objects nil`, "ind", true, "nil on a non-container"},
	{`objects not_nil`, "note", true, "not_nil on a note"},

	// report_types, note_types, response_types, information_types, takedown_types,
	// incident_type, severity, priority
	{`report_types = threat-report`, "report", true, "report_types"},
	{`report_types = internal`, "report", true, "case-insensitive"},
	{`report_types not_contains threat`, "report", false, "not_contains"},
	{`report_types >= internal`, "report", true, "gte lexically"},
	{`report_types nil`, "ind", true, "nil"},
	{`note_types = analysis`, "note", true, "note_types"},
	{`note_types != analysis`, "note", false, "not_eq"},
	{`note_types contains ANAL`, "note", true, "contains"},
	{`note_types < b`, "note", true, "lt lexically"},
	{`note_types nil`, "ind", true, "nil"},
	{`response_types = ransomware`, "case", true, "response_types"},
	{`response_types search "data ransom"`, "case", true, "search"},
	{`response_types > q`, "case", true, "gt lexically"},
	{`response_types nil`, "ind", true, "nil"},
	{`information_types = technical`, "rfi", true, "information_types"},
	{`information_types ends_with CAL`, "rfi", true, "ends_with"},
	{`information_types <= technical`, "rfi", true, "lte lexically"},
	{`information_types nil`, "ind", true, "nil"},
	{`takedown_types = domain`, "rft", true, "takedown_types"},
	{`takedown_types starts_with dom`, "rft", true, "starts_with"},
	{`takedown_types >= e`, "rft", false, "gte lexically: domain is before e"},
	{`takedown_types not_nil`, "rft", true, "not_nil"},
	{`incident_type = cybercrime`, "incident", true, "incident_type"},
	{`incident_type != cybercrime`, "ind", true, "not_eq without incident_type"},
	{`incident_type contains crime`, "incident", true, "contains"},
	{`incident_type > c`, "incident", true, "gt lexically"},
	{`incident_type nil`, "ind", true, "nil"},
	{`severity = HIGH`, "case", true, "severity"},
	{`severity ends_with gh`, "case", true, "ends_with"},
	{`severity < i`, "case", true, "lt lexically"},
	{`severity not_nil`, "ind", false, "not_nil without severity"},
	{`priority = p1`, "case", true, "priority"},
	{`priority starts_with P`, "case", true, "starts_with"},
	{`priority >= p1`, "case", true, "gte lexically"},
	{`priority nil`, "ind", true, "nil"},

	// fromId, toId
	{`fromId = ` + idIndicator, "rel", true, "a relationship's source_ref"},
	{`fromId = ` + idIndicator, "sighting", true, "a sighting's sighting_of_ref"},
	{`fromId = ` + idMalware, "rel", false, "not the source"},
	{`fromId != ` + idMalware, "ind", true, "not_eq passes a non-relationship (OpenCTI says false)"},
	{`fromId starts_with indicator--`, "rel", true, "starts_with"},
	{`fromId < j`, "rel", true, "lt lexically"},
	{`fromId nil`, "ind", true, "nil on a non-relationship"},
	{`fromId not_nil`, "rel", true, "not_nil on a relationship"},
	{`toId = ` + idMalware, "rel", true, "a relationship's target_ref"},
	{`toId = ` + idCountry, "sighting", true, "a sighting's where_sighted_refs"},
	{`toId = (` + idCrowd + ` and ` + idCountry + `)`, "sighting", true, "mode and over where_sighted_refs"},
	{`toId = ` + idIndicator, "sighting", false, "the sighted object is not where it was sighted"},
	{`toId contains 31B940D4`, "rel", true, "contains"},
	{`toId > m`, "rel", true, "gt lexically"},
	{`toId nil`, "malware", true, "nil on a non-relationship"},
	{`toId not_nil`, "sighting", true, "not_nil on a sighting"},

	// fromTypes, toTypes
	{`fromTypes = Indicator`, "rel", true, "the type of the source"},
	{`fromTypes = Stix-Domain-Object`, "rel", true, "the parents of the source's type"},
	{`fromTypes = Malware`, "rel", false, "not the source's type"},
	{`fromTypes = Indicator`, "sighting", true, "the type of the sighted object"},
	{`fromTypes = Intrusion-Set`, "rel-bare", true, "the type in the source identifier, without extension"},
	{`fromTypes != Malware`, "malware", true, "not_eq passes a non-relationship"},
	{`fromTypes contains dicat`, "rel", true, "contains"},
	{`fromTypes < j`, "rel", true, "lt lexically"},
	{`fromTypes nil`, "ind", true, "nil on a non-relationship"},
	{`toTypes = Malware`, "rel", true, "the type of the target"},
	{`toTypes = Attack-Pattern`, "rel-bare", true, "the type in the target identifier"},
	{`toTypes = Organization`, "sighting", true, "OpenCTI's where_sighted_types"},
	{`toTypes = Identity`, "sighting", true, "the type of a where_sighted identifier"},
	{`toTypes = Country`, "sighting", true, "OpenCTI's recorded type Country"},
	{`toTypes = Location`, "sighting", true, "Country's parent"},
	{`toTypes = Stix-Cyber-Observable`, "rel", false, "the target is no observable"},
	{`toTypes ends_with WARE`, "rel", true, "ends_with"},
	{`toTypes >= malware`, "rel", true, "gte lexically"},
	{`toTypes not_nil`, "rel", true, "not_nil"},

	// relationship_type
	{`relationship_type = indicates`, "rel", true, "relationship_type"},
	{`relationship_type = uses`, "rel", false, "another type"},
	{`relationship_type != uses`, "rel", true, "not_eq"},
	{`relationship_type = indicates`, "sighting", false, "a sighting has none"},
	{`relationship_type starts_with IND`, "rel", true, "starts_with"},
	{`relationship_type < j`, "rel", true, "lt lexically"},
	{`relationship_type nil`, "sighting", true, "nil on a sighting"},

	// workflow_id, x_opencti_workflow_id
	{`workflow_id = ` + workflow, "ind", true, "the extension's workflow_id"},
	{`x_opencti_workflow_id = ` + workflow, "ind", true, "the same under OpenCTI's attribute name"},
	{`workflow_id = ` + workflowTop, "ind-ext", true, "the top-level x_opencti_workflow_id"},
	{`workflow_id = ` + workflowExt, "ind-ext", false, "the top level wins over the extension"},
	{`workflow_id contains 9C0D`, "ind", true, "contains"},
	{`x_opencti_workflow_id > c`, "ind", true, "gt lexically"},
	{`workflow_id < d`, "ind", true, "lt lexically"},
	{`x_opencti_workflow_id starts_with C5F6`, "ind", true, "starts_with"},
	{`workflow_id nil`, "ind-bare", true, "nil"},
	{`x_opencti_workflow_id not_nil`, "ind-bare", false, "not_nil"},

	// vulnerability scores
	{`x_opencti_cisa_kev = true`, "vuln", true, "the top-level CISA KEV flag"},
	{`x_opencti_cisa_kev = false`, "vuln", false, "it is true"},
	{`x_opencti_cisa_kev != true`, "ind", true, "not_eq without the flag"},
	{`x_opencti_cisa_kev nil`, "ind", true, "nil"},
	{`x_opencti_epss_score >= 0.4`, "vuln", true, "the top-level EPSS score"},
	{`x_opencti_epss_score = 0.42`, "vuln", true, "eq on a decimal"},
	{`x_opencti_epss_score < 0.1`, "vuln", false, "lt"},
	{`x_opencti_epss_score nil`, "ind", true, "nil"},
	{`x_opencti_epss_percentile > 0.9`, "vuln", true, "the extension's epss_percentile"},
	{`x_opencti_epss_percentile != 0.97`, "vuln", false, "not_eq"},
	{`x_opencti_epss_percentile not_nil`, "ind", false, "not_nil"},
	{`x_opencti_cvss_base_score >= 9`, "vuln", true, "the top-level CVSS score"},
	{`x_opencti_cvss_base_score <= 9`, "vuln", false, "lte"},
	{`x_opencti_cvss_base_score = 9.8`, "vuln", true, "eq"},
	{`x_opencti_cvss_base_score nil`, "ind", true, "nil"},
	{`x_opencti_cvss_base_severity = critical`, "vuln", true, "the extension's cvss_base_severity"},
	{`x_opencti_cvss_base_severity starts_with crit`, "vuln", true, "starts_with"},
	{`x_opencti_cvss_base_severity > b`, "vuln", true, "gt lexically"},
	{`x_opencti_cvss_base_severity != critical`, "ind", true, "not_eq"},
	{`x_opencti_cvss_base_severity nil`, "ind", true, "nil"},

	// description
	{`description contains EMOTET`, "ind", true, "description"},
	{`description = "c2 server of the emotet botnet"`, "ind", true, "the whole description"},
	{`description search "ransomware botnet"`, "ind", true, "search"},
	{`description ends_with BOTNET`, "ind", true, "ends_with"},
	{`description != scanner`, "ind", true, "not_eq"},
	{`description = scanner`, "ipv4", true, "observables' description in OpenCTI's observable extension"},
	{`description < d`, "ind", true, "lt lexically"},
	{`description nil`, "ind-bare", true, "nil"},
}

// groupCases checks how groups combine filters.
var groupCases = []matchCase{
	{``, "ind", true, "an empty group matches everything"},
	{``, "tlp", true, "an empty group matches everything"},
	{`entity_type = Indicator and objectLabel = detection`, "ind", true, "and: both pass"},
	{`entity_type = Indicator and objectLabel = phishing`, "ind", false, "and: one fails"},
	{`entity_type = Malware or objectLabel = detection`, "ind", true, "or: one passes"},
	{`entity_type = Malware or objectLabel = phishing`, "ind", false, "or: none passes"},
	{`entity_type = Indicator and (objectLabel = phishing or confidence >= 70)`, "ind", true, "and with a nested or"},
	{`entity_type = Indicator and (objectLabel = phishing or confidence >= 80)`, "ind", false, "the nested group fails"},
	{`entity_type = Malware or (objectLabel = detection and revoked = false)`, "ind", true, "or with a nested and"},
	{`entity_type = Malware or ()`, "ind", true, "an empty subgroup matches everything"},
	{`entity_type = Malware and ()`, "ind", false, "an empty subgroup does not rescue a failing filter"},
	{`(entity_type = Indicator) and ((objectLabel = c2) and (confidence = 75 or (revoked = true)))`, "ind", true, "deep nesting"},
	{`(entity_type = Malware) or ((objectLabel = c2) and (confidence = 1 or (revoked = true)))`, "ind", false, "deep nesting fails"},
}

func TestMatchKeys(t *testing.T) {
	runMatchCases(t, keyCases, nil)
}

func TestMatchGroups(t *testing.T) {
	runMatchCases(t, groupCases, nil)
}

func runMatchCases(t *testing.T, cases []matchCase, opts *filter.CompileOptions) {
	t.Helper()
	objs := fixtures(t)
	if opts == nil {
		opts = &filter.CompileOptions{}
	}
	opts.Relations, opts.Clock = true, func() time.Time { return fixtureNow }
	res := fixtureResolver(objs)
	for _, c := range cases {
		t.Run(c.filter+"/"+c.object, func(t *testing.T) {
			o, ok := objs[c.object]
			if !ok {
				t.Fatalf("no fixture %q", c.object)
			}
			g, err := filter.ParseText(c.filter)
			if err != nil {
				t.Fatalf("ParseText: %v", err)
			}
			m, err := filter.Compile(g, opts)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			b, err := m.Bind(context.Background(), filter.BindOptions{Resolver: res})
			if err != nil {
				t.Fatalf("Bind: %v", err)
			}
			if got := b.Match(o, fixtureTimes[c.object]); got != c.want {
				t.Errorf("Match(%s) = %v, want %v: %s", c.object, got, c.want, c.rule)
			}
			// Unbound, without record times, the same clock: the same answer.
			if !m.NeedsResolver() && m.Match(o) != b.Match(o, filter.Times{}) {
				t.Errorf("Matcher.Match(%s) = %v, Bound.Match = %v", c.object, m.Match(o), !m.Match(o))
			}
		})
	}
}

// family groups operators as the "operator families".
func family(op filter.Operator) string {
	switch op {
	case filter.Eq, filter.NotEq:
		return "equality"
	case filter.Lt, filter.Lte, filter.Gt, filter.Gte, filter.Within:
		return "range"
	case filter.Nil, filter.NotNil:
		return "presence"
	}
	return "text"
}

// TestKeyCasesCoverEveryKey checks that the tables give every built-in key a match row for each
// operator family its kind takes and a validation row for each it does not, so that a key added
// to the package cannot go untested.
func TestKeyCasesCoverEveryKey(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range keyCases {
		g, err := filter.ParseText(c.filter)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		f := g.Filters[0]
		covered[f.Key[0]+"/"+family(f.Operator)] = true
	}
	for _, c := range operatorKindCases {
		covered[c.key+"/"+family(c.op)+"/rejected"] = true
	}
	families := []string{"equality", "text", "range", "presence"}
	for _, key := range filter.BuiltinKeys() {
		kind := keyKind(key)
		for _, fam := range families {
			var applies bool
			switch kind {
			case filter.KindString:
				applies = true
			case filter.KindNumber, filter.KindDate:
				applies = fam != "text"
			case filter.KindBool:
				applies = fam == "equality" || fam == "presence"
			case filter.KindRelation:
				applies = fam == "equality"
			}
			want := key + "/" + fam
			if !applies {
				want += "/rejected"
			}
			if !covered[want] {
				t.Errorf("no row for %s", want)
			}
		}
	}
}

// keyKind finds a built-in key's kind through validation: text operators only apply to text,
// ranges to numbers and dates, presence to all but relationship keys.
func keyKind(key string) filter.Kind {
	try := func(op filter.Operator, v ...string) bool {
		g := filter.Group{Filters: []filter.Filter{{Key: []string{key}, Operator: op, Values: v}}}
		return g.Validate(&filter.CompileOptions{Relations: true}) == nil
	}
	switch {
	case try(filter.Contains, "x"):
		return filter.KindString
	case try(filter.Gt, "1"):
		return filter.KindNumber
	case try(filter.Gt, "2024-01-01"):
		return filter.KindDate
	case try(filter.NotNil):
		return filter.KindBool
	}
	return filter.KindRelation
}

// TestMatchHostKeys checks keys a host adds through CompileOptions.
func TestMatchHostKeys(t *testing.T) {
	sources := map[string][]string{idIndicator: {"MISP", "abuse.ch"}}
	opts := &filter.CompileOptions{Keys: map[string]filter.Key{
		"x_mitre_domains": {Paths: []string{"x_mitre_domains"}},
		"x_mitre_version": {Kind: filter.KindNumber, Paths: []string{"x_mitre_version"}},
		"x_count":         {Paths: []string{"x_count"}},
		"x_flag":          {Kind: filter.KindBool, Paths: []string{"x_flag"}},
		"x_name":          {Paths: []string{"x_missing", "name", "value"}, First: true},
		"x_all_names":     {Paths: []string{"name", "value", "x_mitre_domains"}},
		"source":          {Func: func(o *stix.Object) []string { return sources[string(o.ID())] }},
		"objectLabel":     {Paths: []string{"x_mitre_domains"}},
	}}
	cases := []matchCase{
		{`x_mitre_domains = mobile-attack`, "x-sdo", true, "a custom list property"},
		{`x_mitre_domains = ics-attack`, "x-sdo", false, "absent value"},
		{`x_mitre_domains nil`, "ind", true, "absent property"},
		{`x_mitre_version >= 1.1`, "x-sdo", true, "a number key parses a string candidate"},
		{`x_count = 5`, "x-sdo", true, "a text key compares a JSON number by its literal"},
		{`x_count = 5.0`, "x-sdo", false, "as text, 5.0 is not 5"},
		{`x_flag = false`, "x-sdo", true, `a boolean key reads "no" as false`},
		{`x_name = collection`, "x-sdo", true, "First: the first present path wins"},
		{`x_name = abc`, "x-sco", true, "First: a later path when earlier ones are absent"},
		{`x_all_names = enterprise-attack`, "x-sdo", true, "without First every path contributes"},
		{`source = misp`, "ind", true, "a KeyFunc backed by the host's data"},
		{`source nil`, "malware", true, "a KeyFunc returning nothing"},
		{`objectLabel = enterprise-attack`, "x-sdo", true, "a host key replaces a built-in one"},
		{`objectLabel = detection`, "ind", false, "the replaced built-in key is gone"},
	}
	runMatchCases(t, cases, opts)
}

func TestMatchNil(t *testing.T) {
	objs := fixtures(t)
	var m *filter.Matcher
	if !m.Match(objs["ind"]) {
		t.Error("a nil Matcher must match every object")
	}
	m, err := filter.Compile(filter.Group{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match(objs["tlp"]) {
		t.Error("the zero Group must match every object")
	}
	if m.Match(nil) {
		t.Error("a nil object must not match")
	}
}

// TestMatchGoDefaults checks that a Group built in Go with empty modes and operators takes
// OpenCTI's defaults: group and, filter eq with mode or.
func TestMatchGoDefaults(t *testing.T) {
	objs := fixtures(t)
	g := filter.Group{Filters: []filter.Filter{
		{Key: []string{"entity_type"}, Values: []string{"Indicator"}},
		{Key: []string{"objectLabel"}, Values: []string{"phishing", "detection"}},
	}}
	m, err := filter.Compile(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match(objs["ind"]) || m.Match(objs["malware"]) {
		t.Errorf("defaults: Match(ind)=%v, Match(malware)=%v; want true, false", m.Match(objs["ind"]), m.Match(objs["malware"]))
	}
}

// TestMatchManyValues checks filters with more values than fit one 64-bit set.
func TestMatchManyValues(t *testing.T) {
	objs := fixtures(t)
	var vals []string
	for i := range 130 {
		vals = append(vals, "label-"+strings.Repeat("x", i))
	}
	orVals := append(slices.Clone(vals), "c2")
	cases := []struct {
		f    filter.Filter
		want bool
		rule string
	}{
		{filter.Filter{Key: []string{"objectLabel"}, Values: orVals, Operator: filter.Eq, Mode: filter.Or}, true, "or: the last of 131 values"},
		{filter.Filter{Key: []string{"objectLabel"}, Values: orVals, Operator: filter.Eq, Mode: filter.And}, false, "and: most values absent"},
		{filter.Filter{Key: []string{"objectLabel"}, Values: vals, Operator: filter.NotEq, Mode: filter.And}, true, "not_eq and: all 130 absent"},
		{filter.Filter{Key: []string{"objectLabel"}, Values: orVals, Operator: filter.NotEq, Mode: filter.And}, false, "not_eq and: c2 present"},
		{filter.Filter{Key: []string{"entity_type"}, Values: append(slices.Clone(vals), "Indicator"), Operator: filter.Eq, Mode: filter.Or}, true, "entity_type with many values"},
	}
	for _, c := range cases {
		m, err := filter.Compile(filter.Group{Filters: []filter.Filter{c.f}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match(objs["ind"]); got != c.want {
			t.Errorf("%s: got %v", c.rule, got)
		}
	}
}

// TestMatchAllocs checks the promise that matching allocates nothing.
func TestMatchAllocs(t *testing.T) {
	objs := fixtures(t)
	for _, bf := range benchFilters {
		m := benchMatcher(t, bf.text)
		for name, o := range objs {
			if name == "escaped" { // gjson unescapes the property name
				continue
			}
			if n := testing.AllocsPerRun(20, func() { m.Match(o) }); n != 0 {
				t.Errorf("%s on %s: %v allocations", bf.name, name, n)
			}
		}
	}
	// Every built-in key, on its fixture, unbound and bound.
	res := fixtureResolver(objs)
	for _, c := range keyCases {
		g, _ := filter.ParseText(c.filter)
		m, err := filter.Compile(g, &filter.CompileOptions{Relations: true, Clock: func() time.Time { return fixtureNow }})
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.Bind(context.Background(), filter.BindOptions{Resolver: res})
		if err != nil {
			t.Fatal(err)
		}
		o, times := objs[c.object], fixtureTimes[c.object]
		if n := testing.AllocsPerRun(5, func() { m.Match(o) }); n != 0 && c.object != "escaped" {
			t.Errorf("%s on %s: %v allocations", c.filter, c.object, n)
		}
		if n := testing.AllocsPerRun(5, func() { b.Match(o, times) }); n != 0 && c.object != "escaped" {
			t.Errorf("bound %s on %s: %v allocations", c.filter, c.object, n)
		}
	}
}

// TestMatchConcurrent runs one Matcher from many goroutines; run with -race.
func TestMatchConcurrent(t *testing.T) {
	objs := fixtures(t)
	m := benchMatcher(t, benchFilters[1].text)
	want := map[string]bool{}
	for name, o := range objs {
		want[name] = m.Match(o)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				for name, o := range objs {
					if m.Match(o) != want[name] {
						t.Errorf("%s: result changed under concurrency", name)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
