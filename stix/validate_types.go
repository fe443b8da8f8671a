package stix

import (
	"strings"

	"github.com/tidwall/gjson"
)

// typed applies the rules of the object's own type.
func (v *validator) typed(r getter) {
	v.commonShapes(r)
	switch v.o.typ {
	case "attack-pattern", "campaign", "course-of-action", "identity", "incident",
		"infrastructure", "intrusion-set", "threat-actor", "tool", "vulnerability":
		v.required(r, "name")
	case "grouping":
		v.required(r, "context", "object_refs")
	case "indicator":
		v.required(r, "pattern", "pattern_type", "valid_from")
	case "location":
		v.location(r)
	case "malware":
		v.required(r, "is_family")
		if r.Get("is_family").Type == gjson.True {
			v.required(r, "name")
		}
		v.idList(r, "operating_system_refs", "software")
	case "malware-analysis":
		v.required(r, "product")
		v.anyOf(r, "result", "analysis_sco_refs")
		v.idProp(r, "host_vm_ref", "software")
		v.idProp(r, "operating_system_ref", "software")
		v.idList(r, "installed_software_refs", "software")
		v.idProp(r, "sample_ref", "artifact", "file", "network-traffic")
		v.idList(r, "analysis_sco_refs")
	case "note":
		v.required(r, "content", "object_refs")
	case "observed-data":
		v.required(r, "first_observed", "last_observed", "number_observed")
		v.intRange(r, "number_observed", 1, 999999999)
		if r.Get("objects").Exists() == r.Get("object_refs").Exists() {
			v.add("", "needs exactly one of objects and object_refs")
		}
	case "opinion":
		v.required(r, "object_refs", "opinion")
		if op := r.Get("opinion"); op.Exists() && !hasType(opinions[:], op.Str) {
			v.add("opinion", "must be one of %s", strings.Join(opinions[:], ", "))
		}
	case "report":
		v.required(r, "name", "object_refs", "published")
	case "relationship":
		v.relationship(r)
	case "sighting":
		v.sighting(r)
	case "marking-definition":
		v.markingDefinition(r)
	case "language-content":
		v.required(r, "object_ref", "contents")
		if ref := r.Get("object_ref"); ref.Exists() {
			v.refNot("object_ref", ref, "bundle", "language-content")
		}
		v.dictionary(r, "contents")
	case "extension-definition":
		v.extensionDefinition(r)
	default:
		if v.o.Category() == CategorySCO {
			v.observable(r)
		}
	}
}

var opinions = [...]string{"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"}

// timeProps are the properties, besides created and modified, that hold timestamps.
var timeProps = [...]string{
	"first_seen", "last_seen", "valid_from", "valid_until", "published", "first_observed",
	"last_observed", "start_time", "stop_time", "submitted", "analysis_started",
	"analysis_ended", "object_modified", "ctime", "mtime", "atime", "date", "start", "end",
	"created_time", "modified_time", "account_created", "account_expires",
	"credential_last_changed", "account_first_login", "account_last_login",
	"validity_not_before", "validity_not_after",
}

// stringLists are the properties that hold lists of strings.
var stringLists = [...]string{
	"aliases", "roles", "sectors", "goals", "secondary_motivations", "personal_motivations",
	"indicator_types", "infrastructure_types", "malware_types", "tool_types",
	"threat_actor_types", "report_types", "architecture_execution_envs",
	"implementation_languages", "capabilities", "modules", "authors", "protocols",
	"extension_properties",
}

// stringProps are the properties of STIX 2.1 types that hold a single string.
var stringProps = [...]string{
	"name", "description", "pattern", "pattern_type", "pattern_version", "context",
	"identity_class", "contact_information", "objective", "resource_level",
	"primary_motivation", "sophistication", "tool_version", "abstract", "content",
	"explanation", "relationship_type", "product", "result", "result_name", "schema",
	"region", "country", "administrative_area", "city", "street_address", "postal_code",
}

// commonShapes checks the value types of the properties STIX defines for several types, so
// that the schemas' per-type property rules hold without one table per type.
func (v *validator) commonShapes(r getter) {
	if v.o.Category() == CategoryCustom || v.o.Category() == CategoryUnknown {
		return // a custom type defines its own properties
	}
	for _, n := range timeProps {
		v.kind(r, n, kTime)
	}
	for _, n := range stringLists {
		v.strings(r, n)
	}
	if v.o.Category() != CategorySCO { // observables reuse some names with other types
		for _, n := range stringProps {
			v.kind(r, n, kString)
		}
		v.idList(r, "object_refs")
	}
	v.list(r, "kill_chain_phases", func(path string, k gjson.Result) {
		if !k.IsObject() {
			v.add(path, "must be an object")
			return
		}
		for _, n := range [...]string{"kill_chain_name", "phase_name"} {
			if k.Get(n).Type != gjson.String {
				v.add(path+"."+n, "required string")
			}
		}
	})
}

