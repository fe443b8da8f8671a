// Package stix holds STIX 2.1 objects as the feeds need them: parsed once, immutable, and
// carrying their original JSON bytes so that every property, custom ones included, leaves a
// feed exactly as it arrived.
//
// An [Object] is parsed with [Parse]; its common properties are read without re-parsing, and
// anything else by path with [Object.Get]. [Object.Refs] lists every reference (`*_ref`,
// `*_refs`) at any depth, except inside `external_references` and `kill_chain_phases`.
// [DecodeBundle] streams the objects of a bundle from a reader with memory bounded by the
// largest object; [BundleEncoder] and [MarshalBundle] write one. [Order] arranges objects so
// that each comes after what it references. Identifiers are [ID]s; [SCOID] derives the
// deterministic identifier of a cyber-observable. [New] and its typed relatives build objects,
// [Object.NewVersion] derives the next version of one, and [TLPMarkings] holds the TLP 1.0
// and 2.0 marking definitions.
//
// # Validation
//
// Parse checks structure only: well-formed JSON in valid UTF-8 (RFC 8259; escapes of
// unpaired surrogates are refused too, and the error names the byte offset), an object, no
// duplicated property, bounded nesting, a string `type` and `id`. [Validate] checks the STIX 2.1 rules that the official
// JSON schemas (oasis-open/cti-stix2-json-schemas) express, and a few the specification adds
// that a schema cannot; the package's tests compare it with those schemas on real data and on
// a corpus of broken objects, and list every known difference.
//
// # Errors
//
// Parse and DecodeBundle return a *[SyntaxError] for input that is not a well-formed STIX
// object; Validate returns a *[ValidationError] whose [Problem]s name each offending property
// by path, e.g. `object_marking_refs[1]`.
//
// # Concurrency
//
// An *Object is immutable after Parse and safe for concurrent use. The byte slices and
// slices it returns must not be modified. A [BundleEncoder] is for one goroutine.
package stix
