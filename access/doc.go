// Package access is the SDK's security boundary: it decides who may use a feed and which
// objects a caller may see, so that nothing a principal may not see ever leaves a feed.
//
// Two questions are answered before anything is emitted (docs/access.md):
//
//  1. May this caller use this feed? An [Authenticator] turns a request's credentials
//     (HTTP Basic, Bearer, x-apikey) into a [Principal]; [FeedAccess.Authorize] then
//     returns the principal to run as and a [Decision] that every handler maps to the same
//     HTTP status with [Decision.Status] (401 carries [Challenge]).
//  2. May this caller see this object? [Visibility.CanSee] applies the marking rule
//     (object_marking_refs against the principal's [Clearance], with TLP 1.0 and 2.0 built
//     in as one ordered family and host-defined families and statements), organization
//     segregation (OpenCTI's granted_refs), and bypass. [Visibility.Redact] then strips
//     what the caller may not read in an emitted object.
//
// What a feed sends depends on more than each object alone: a relationship or sighting
// leaves only if every stored end is visible too, and a container's object_refs lose the
// references to hidden objects. [Visibility.Screen] is that whole boundary for a batch
// (a page, a stream group), with the other objects found through a [Lookup] the feed
// implements from its store, one call per batch. Every feed applies it to everything it
// sends; a feed that lists ids and versions without serving content (a TAXII manifest)
// may ask [Visibility.Admit] instead, which decides the same without rewriting anything.
// Writes have their rule too: [Visibility.CheckWrite] refuses a write of an object
// beyond the writer's clearance or over an object the writer may not see, with one
// message whatever the reason ([ErrWriteRefused]).
//
// The package knows STIX objects only through package stix; it knows nothing of filters,
// stores or feeds, which combine it with them.
//
// # Errors
//
// [NewVisibility] and [NewStatic] return errors wrapping [ErrInvalidOptions] for a
// configuration they refuse. Authenticators return errors wrapping [ErrInvalidCredentials]
// for wrong or malformed credentials; handlers answer those with 401. CheckWrite returns a
// [*WriteError] wrapping [ErrWriteRefused]; Screen returns its Lookup's errors.
//
// # Concurrency
//
// A [Visibility] and a [Static] authenticator are immutable once built and safe for
// concurrent use (a Visibility's only inner state is a pool of Screen's working memory). [Principal], [Clearance] and [FeedAccess] are plain data: the package
// never modifies them, so they may be shared as long as the caller does not modify them
// either.
package access

import "errors"

// ErrInvalidCredentials is wrapped by authentication errors for credentials that are
// present but wrong, malformed or ambiguous.
var ErrInvalidCredentials = errors.New("access: invalid credentials")

// ErrInvalidOptions is wrapped by constructor errors for a configuration they refuse.
var ErrInvalidOptions = errors.New("access: invalid options")
