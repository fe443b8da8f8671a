package filter

import (
	"slices"

	"github.com/ctifeed/ctifeed/stix"
)

// OpenCTI's own STIX extensions: properties of every object it exports, and the extra
// properties of cyber-observables (labels, description, score, author).
const (
	extOpenCTI    = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
	extOpenCTISCO = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"
)

// Kind says how a key's candidates and a filter's values compare.
type Kind int

// The kinds of keys.
const (
	// KindString compares text case-insensitively after trimming white space; every
	// operator applies, the range operators comparing lexically.
	KindString Kind = iota
	// KindNumber compares numbers parsed as floats; candidates that do not parse are
	// dropped. It takes eq, not_eq, lt, lte, gt, gte, nil and not_nil.
	KindNumber
	// KindBool compares booleans: true, yes and 1 mean true; false, no and 0 mean false;
	// candidates spelled otherwise are dropped. It takes eq, not_eq, nil and not_nil.
	KindBool
	// KindDate compares instants: values are RFC 3339 date-times, dates or OpenCTI's
	// relative dates (see the package documentation); candidates that are no RFC 3339
	// date-time are dropped. It takes eq, not_eq, lt, lte, gt, gte, within, nil and not_nil.
	KindDate
	// KindRelation marks the relationship keys (regardingOf, connectedToId, containers,
	// sightedBy): values are STIX identifiers looked up through a [Resolver]. They take eq
	// and not_eq. A host key cannot be of this kind.
	KindRelation
)

func (k Kind) String() string {
	switch k {
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindDate:
		return "date"
	case KindRelation:
		return "relationship"
	}
	return "string"
}

// applies reports whether op makes sense for keys of kind k.
func (k Kind) applies(op Operator) bool {
	switch k {
	case KindNumber:
		return !isTextOp(op) && op != Within
	case KindBool:
		return !isTextOp(op) && !isRangeOp(op) && op != Within
	case KindDate:
		return !isTextOp(op)
	case KindRelation:
		return op == Eq || op == NotEq
	}
	return op != Within
}

func isTextOp(op Operator) bool {
	switch op {
	case Contains, NotContains, StartsWith, NotStartsWith, EndsWith, NotEndsWith, Search:
		return true
	}
	return false
}

func isRangeOp(op Operator) bool { return op == Lt || op == Lte || op == Gt || op == Gte }

// Key defines a filter key that a host adds with [CompileOptions]: a custom property such as
// `x_mitre_domains`, or a key backed by the host's own data.
type Key struct {
	// Kind says how candidates and values compare (default KindString).
	Kind Kind
	// Paths are gjson paths on the object (see stix.Object.Get); every value found is a
	// candidate, array elements one by one. Plain dotted paths are looked up without
	// allocating.
	Paths []string
	// First, when set, makes Paths a priority list: only the first path present counts.
	First bool
	// Func, when set, is used instead of Paths: it returns the candidates as text (numbers
	// and booleans spelled as in JSON). It must be safe for concurrent use and must not
	// modify the object; what it allocates is the only allocation of a match.
	Func KeyFunc
}

// KeyFunc returns the candidates of a host-defined key on an object.
type KeyFunc func(o *stix.Object) []string

// source says where a built-in key finds its candidates.
type source int

const (
	srcLocs          source = iota // the locations in keyDef.locs
	srcType                        // the object's entity type names
	srcFromTypes                   // the entity type names of a relationship's source end
	srcToTypes                     // the entity type names of a relationship's target end(s)
	srcLabels                      // labels, and the OpenCTI observable extension's labels
	srcMarkings                    // object_marking_refs
	srcCreatedBy                   // created_by_ref, and the OpenCTI observable extension's
	srcConfidence                  // confidence
	srcRevoked                     // revoked (absent means false, as STIX defines it)
	srcIDs                         // id, and OpenCTI's internal id and other STIX ids
	srcFunc                        // a host KeyFunc
	srcCreated                     // created (a date)
	srcModified                    // modified (a date)
	srcRecordCreated               // the platform's record creation time (a date)
	srcRecordUpdated               // the platform's record update time (a date)
	srcRelation                    // a relationship key, answered by a Bound's resolved sets
)

// relKind says which relationship key a srcRelation key is.
type relKind int

