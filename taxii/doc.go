// Package taxii serves STIX objects over TAXII 2.1 and reads them from any TAXII 2.1
// server.
//
// [Handler] is an http.Handler for the whole standard: discovery, API roots, collections,
// objects (GET and POST), one object (GET and DELETE), versions, manifest and status. A
// collection is defined by the host ([Collection]): a FilterGroup over the one
// [store.Store], an access policy, can_read and can_write. [Client] is the other side: the
// same resources, iterators across pages, POST with status polling, and
// [Client.ResolveMissing] for the referenced objects a page does not carry.
//
// # Wire
//
// Every response, errors included, has Content-Type application/taxii+json;version=2.1.
// Requests may Accept it (with or without version), application/json, application/* or
// */*; anything else answers 406. Timestamps are written with microsecond precision.
// Envelopes and manifests omit empty lists ({"more":false} when nothing matches), and
// X-TAXII-Date-Added-First/Last are set only when a page has objects. Errors are TAXII
// error resources ([Error]) with http_status as a string; a malformed or unsupported query
// parameter answers 400 and names the parameter in description and details.parameter.
// Query parameters that are not TAXII's are ignored; a TAXII parameter the endpoint does
// not take (match[id] on versions, next on DELETE, an unknown match[...] field) is refused
// rather than silently ignored. Repeated match[...] parameters add to the comma-separated
// list; other parameters may be given once.
//
// # date_added and versions
//
// The date_added of a version is when that version was stored: for the current version,
// [store.Record.Updated] (when it became current); for older ones, the Updated that
// [store.Reader.Versions] reports. Objects are listed in ascending (date_added, id) of
// their current version, a keyset scan in [store.ByUpdated] order, so that a client
// polling with added_after sees an object again when it gains a new version (STIX's own
// created/modified are never used for this). With match[version] other than last, each
// object contributes its selected versions, ascending by version, at its place in that
// order; their date_added are each version's own. match[spec_version] keeps the versions
// of the listed spec versions (default: the latest spec version among the object's
// versions); match[version] then picks last, first, all and exact timestamps (a version
// is modified, else created, else date_added). added_after applies to each version's
// date_added. A version stored after the current one became current (an older version
// arriving late) is listed only when its object's current version qualifies.
//
// # Pagination
//
// `next` is stateless: an HMAC-signed position (the (date_added, id) key of the last object
// served and, when a page ends inside one object's versions, how many of them were served)
// and a fingerprint of the query (API root, collection, endpoint, object id, added_after,
// every match[...]; not limit). It may be replayed any number of times, by any replica that
// has the same [HandlerOptions.CursorKey], and stays valid while objects are added: pages
// continue after the position, so nothing is skipped or repeated, and objects added or
// updated meanwhile appear on later pages. Reused with other filters, altered or made up,
// it answers 400 naming `next`. `more` is exact: true only if another object exists beyond
// the page, never merely because the page is full. Objects stored in the current
// millisecond (plus [HandlerOptions.SettleDelay]) are held back until it has passed: one
// stored later in the same millisecond could otherwise sort before a position already
// handed out and be missed by both next and added_after polling. The same horizon and
// added_after apply to objects/{id}/ and its versions as to objects/?match[id]=, so the
// two always agree. The collection's filter, the caller's
// visibility and match[type] are applied by the store's scan (an exact page however sparse
// the matches); match[id] reads the ids directly. A page never holds more than limit
// objects; limit defaults to [HandlerOptions.DefaultLimit] and is capped at MaxLimit.
//
// # Access
//
// Each collection's [access.FeedAccess] decides who may use it: a restricted collection
// answers 401 with WWW-Authenticate to anonymous callers, 403 to callers without the
// data-sharing capability, and 404 to callers outside its authorized members, who do not
// see it in the collection list either. Every object served (objects, one object, versions,
// manifest; older versions each on their own) passes [access.Visibility.Screen] for the
// caller (the manifest and versions endpoints, which list ids and versions only, ask
// [access.Visibility.Admit], the same decision without the rewriting): a relationship or sighting with a stored end the caller may not see is absent,
// a container's object_refs lose the references to hidden objects, and granted
// organizations are stripped, and any other reference to an object the caller may not
// receive is removed (or the object withheld when it cannot be). Older versions are
// listed only for an object whose current version the caller may receive. The objects a
// page names are looked up with one GetMany per batch of records. An object the caller may not see is absent, and GET or
// DELETE of it answers 404 exactly as for an id that is not stored. Discovery and API root
// resources are served to anyone. Wrong credentials answer 401 everywhere.
//
// # Writes
//
// POST to objects accepts a TAXII envelope or a STIX bundle (Content-Type
// application/taxii+json, application/stix+json or application/json; otherwise 415), of at
// most the API root's max_content_length (413), and a body that is not a JSON object with an
// array of objects answers 422. Each object is parsed, checked with [stix.Validate] and
// matched against the collection's filters, then against the access rule for writes
// ([access.Visibility.CheckWrite]): an object beyond the writer's clearance, or any version
// (newer, older or the same) of an id whose current version the writer may not see, is a
// failure with the one message [access.RefusedMessage], whatever the reason. An object that
// fails is a failure with a message in the status, the others are written with
// [store.Writer.Put]. An exact duplicate or an older version is a success ("already
// stored"). The check and the write are one step for the handler's own writers. An
// envelope of more than [HandlerOptions.MaxPostObjects] objects answers 413. A status
// resource ([Status]) is kept in a [StatusStore] (in memory by default; a durable or shared
// one keeps it across restarts and nodes) for [HandlerOptions.StatusTTL] and shown only to
// the principal that posted; its counts are exact and its detail lists hold at most
// [HandlerOptions.MaxStatusDetails] entries each, so neither the status nor the 202 answer
// grows with the envelope. DELETE removes
// the object with all its versions (the store deletes nothing less; a match[version] that
// selects only some versions answers 400); a DELETE whose cascade (the relationships and
// sightings the store deletes with the object) would remove an object the writer may not
// see answers 403 with the write refusal; can_write=false answers 403 to POST and DELETE.
//
// # Interoperability
//
// The server-side (TAXII Server persona) scenarios of the OASIS TAXII 2.1
// Interoperability Test Document v1.0 (CSD01, 30 March 2022) run as a table over HTTP in
// interop_test.go; each row names its scenario. Where the document is stricter than the
// standard the handler follows it by default: collections are listed ordered by id
// (set [HandlerOptions.KeepCollectionOrder] to keep the configured order), a collection
// that cannot be read or written answers 403, and status resources are kept 24 hours
// ([HandlerOptions.StatusTTL] may lower that, leaving the document's expectation). Rows
// → tests:
//
//   - Server Discovery (title, absolute api_roots, default; 406 for an Accept it cannot
//     serve) and authentication, §3.1.1 (401 with a Basic challenge): TestInteropServer.
//   - API Root Information (title, versions, max_content_length; 404 for an unknown
//     root): TestInteropServer.
//   - Get Collections (ordered by id) and Get a Collection (404 when unknown):
//     TestInteropServer, TestInteropCollectionsByID.
//   - Get Objects: date_added order and X-TAXII-Date-Added headers, limit with more and
//     next, added_after, match[id], match[type] (§3.13.1.10), match[version] all, first
//     and a timestamp, match[spec_version] (§3.13.2), 400 naming a malformed filter, 403
//     on a collection that cannot be read: TestInteropServer.
//   - Get an Object (404 outside the collection), Get Object Versions paged and continued
//     with added_after from X-TAXII-Date-Added-Last (§3.14.1), Get Object Manifests:
//     TestInteropServer.
//   - Add Objects (§3.15.1: 202, a status whose counts agree, custom properties kept; 403
//     on a collection that cannot be written; 415, 422, 413), Get Status, Delete an
//     Object: TestInteropServer; a status kept 24 hours: TestInteropStatusKept24h.
//
// # Errors
//
// [NewHandler] and [NewClient] return errors wrapping [ErrInvalidOptions]. Client methods
// return an [*Error] for every answer that is not a success, which matches [ErrNotFound],
// [ErrUnauthorized] or [ErrForbidden] with errors.Is by status, and errors wrapping
// [ErrBadResponse] for answers that break the standard. A download cut by the context or
// the connection is not a bad response: its error wraps the context's error
// (errors.Is(err, context.DeadlineExceeded) holds) or the transport's. Paged reads stop
// with ErrBadResponse, naming the page, when a server would keep them going forever: a
// next token repeated from an earlier page, a page that says more but is empty or
// repeats the previous one, or more=false with a next. The handler logs store failures
// and answers them 500 without details.
//
// # Concurrency
//
// A Handler and a Client are safe for concurrent use. With [HandlerOptions.AsyncWrites], a
// POST starts one goroutine that writes the posted objects and ends when they are written;
// otherwise the handler starts none.
package taxii
