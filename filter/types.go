package filter

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// Entity types. OpenCTI names a STIX type by capitalising it (Indicator, IPv4-Addr, Url) and
// compares case-insensitively, so the STIX type itself is a candidate; the names below are
// the exceptions and the abstract parents it adds.

// The abstract parents of OpenCTI's type hierarchy.
const (
	basicObject          = "Basic-Object"
	stixObject           = "Stix-Object"
	stixCoreObject       = "Stix-Core-Object"
	stixDomainObject     = "Stix-Domain-Object"
	stixCyberObservable  = "Stix-Cyber-Observable"
	stixMetaObject       = "Stix-Meta-Object"
	hashedObservable     = "Hashed-Observable"
	container            = "Container"
	caseParent           = "Case"
	basicRelationship    = "basic-relationship"
	stixRelationship     = "stix-relationship"
	coreRelationship     = "stix-core-relationship"
	sightingRelationship = "stix-sighting-relationship"
)

// openCTICategory classifies the types OpenCTI exports without an x- prefix, which STIX does
// not know: its own observables and domain objects.
func openCTICategory(t string) stix.Category {
	switch t {
	case "hostname", "cryptographic-key", "cryptocurrency-wallet", "text", "user-agent",
		"credential", "bank-account", "tracking-number", "phone-number", "payment-card",
		"media-content", "persona", "ssh-key", "imei", "iccid", "imsi",
		"windows-registry-value-type", "email-mime-part-type":
		return stix.CategorySCO
	case "case-incident", "case-rfi", "case-rft", "feedback", "task", "channel", "event",
		"language", "narrative", "data-component", "data-source", "security-coverage":
		return stix.CategorySDO
	}
	return stix.CategoryUnknown
}

// categoryOf returns the category of a STIX type; custom x- types stay CategoryCustom.
func categoryOf(t string) stix.Category {
	c := stix.CategoryOf(t)
	if c == stix.CategoryUnknown {
		return openCTICategory(t)
	}
	return c
}

func isCase(t string) bool {
	switch t {
	case "case-incident", "case-rfi", "case-rft", "feedback":
		return true
	}
	return false
}

func isContainer(t string) bool { return stix.IsContainer(t) || isCase(t) }

func isHashed(t string) bool { return t == "artifact" || t == "file" || t == "x509-certificate" }

// parents yields the abstract OpenCTI types above a STIX type of category c. It returns false
// when yield asked to stop.
func parents(t string, c stix.Category, yield func(string) bool) bool {
	switch c {
	case stix.CategorySDO:
		if isContainer(t) && !yield(container) || isCase(t) && !yield(caseParent) {
			return false
		}
		return yield(stixDomainObject) && yield(stixCoreObject) && yield(stixObject) && yield(basicObject)
	case stix.CategorySCO:
		if isHashed(t) && !yield(hashedObservable) {
			return false
		}
		return yield(stixCyberObservable) && yield(stixCoreObject) && yield(stixObject) && yield(basicObject)
	case stix.CategoryMeta:
		return yield(stixMetaObject) && yield(stixObject) && yield(basicObject)
	case stix.CategoryCustom: // an x- type seen only in an id: domain object or observable
		return yield(stixCoreObject) && yield(stixObject) && yield(basicObject)
	case stix.CategorySRO:
		if t == "sighting" {
			return yield(sightingRelationship) && yield(stixRelationship) && yield(basicRelationship)
		}
		return yield(coreRelationship) && yield(stixRelationship) && yield(basicRelationship)
	}
	return true
}

// objectTypeNames yields the entity type names of o: its STIX type, OpenCTI's name for it where
// that differs, the abstract parents, then a relationship's relationship_type or OpenCTI's
// concrete type of an identity, location or threat actor.
func objectTypeNames(v *view, yield func(string) bool) bool {
	o, t := v.o, v.typ
	c := categoryOf(t)
	if c == stix.CategoryCustom {
		c = o.Category()
	}
	return staticTypeNames(t, c, yield) && dynamicTypeNames(v, yield)
}

// staticTypeNames yields the entity type names that follow from the STIX type alone.
func staticTypeNames(t string, c stix.Category, yield func(string) bool) bool {
	if !yield(t) || t == "file" && !yield("StixFile") {
		return false
	}
	return parents(t, c, yield)
}

// dynamicTypeNames yields the entity type names that depend on the object's properties: a
// relationship's relationship_type unless it is itself the name of an object type (no valid
// relationship's is), and the concrete OpenCTI type of an identity, location or threat actor
// when it is one of that type's.
func dynamicTypeNames(v *view, yield func(string) bool) bool {
	switch v.typ {
	case "relationship":
		rt := v.member("relationship_type")
		if rt.Type != gjson.String || rt.Str == "" {
			return true
		}
		var buf [32]byte
		if l, ok := lowerASCII(rt.Str, &buf); ok && isObjectTypeName(l) {
			return true
		}
		return yield(rt.Str)
	case "identity", "location", "threat-actor":
		name := subtypeName(v)
		var buf [32]byte
		if l, ok := lowerASCII(name, &buf); ok && l != v.typ {
			if t, _ := stixTypeOf(l); t == v.typ {
				return yield(name)
			}
		}
	}
	return true
}

