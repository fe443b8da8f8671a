// Package iocstream serves a VirusTotal-compatible IoC stream: notifications, each an IoC
// (a file, URL, domain or IP address) with the context in which it was reported, listed
// newest or oldest first with VirusTotal's filter grammar, paged with a cursor, deletable,
// and expired after a retention period (7 days by default).
//
// A [Notification] carries an [Entity] and its context attributes. [ParseFilter] compiles a
// filter string once into a [Query]. A [Store] keeps notifications; [NewMemStore] is the
// in-memory one, and package iocstreamtest checks any implementation against the Store
// contract. [List] and [All] page through a store with opaque cursors that stay correct
// while notifications are added and deleted. [NewHandler] serves VirusTotal's paths
// (GET and DELETE /api/v3/ioc_stream, GET and DELETE /api/v3/ioc_stream_notifications/{id})
// with its response shapes and error objects, so that VirusTotal's own clients work
// against it unchanged. [EntitiesFromSTIX] and [FromSTIX] turn STIX observables and
// indicators into entities and notifications, so that a host can feed the stream from a
// live-stream subscription (origin subscriptions) or from its own hunting rules (origin
// hunting). A stream's notifications are shared by all its callers, so [FromSTIXFor]
// bridges only objects that every principal of its [Audience] may receive under the
// access boundary (access.Visibility.Screen).
//
// # Errors
//
// ParseFilter returns a *[FilterError] that names the offending token. Sentinel errors,
// checked with errors.Is: [ErrNotFound] (no such notification, or expired), [ErrExists]
// (duplicate identifier), [ErrInvalid] (a notification or an option breaks its rules) and
// [ErrBadCursor] (a cursor that was altered, made up, or made for another filter or order)
// and [ErrUnsupported] (a STIX object that names no IoC the stream can carry) and
// [ErrHidden] (an object some principal of the audience may not receive).
// The handler answers each with VirusTotal's error object and status: BadRequestError 400,
// AuthenticationRequiredError and WrongCredentialsError 401, ForbiddenError 403,
// NotFoundError 404.
//
// A + in a URL means a space, so order=date+ sent without encoding arrives as "date ".
// The handler accepts it when the raw query spells order=date+ literally (the only order
// those bytes can mean) and repeats it encoded (date%2B) in its links; "date " spelled
// otherwise is refused with a message explaining %2B, as the date filter's is.
//
// # Concurrency
//
// A *Query is immutable. MemStore and the handler are safe for concurrent use, and every
// Store implementation must be. A *Notification returned by a store belongs to the caller.
package iocstream
