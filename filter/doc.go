// Package filter selects STIX objects with OpenCTI's FilterGroup, the filter format that live
// streams, TAXII collections and CSV feeds store.
//
// A [Group] is parsed from OpenCTI's JSON with [Parse] or from a compact text form with
// [ParseText], checked with [Group.Validate], and compiled once per feed with [Compile]; the
// resulting [Matcher] then tests objects with [Matcher.Match] without allocating. A feed binds
// it to one moment with [Matcher.Bind] ("now" for relative dates, the store's relationships
// through a [Resolver]) and tests objects with [Bound.Match], which also takes the platform's
// record times. [Group.String] prints the text form:
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
// print before subgroups, so [Group.String] gives a canonical text. regardingOf's values, which
// OpenCTI's JSON gives as {key, values} objects ([Filter.Subfilters]), are written in braces:
// `regardingOf = {id = malware--…, relationship_type = (uses or targets)}`; within's two values
// as a list: `modified within (now-1M/M or now)`.
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
//	fromOrToId           fromId and toId together: either end of a relationship or sighting
//	alias                aliases and x_opencti_aliases
//	name                 name
//
// Date keys (see Dates below):
//
//	created, modified    the object's STIX created and modified
//	valid_from, valid_until, published, first_seen, last_seen, start_time, stop_time,
//	first_observed, last_observed   the property
//	created_at, updated_at   the platform's record times (store date_added and last change)
//	                     that the feed passes in [Times], else OpenCTI's extension's
//	                     created_at / updated_at, as objects exported by OpenCTI carry them
//
// Relationship keys (see Relationship keys below): regardingOf, connectedToId, containers,
// sightedBy.
//
// A host adds keys of its own, or replaces built-in ones, with [CompileOptions]; there is no
// package-level registry. [BuiltinKeys] lists the built-in names.
//
// # Dates
//
// Date keys take eq, not_eq, lt, lte, gt, gte, within (exactly two values: from, to), nil and
// not_nil. A value is an RFC 3339 date-time (any offset), a date YYYY-MM-DD (that whole UTC
// day), or one of OpenCTI's relative dates. Candidates are RFC 3339 date-times; others are
// dropped. Comparisons are at nanosecond precision.
//
// OpenCTI's facts, from its source and documentation: stored filters of feeds and TAXII
// collections run as Elasticsearch queries, which receive the values as they are, so relative
// values follow Elasticsearch's date math; OpenCTI's own check of within values accepts a
// date-time, or the expression matched by ^now([-+]\d+[smhHdwMy](\/[smhHdwMy])?)?$ — now,
// optionally one offset of N units (y years, M months, w weeks, d days, h or H hours, m
// minutes, s seconds), optionally then rounded to a unit (now-1M/M: the previous month). Its
// documentation gives the examples now-24h, now-1y and within [now-1y, now]. This package
// accepts exactly that grammar for every date operator (so not Elasticsearch's wider
// 2024-01-01||+1M or now/d, which OpenCTI's check refuses), with N at most 100,000, and
// evaluates it as Elasticsearch does: in UTC; months and years keep the day of the month,
// clamped to the month's end (31 March - 1M is the last day of February); weeks start on
// Monday; a rounded value (and a bare date) stands for its whole unit, so gte and lt compare
// with the unit's first instant, gt and lte with its last, eq and not_eq with the whole unit,
// and within runs from the first value's first instant to the second value's last.
//
// "now" is read when relative values are resolved. [Matcher.Match] reads the clock
// ([CompileOptions.Clock], default time.Now) at each match. [Matcher.Bind] reads it once
// (or takes [BindOptions.Now]): a feed binds once per run, so a CSV generation, a TAXII
// request or a live-stream event sees one "now" for every object it decides; the live stream
// should bind with the event's time, so that a replay decides as the live run did.
//
// # Relationship keys
//
// These keys test what the store holds about an object, not the object itself; a [Resolver]
// that the feed provides answers them, as of the feed's moment (see package
// store/storefilter). Values are STIX identifiers, compared case-insensitively (the resolver
// is asked with lower-cased ones, as STIX producers write them); the keys take eq and not_eq,
// and a filter's mode combines its values as for every key.
//
//	regardingOf    objects that have a relationship of one of the given types with one of the
//	               given ids, in either direction. Its values are OpenCTI's objects
//	               {"key":"id","values":[…]} (required) and {"key":"relationship_type",
//	               "values":[…]} (optional: any type); a sighting's type is
//	               stix-sighting-relationship, its ends sighting_of_ref and where_sighted_refs.
//	connectedToId  OpenCTI's instance-trigger key: the object with the given id itself, the
//	               objects referencing it (any *_ref or *_refs, at any depth), and the objects
//	               related to it by a relationship or sighting
//	containers     objects in the object_refs (or OpenCTI's object_refs_inferred) of the
//	               container with the given id (report, grouping, note, opinion,
//	               observed-data, case); OpenCTI's GraphQL field of the same name
//	sightedBy      objects sighted at the given id (sighting_of_ref of a sighting whose
//	               where_sighted_refs holds it)
//
// A group using them compiles only with [CompileOptions.Relations]: without it each such
// filter is an error wrapping [ErrNoResolver] naming the key, not a filter that matches
// nothing. [Matcher.Bind] then needs [BindOptions.Resolver]; it asks the resolver once per
// method for every id the filters name (one Relations and one Objects call, however many
// filters and objects), and matching is a set look-up per object, so a page of 1,000 objects
// costs one round of look-ups. [Matcher.Match], unbound, finds no related object
// (connectedToId still passes the object itself and those referencing it).
//
// # Relationship keys in the live stream
//
// An object's outcome under these keys changes with events on other objects. The stream
// engine must therefore, for each event at position p (the previous event at p'):
//
//   - decide the event's own object as for every filter, with prev matched by a Bound as of
//     p' and cur by a Bound as of p (storefilter.At), never by the present;
//   - decide again each object [Matcher.Affected] names for the event's prev and cur (the
//     ends of a relationship or sighting touching an id the filter names; the objects added
//     to or removed from a named container), reading its version as of p' and as of p: one
//     that did not match and now does enters (create, with its dependencies as for any
//     entering object); one that matched and no longer does leaves (delete, and with
//     dependency resolution the delete of its sent relationships). The changed relationship
//     itself is sent by the usual rules (with dependency resolution on, as the entering
//     object's relationship).
//
// The seed's table with `entity_type = Indicator and regardingOf = {id = Emotet,
// relationship_type = indicates}` in place of the label (store/storefilter's golden
// testdata/seed-regardingof.golden holds the decisions): creating the indicator sends
// nothing; creating the relationship lets the indicator enter (avoid dependencies resolution
// true: TLP:GREEN, CrowdStrike, the indicator; false: also Emotet before it and the
// relationship after it); deleting the relationship makes it leave (delete the indicator;
// with resolution, and the relationship); creating the relationship again lets it enter
// (the indicator; with resolution, and the relationship, the rest being cached); deleting
// the indicator cascades: the relationship's delete makes the indicator leave (delete the
// indicator, and with resolution the relationship), and the indicator's own delete then
// finds it already gone. A Bound may be kept across events while no event touches
// [Matcher.ResolverIDs] and the filter uses no relative date ([Matcher.UsesNow]).
//
// # Keys refused
//
// Every key OpenCTI's filter documentation names for feeds, TAXII collections, streams and
// triggers (its examples, its special keys and its list of stream keys) is implemented above,
// except these, which validation refuses as unknown keys:
//
//   - dynamicRegardingOf, dynamicFrom, dynamicTo: their values are whole filter groups run
//     against the store first (OpenCTI caps that pre-query at 5,000 results); a Resolver
//     that answers filter groups is a store-side query language this package does not ask
//     hosts to write.
//   - representative: OpenCTI's display name of an entity, computed per entity type (and
//     from both ends' names for a relationship) by rules of its own; a host key
//     ([CompileOptions.Keys]) can give the name a feed wants.
//   - computed_reliability, source_reliability: the reliability of the object's author, an
//     object read per match; a host key can read it from the host's data.
//   - authorized_members (OpenCTI's restricted members): a rule about users, which package
//     access decides.
//   - pir_score and OpenCTI's other PIR keys: its priority intelligence requirements are no
//     STIX data.
//   - elementId, connections and rel_* keys: OpenCTI's older or internal spellings of
//     relationship filters; regardingOf and connectedToId replace them.
//
// OpenCTI's feeds and TAXII collections also take any attribute of its schema as a key;
// those this package does not define (kill chain phases, external references, organization
// sharing, x_mitre_… properties) a host adds as keys with [CompileOptions.Keys].
// regardingOf without an id (relationship types only) is refused with [ErrValue]: "has any
// relationship of type T" needs a store look-up per object instead of one per binding. The
// operators only_eq_to and not_only_eq_to (newer than the feed filters) and has_changed are
// refused as unknown operators.
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
// as [ErrUnknownKey], joined with errors.Join. [Matcher.Bind] returns an error wrapping
// [ErrNoResolver] when a resolver is needed and missing, and the resolver's own errors as
// they are.
//
// # Concurrency
//
// A [Matcher] and a [Bound] are immutable and safe for concurrent use; so are the host's
// KeyFuncs, Clock and Resolver required to be. A [Group] is a plain value: concurrent reads
// are safe, writes need the caller's locking.
package filter
