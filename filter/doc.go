// Package filter selects STIX objects with OpenCTI's FilterGroup, the filter format that live
// streams, TAXII collections and CSV feeds store.
//
// A [Group] is parsed from OpenCTI's JSON with [Parse] or from a compact text form with
// [ParseText], checked with [Group.Validate], and compiled once per feed with [Compile]; the
// resulting [Matcher] then tests objects with [Matcher.Match] without allocating. [Group.String]
// prints the text form:
//
//	entity_type = Indicator and objectLabel = detection and (x_opencti_score >= 50 or confidence >= 80)
//
// # Text form
//
// A group is terms joined by one connective, "and" or "or" (mixing them needs parentheses, so
// the text maps one to one onto the JSON); a term is a filter or a parenthesised group. A
// filter is a key, an operator (= != < <= > >= or an OpenCTI operator name such as contains,
// not_starts_with, search, nil, not_nil) and a value, or a parenthesised value list joined by
// the filter's mode: `objectLabel = (detection and c2)`. nil and not_nil take no value; `()` is
// the empty list. Keys and values are bare words or Go-syntax double-quoted strings. Filters
// print before subgroups, so [Group.String] gives a canonical text.
//
// # Semantics
//
// A key yields candidates on an object (possibly none), which a filter compares with its values:
// eq passes a value that is among the candidates, not_eq one that is not (so an object without
// candidates passes); contains, starts_with, ends_with and their not_ forms test substrings;
// search passes when any word of the value occurs in a candidate; lt, lte, gt and gte pass when
// some candidate compares true. nil (or eq with no values) passes when there are no candidates,
// not_nil (or not_eq with no values) when there are some. A filter's mode "or" needs one value
// to pass, "and" all of them. A group's mode "and" needs every filter and subgroup to pass, "or"
// one; an empty group matches everything. Text compares case-insensitively after trimming white
// space; numbers parse as floats and booleans accept true/yes/1 and false/no/0, candidates that
// do not parse being dropped (see [Kind]).
//
// # Keys
//
// Values are STIX-level: label strings, STIX identifiers, STIX or OpenCTI type names. Where
// OpenCTI keeps a property in its extension
// (extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba, and for observables
// extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82), both places are read.
//
//	entity_type          the entity type names of the object (below)
//	ids                  id, the extension's id (OpenCTI's internal id) and stix_ids
//	objectLabel          labels, and the observable extension's labels
//	objectMarking        object_marking_refs
//	createdBy            created_by_ref, and the observable extension's created_by_ref
//	creator_id           the extension's creator_ids
//	objectAssignee       the extension's assignee_ids
//	objectParticipant    the extension's participant_ids
//	confidence           confidence (number)
//	revoked              revoked (boolean; absent means false, as STIX defines it)
//	x_opencti_score      x_opencti_score, else the extension's score, else the observable
//	                     extension's score (number)
//	x_opencti_detection  x_opencti_detection, else the extension's detection (boolean)
//	x_opencti_main_observable_type  the property, else the extension's main_observable_type
//	pattern_type, pattern, indicator_types, report_types, note_types, response_types,
//	information_types, takedown_types, incident_type, severity, priority   the property
//	objects              object_refs, and the extension's object_refs_inferred
//	fromId, toId         a relationship's source_ref / target_ref, a sighting's
//	                     sighting_of_ref / where_sighted_refs; other objects yield none
//	fromTypes, toTypes   the entity type names of that end: the type part of each referenced
//	                     identifier, and the type OpenCTI's extension records (source_type,
//	                     target_type, sighting_of_type, where_sighted_types)
//	relationship_type    a relationship's relationship_type
//	workflow_id, x_opencti_workflow_id   x_opencti_workflow_id, else the extension's workflow_id
//	x_opencti_cisa_kev (boolean), x_opencti_epss_score, x_opencti_epss_percentile,
//	x_opencti_cvss_base_score (numbers), x_opencti_cvss_base_severity   the property, else the
//	                     extension's property without the x_opencti_ prefix
//	description          description, else the observable extension's description
//
// A host adds keys of its own, or replaces built-in ones, with [CompileOptions]; there is no
// package-level registry. [BuiltinKeys] lists the built-in names.
//
// # Entity types
//
// An object's entity type names are its STIX type (OpenCTI's names are the STIX types
// capitalised, and compare case-insensitively: Indicator, IPv4-Addr, Domain-Name, Artifact,
// Hostname), plus:
//
//   - file: StixFile. identity: its OpenCTI type (the extension's type, else Sector for
//     identity_class "class", else the identity_class), when it is one of Individual,
//     Organization, Sector, System, SecurityPlatform. location: the extension's type, else
//     x_opencti_location_type, when it is one of City, Country, Region, Position,
//     Administrative-Area. threat-actor: the extension's type, else Threat-Actor-Individual
//     when resource_level is "individual", else Threat-Actor-Group.
//   - relationship: its relationship_type (indicates, uses, …) unless that is the name of an
//     object type or an abstract type (no valid relationship's is; the rule lets an eq filter
//     on object types skip reading it), stix-core-relationship, stix-relationship,
//     basic-relationship. sighting: stix-sighting-relationship, stix-relationship,
//     basic-relationship.
//   - domain objects: Stix-Domain-Object, Stix-Core-Object, Stix-Object, Basic-Object; and
//     Container for report, grouping, note, opinion, observed-data and OpenCTI's cases
//     (case-incident, case-rfi, case-rft, feedback), which are also Case.
//   - observables: Stix-Cyber-Observable, Stix-Core-Object, Stix-Object, Basic-Object; and
//     Hashed-Observable for artifact, file and x509-certificate.
//   - marking-definition, language-content, extension-definition: Stix-Meta-Object,
//     Stix-Object, Basic-Object.
//
// OpenCTI's own types that STIX does not define (hostname, cryptocurrency-wallet, text,
// user-agent, … as observables; case-incident, channel, event, narrative, … as domain
// objects) get the parents of their kind; a custom x- type is a domain object when it has
// `created`, an observable otherwise. [Group.EntityTypes] turns entity_type filters into the
// list of STIX types a store may restrict a query to.
//
// # Differences from OpenCTI
//
// Values are STIX-level where OpenCTI's stored filters hold its internal ids (labels, markings,
// authors): a feed definition imported from OpenCTI needs its values resolved first. OpenCTI's
// testers yield false for fromId, toId, fromTypes and toTypes on objects that are not
// relationships, whatever the operator; here they yield no candidates, so not_eq passes, as for
// every other key. OpenCTI reads an object's entity type from its extension first; here the
// extension's type only names the subtype of an identity, location or threat actor. OpenCTI
// parses filter values with JavaScript's lenient parseFloat and reads any unknown boolean
// spelling as false; here such values are validation errors, as are values the comparison
// would ignore (values given to nil, none given to contains).
//
// # Errors
//
// [Parse] and [ParseText] return a *[SyntaxError] for input that is not a FilterGroup.
// [Group.Validate] and [Compile] return every problem found, each a *[ValidationError] naming
// its place (`filterGroups[1].filters[0].key: unknown key "foo"`) and wrapping a sentinel such
// as [ErrUnknownKey], joined with errors.Join.
//
// # Concurrency
//
// A [Matcher] is immutable and safe for concurrent use; so are the host's KeyFuncs required to
// be. A [Group] is a plain value: concurrent reads are safe, writes need the caller's locking.
package filter