const (
	relRegardingOf relKind = iota + 1
	relConnectedTo
	relContainers
	relSightedBy
)

// gate limits a key to objects of some types: elsewhere it yields no candidate.
type gate int

const (
	gateNone         gate = iota
	gateRelOrSight        // relationship or sighting
	gateRelationship      // relationship only
	gateSighting          // sighting only
)

// loc is one place a key reads: a top-level gjson path, or a path inside an extension.
type loc struct {
	ext     string // extension name ("" = top level)
	path    string
	needle  string // for a top-level path: its first member name, searched for before lookups
	sco     bool   // only on cyber-observables (OpenCTI puts that extension nowhere else)
	onlyFor gate   // only on these objects
}

// keyDef is a compiled key: built in, or from the host.
type keyDef struct {
	name  string
	kind  Kind
	ref   bool // values are STIX identifiers (checked for eq and not_eq)
	uuid  bool // values are STIX identifiers or OpenCTI internal ids
	types bool // candidates are entity type names
	src   source
	locs  []loc
	first bool // the first location present wins, instead of all contributing
	gate  gate
	cost  int // evaluation order within a group: cheap keys first
	fn    KeyFunc
	rel   relKind
}

func top(path string) loc    { return loc{path: path, needle: needleOf(path)} }
func only(l loc, g gate) loc { l.onlyFor = g; return l }
func octi(path string) loc   { return loc{ext: extOpenCTI, path: path} }
func octiSCO(path string) loc {
	return loc{ext: extOpenCTISCO, path: path, sco: true}
}

// BuiltinKeys returns the names of the keys this package implements, sorted.
func BuiltinKeys() []string {
	names := []string{
		"entity_type", "ids", "objectLabel", "objectMarking", "createdBy", "creator_id",
		"objectAssignee", "objectParticipant", "confidence", "revoked", "x_opencti_score",
		"x_opencti_detection", "pattern_type", "pattern", "indicator_types",
		"x_opencti_main_observable_type", "objects", "report_types", "note_types",
		"response_types", "information_types", "takedown_types", "incident_type", "severity",
		"priority", "fromId", "toId", "fromTypes", "toTypes", "relationship_type",
		"workflow_id", "x_opencti_workflow_id", "x_opencti_cisa_kev", "x_opencti_epss_score",
		"x_opencti_epss_percentile", "x_opencti_cvss_base_score", "x_opencti_cvss_base_severity",
		"description", "fromOrToId", "alias", "name",
		"created", "modified", "valid_from", "valid_until", "published", "first_seen",
		"last_seen", "start_time", "stop_time", "first_observed", "last_observed",
		"created_at", "updated_at",
		"regardingOf", "connectedToId", "containers", "sightedBy",
	}
	slices.Sort(names)
	return names
}