// lowerASCII lower-cases a short ASCII name into buf, without allocating; it reports false for
// names longer than buf or not ASCII, which no object type name is. The result shares buf's
// memory: it is valid while buf is and must not be kept.
func lowerASCII(name string, buf *[32]byte) (string, bool) {
	if len(name) > len(buf) {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= utf8.RuneSelf {
			return "", false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	if len(name) == 0 {
		return "", true
	}
	return unsafe.String(&buf[0], len(name)), true
}

// isObjectTypeName reports whether a lower-cased name is a known object type, OpenCTI's name of
// one, or an abstract type: a name no relationship_type can take as an entity type.
func isObjectTypeName(l string) bool {
	if _, ok := stixTypeOf(l); ok {
		return true
	}
	switch l {
	case "basic-object", "stix-object", "stix-core-object", "stix-domain-object",
		"stix-cyber-observable", "stix-meta-object", "container", "case", "hashed-observable",
		basicRelationship, stixRelationship, coreRelationship, sightingRelationship:
		return true
	}
	return false
}

// dynamicTypesFor returns the STIX types (among those with dynamic names) whose dynamic name
// could equal the value: relationship for any name that is no object type name, and identity,
// location or threat-actor for their concrete subtypes.
func dynamicTypesFor(value string) (relationship bool, subtypeOf string) {
	l := strings.ToLower(strings.TrimSpace(value))
	if !isObjectTypeName(l) {
		return true, ""
	}
	if t, ok := stixTypeOf(l); ok && l != t {
		switch t {
		case "identity", "location", "threat-actor":
			return false, t
		}
	}
	return false, ""
}

// knownTypes lists the types whose static names a compiled entity_type filter precomputes:
// STIX 2.1's and those OpenCTI adds.
func knownTypes() []string {
	return []string{
		"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
		"indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
		"note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
		"artifact", "autonomous-system", "directory", "domain-name", "email-addr",
		"email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
		"network-traffic", "process", "software", "url", "user-account",
		"windows-registry-key", "x509-certificate",
		"relationship", "sighting",
		"marking-definition", "language-content", "extension-definition",
		"hostname", "cryptographic-key", "cryptocurrency-wallet", "text", "user-agent",
		"credential", "bank-account", "tracking-number", "phone-number", "payment-card",
		"media-content", "persona", "ssh-key", "imei", "iccid", "imsi",
		"windows-registry-value-type", "email-mime-part-type",
		"case-incident", "case-rfi", "case-rft", "feedback", "task", "channel", "event",
		"language", "narrative", "data-component", "data-source", "security-coverage",
	}
}

// subtypeName returns OpenCTI's concrete type for the STIX types it splits: the type its
// extension records, else what the object's own properties say.
func subtypeName(v *view) string {
	if name := v.extMember(octiExt, "type").String(); name != "" {
		return name
	}
	switch v.typ {
	case "identity":
		class := v.member("identity_class").String()
		if class == "class" {
			return "Sector"
		}
		return class
	case "location":
		return v.member("x_opencti_location_type").String()
	case "threat-actor":
		if strings.EqualFold(v.member("resource_level").String(), "individual") {
			return "Threat-Actor-Individual"
		}
		return "Threat-Actor-Group"
	}
	return ""
}

// idTypeNames yields the entity type names of the object an identifier refers to, as far as
// the identifier tells: its type and that type's parents.
func idTypeNames(id string, yield func(string) bool) bool {
	t := stix.ID(id).Type()
	if t == "" {
		return true
	}
	if !yield(t) {
		return false
	}
	if t == "file" && !yield("StixFile") {
		return false
	}
	return parents(t, categoryOf(t), yield)
}

// nameTypeNames yields an OpenCTI type name (as OpenCTI's extension records a relationship's
// end types) with the parents of the STIX type it stands for.
func nameTypeNames(name string, yield func(string) bool) bool {
	if name == "" {
		return true
	}
	if !yield(name) {
		return false
	}
	var buf [32]byte // OpenCTI's names are short ASCII, and this runs per match
	l, ok := lowerASCII(name, &buf)
	if !ok {
		return true
	}
	t, ok := stixTypeOf(l)
	if !ok {
		return true
	}
	return parents(t, categoryOf(t), yield)
}

// stixTypeOf maps a lower-cased OpenCTI concrete type name to the STIX type of its objects. It
// reports false for abstract names and for names it does not know as object types.
func stixTypeOf(l string) (string, bool) {
	switch l {
	case "individual", "organization", "sector", "system", "securityplatform",
		"security-platform", "identity":
		return "identity", true
	case "city", "country", "region", "position", "administrative-area", "location":
		return "location", true
	case "threat-actor-group", "threat-actor-individual", "threat-actor":
		return "threat-actor", true
	case "stixfile":
		return "file", true
	}
	if c := categoryOf(l); c != stix.CategoryUnknown && c != stix.CategoryCustom {
		return l, true
	}
	return "", false
}

// expandTypeName returns the STIX types whose objects can carry an entity type name, and
// whether that list is complete. Abstract names whose members include custom types
// (Stix-Domain-Object, Stix-Cyber-Observable and above) are not complete. A name that is no
// object type name may be a custom type or a relationship_type, so it yields both.
func expandTypeName(name string) (types []string, complete bool) {
	l := strings.ToLower(strings.TrimSpace(name))
	switch l {
	case "basic-object", "stix-object", "stix-core-object", "stix-domain-object",
		"stix-cyber-observable":
		return nil, false
	case "stix-meta-object":
		return []string{"extension-definition", "language-content", "marking-definition"}, true
	case "container":
		return []string{"case-incident", "case-rfi", "case-rft", "feedback", "grouping", "note",
			"observed-data", "opinion", "report"}, true
	case "case":
		return []string{"case-incident", "case-rfi", "case-rft", "feedback"}, true
	case "hashed-observable":
		return []string{"artifact", "file", "x509-certificate"}, true
	case basicRelationship, stixRelationship:
		return []string{"relationship", "sighting"}, true
	case coreRelationship:
		return []string{"relationship"}, true
	case sightingRelationship:
		return []string{"sighting"}, true
	}
	if t, ok := stixTypeOf(l); ok {
		return []string{t}, true
	}
	return []string{l, "relationship"}, true
}