func (v *validator) location(r getter) {
	lat, lon := r.Get("latitude"), r.Get("longitude")
	if !r.Get("region").Exists() && !r.Get("country").Exists() && !(lat.Exists() && lon.Exists()) {
		v.add("", "needs region, country, or latitude and longitude")
	}
	if lat.Exists() != lon.Exists() {
		v.add("", "latitude and longitude go together")
	}
	if r.Get("precision").Exists() && !lat.Exists() {
		v.add("precision", "needs latitude and longitude")
	}
	if lat.Exists() && (lat.Type != gjson.Number || lat.Num < -90 || lat.Num > 90) {
		v.add("latitude", "must be a number from -90 to 90")
	}
	if lon.Exists() && (lon.Type != gjson.Number || lon.Num < -180 || lon.Num > 180) {
		v.add("longitude", "must be a number from -180 to 180")
	}
	v.kind(r, "precision", kNumber)
}

// notEnds are the types a relationship may not connect and a sighting may not be of.
var notEnds = [...]string{"relationship", "sighting", "bundle", "marking-definition", "language-content"}

func (v *validator) relationship(r getter) {
	v.required(r, "relationship_type", "source_ref", "target_ref")
	if t := r.Get("relationship_type"); t.Exists() && !isRelationshipName(t.Str) {
		v.add("relationship_type", "must hold only a-z, 0-9 and -")
	}
	for _, end := range [...]string{"source_ref", "target_ref"} {
		if ref := r.Get(end); ref.Exists() {
			v.refNot(end, ref, notEnds[:]...)
		}
	}
}

func isRelationshipName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (v *validator) sighting(r getter) {
	v.required(r, "sighting_of_ref")
	if ref := r.Get("sighting_of_ref"); ref.Exists() {
		v.refNot("sighting_of_ref", ref, notEnds[:]...)
		if t := ID(ref.Str).Type(); CategoryOf(t) == CategorySCO || t == "extension-definition" {
			v.add("sighting_of_ref", "must refer to a domain object, not %s", t)
		}
	}
	v.idList(r, "where_sighted_refs", "identity", "location")
	v.idList(r, "observed_data_refs", "observed-data")
	v.intRange(r, "count", 0, 999999999)
	v.kind(r, "summary", kBool)
}

// tlpColours gives, for each TLP 1.0 marking definition, its colour.
var tlpColours = map[ID]string{TLPWhite: "white", TLPGreen: "green", TLPAmber: "amber", TLPRed: "red"}

func (v *validator) markingDefinition(r getter) {
	def, defType := r.Get("definition"), r.Get("definition_type")
	if !r.Get("extensions").Exists() {
		v.required(r, "definition", "definition_type")
	}
	if def.Exists() && !def.IsObject() {
		v.add("definition", "must be an object")
	}
	if defType.Exists() && defType.Type != gjson.String {
		v.add("definition_type", "must be a string")
	}
	switch defType.Str {
	case "statement":
		if def.Get("statement").Type != gjson.String {
			v.add("definition.statement", "required string")
		}
	case "tlp":
		colour, ok := tlpColours[v.o.id]
		switch {
		case !ok:
			v.add("id", "a TLP 1.0 marking definition must have one of the four fixed TLP ids")
		case def.Get("tlp").Str != colour:
			v.add("definition.tlp", "must be %q for %s", colour, v.o.id)
		case r.Get("name").Str != "TLP:"+upper(colour):
			v.add("name", "must be %q", "TLP:"+upper(colour))
		}
		if r.Get("created").Str != "2017-01-20T00:00:00.000Z" {
			v.add("created", "a TLP 1.0 marking definition is created 2017-01-20T00:00:00.000Z")
		}
	}
	v.kind(r, "name", kString)
}

func (v *validator) extensionDefinition(r getter) {
	v.required(r, "name", "schema", "version", "extension_types")
	v.kind(r, "version", kString)
	toplevel := false
	v.list(r, "extension_types", func(path string, t gjson.Result) {
		if t.Type != gjson.String || !hasType(extensionTypes[:], t.Str) {
			v.add(path, "must be one of %s", strings.Join(extensionTypes[:], ", "))
		}
		toplevel = toplevel || t.Str == "toplevel-property-extension"
	})
	if r.Get("extension_properties").Exists() && !toplevel {
		v.add("extension_properties", "allowed only with extension type toplevel-property-extension")
	}
}