// builtin returns the definition of a built-in key. A switch rather than a map keeps the
// package free of mutable globals.
func builtin(name string) (keyDef, bool) {
	d := keyDef{name: name, cost: 1}
	switch name {
	case "entity_type":
		d.src, d.types, d.cost = srcType, true, 0
	case "ids":
		d.src, d.uuid, d.cost = srcIDs, true, 0
	case "objectLabel":
		d.src, d.cost = srcLabels, 0
	case "objectMarking":
		d.src, d.ref, d.cost = srcMarkings, true, 0
	case "createdBy":
		d.src, d.ref, d.cost = srcCreatedBy, true, 0
	case "creator_id":
		d.locs = []loc{octi("creator_ids")}
	case "objectAssignee":
		d.locs = []loc{octi("assignee_ids")}
	case "objectParticipant":
		d.locs = []loc{octi("participant_ids")}
	case "confidence":
		d.src, d.kind, d.cost = srcConfidence, KindNumber, 0
	case "revoked":
		d.src, d.kind, d.cost = srcRevoked, KindBool, 0
	case "x_opencti_score":
		d.kind, d.first = KindNumber, true
		d.locs = []loc{top("x_opencti_score"), octi("score"), octiSCO("score")}
	case "x_opencti_detection":
		d.kind, d.first = KindBool, true
		d.locs = []loc{top("x_opencti_detection"), octi("detection")}
	case "pattern_type", "pattern", "indicator_types", "report_types", "note_types",
		"response_types", "information_types", "takedown_types", "incident_type",
		"severity", "priority":
		d.locs = []loc{top(name)}
	case "x_opencti_main_observable_type":
		d.first = true
		d.locs = []loc{top(name), octi("main_observable_type")}
	case "objects":
		d.ref = true
		d.locs = []loc{top("object_refs"), octi("object_refs_inferred")}
	case "fromId":
		d.ref, d.gate = true, gateRelOrSight
		d.locs = []loc{only(top("source_ref"), gateRelationship), only(top("sighting_of_ref"), gateSighting)}
	case "toId":
		d.ref, d.gate = true, gateRelOrSight
		d.locs = []loc{only(top("target_ref"), gateRelationship), only(top("where_sighted_refs"), gateSighting)}
	case "fromTypes":
		d.src, d.types, d.gate = srcFromTypes, true, gateRelOrSight
	case "toTypes":
		d.src, d.types, d.gate = srcToTypes, true, gateRelOrSight
	case "relationship_type":
		d.gate = gateRelationship
		d.locs = []loc{top("relationship_type")}
	case "workflow_id", "x_opencti_workflow_id":
		d.first = true
		d.locs = []loc{top("x_opencti_workflow_id"), octi("workflow_id")}
	case "x_opencti_cisa_kev":
		d.kind, d.first = KindBool, true
		d.locs = []loc{top(name), octi("cisa_kev")}
	case "x_opencti_epss_score", "x_opencti_epss_percentile", "x_opencti_cvss_base_score":
		d.kind, d.first = KindNumber, true
		d.locs = []loc{top(name), octi(name[len("x_opencti_"):])}
	case "x_opencti_cvss_base_severity":
		d.first = true
		d.locs = []loc{top(name), octi("cvss_base_severity")}
	case "description":
		d.first = true
		d.locs = []loc{top("description"), octiSCO("description")}
	case "fromOrToId":
		d.ref, d.gate = true, gateRelOrSight
		d.locs = []loc{only(top("source_ref"), gateRelationship), only(top("target_ref"), gateRelationship),
			only(top("sighting_of_ref"), gateSighting), only(top("where_sighted_refs"), gateSighting)}
	case "alias":
		d.locs = []loc{top("aliases"), top("x_opencti_aliases")}
	case "name":
		d.locs = []loc{top("name")}
	case "created":
		d.src, d.kind, d.cost = srcCreated, KindDate, 0
	case "modified":
		d.src, d.kind, d.cost = srcModified, KindDate, 0
	case "valid_from", "valid_until", "published", "first_seen", "last_seen", "start_time",
		"stop_time", "first_observed", "last_observed":
		d.kind = KindDate
		d.locs = []loc{top(name)}
	case "created_at":
		d.src, d.kind = srcRecordCreated, KindDate
		d.locs = []loc{octi("created_at")}
	case "updated_at":
		d.src, d.kind = srcRecordUpdated, KindDate
		d.locs = []loc{octi("updated_at")}
	case "regardingOf":
		d.src, d.kind, d.rel = srcRelation, KindRelation, relRegardingOf
	case "connectedToId":
		d.src, d.kind, d.rel = srcRelation, KindRelation, relConnectedTo
	case "containers":
		d.src, d.kind, d.rel = srcRelation, KindRelation, relContainers
	case "sightedBy":
		d.src, d.kind, d.rel = srcRelation, KindRelation, relSightedBy
	default:
		return keyDef{}, false
	}
	return d, true
}

// hostKey turns a host's Key into a definition.
func hostKey(name string, k Key) keyDef {
	d := keyDef{name: name, kind: k.Kind, first: k.First, cost: 1}
	if k.Func != nil {
		d.src, d.fn, d.cost = srcFunc, k.Func, 2
		return d
	}
	for _, p := range k.Paths {
		d.locs = append(d.locs, top(p))
	}
	return d
}

// lookupKey resolves a key name: the host's keys first, then the built-in ones.
func lookupKey(name string, opts *CompileOptions) (keyDef, bool) {
	if opts != nil {
		if k, ok := opts.Keys[name]; ok {
			return hostKey(name, k), true
		}
	}
	return builtin(name)
}
