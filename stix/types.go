package stix

import "strings"

// Category is the kind of a STIX object type.
type Category int

// The categories of STIX 2.1 object types.
const (
	CategoryUnknown Category = iota // not a STIX 2.1 type and not a custom x- type
	CategorySDO                     // domain object (attack-pattern, indicator, …)
	CategorySCO                     // cyber-observable (file, ipv4-addr, …)
	CategorySRO                     // relationship object (relationship, sighting)
	CategoryMeta                    // marking-definition, language-content, extension-definition
	CategoryCustom                  // custom type starting with "x-"
)

var categoryNames = [...]string{"unknown", "sdo", "sco", "sro", "meta", "custom"}

// String returns a short name: "sdo", "sco", "sro", "meta", "custom" or "unknown".
func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "unknown"
}

// CategoryOf returns the category of a STIX type name.
func CategoryOf(typ string) Category {
	switch typ {
	case "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
		"indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
		"note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability":
		return CategorySDO
	case "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
		"email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
		"network-traffic", "process", "software", "url", "user-account",
		"windows-registry-key", "x509-certificate":
		return CategorySCO
	case "relationship", "sighting":
		return CategorySRO
	case "marking-definition", "language-content", "extension-definition":
		return CategoryMeta
	}
	if strings.HasPrefix(typ, "x-") {
		return CategoryCustom
	}
	return CategoryUnknown
}

// IsContainer reports whether objects of the type hold other objects in `object_refs`
// (report, grouping, note, opinion, observed-data).
func IsContainer(typ string) bool {
	switch typ {
	case "report", "grouping", "note", "opinion", "observed-data":
		return true
	}
	return false
}

// IsRelationshipType reports whether the type is relationship or sighting.
func IsRelationshipType(typ string) bool { return typ == "relationship" || typ == "sighting" }
