// Package stix holds STIX 2.1 objects as the feeds need them: parsed once, immutable, and
// carrying their original JSON bytes so that every property, custom ones included, leaves a
// feed exactly as it arrived.
//
// An [Object] is parsed with [Parse]; its common properties are read without re-parsing, and
// anything else by path with [Object.Get]. [Object.Refs] lists every reference (`*_ref`,
// `*_refs`) at any depth. [DecodeBundle] streams the objects of a bundle from a reader with
// memory bounded by the largest object; [BundleEncoder] writes one. [Validate] checks the
// STIX 2.1 rules the official JSON schemas express. [Order] arranges objects so that each
// comes after what it references. Identifiers are [ID]s; [SCOID] derives the deterministic
// identifier of a cyber-observable.
//
// # Errors
//
// Parse and DecodeBundle return a *[SyntaxError] for input that is not a well-formed STIX
// object; Validate returns a *[ValidationError] that lists every problem with its property path.
//
// # Concurrency
//
// An *Object is immutable after Parse and safe for concurrent use. The byte slices and
// slices it returns must not be modified.
package stix
