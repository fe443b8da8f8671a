// Package stream implements OpenCTI-style live streams: for every change in the store's log,
// the create, update, merge and delete messages each subscriber receives, with dependency
// resolution, data segregation and a per-subscriber cache of what was sent; and the
// Server-Sent Events handler and Go consumer that carry them.
//
// # The engine
//
// A [Definition] says what a stream selects (OpenCTI filters) and who may read it; a
// [Subscriber] is one consumer of it, running as one principal. [Subscriber.Process] turns
// each [store.Event] into that consumer's messages, in order, as a function of the event,
// the definition, the principal, what the subscriber was already sent, and the store as it
// was right after the event (see "Time" below).
// With m(x) = "x passes the filters and the principal may see it" (docs/live-streams.md §1):
//
//   - !m(prev) && m(cur): the object enters, a create (even for an update event);
//   - m(prev) && m(cur): an update, with RFC 6902 patches both ways ([Message.Patch]);
//   - m(prev) && !m(cur), or a delete event of a member: a delete, unless deletions are
//     off ([Options.NoDeletions]). The delete carries the last version the principal could
//     see, never a later one it may not.
//
// Every create, update and merge comes after its dependencies, sent as creates with
// [Message.Dependency] set, even when they do not pass the filters: the objects it
// references, recursively (created_by_ref, object_marking_refs, object_refs and every other
// _ref/_refs except the granted organizations), and, unless [Options.NoDependencies], the
// relationships and sightings that have it as an end, with their own references (other
// end included). Each message comes after everything in its group it references; ties go
// dependencies first (markings, identities, other objects, relationships), then the object,
// then its relationships, then by id, so output is deterministic.
//
// Segregation applies to every message: an object the principal may not see (access
// [access.Visibility.CanSee]) is never sent; what is sent is [access.Visibility.Redact]'s
// output. A reference to an object the principal may not see, or that is not stored, is
// left dangling (STIX allows it) and the referring object is still sent; but a relationship
// or sighting is sent only when every one of its ends is stored and visible: never a
// relationship without both ends.
//
// Relationship events: with resolution on, a relationship or sighting whose end passes the
// filters is itself a member, so its creation, update and deletion are sent (with its
// dependencies) as the event's own message, marked as a dependency when it is a member
// only through its end (as OpenCTI marks such events, origin "init-dependencies").
// Deletions: the store deletes an object's relationships and sightings before the object,
// each with its own event ([store.Writer.Delete]); each of those is decided as of its own
// position, where the object still exists, so a consumer receives the relationships'
// deletes, then the object's, the seed's step 5. With resolution on, when an object leaves
// the filters (or becomes invisible), its relationships that resolution sent with it are
// deleted first (as dependencies), then the object. Which ones "were sent" is recomputed
// from the store as of the event (relationships the principal may see, with every other
// end visible) rather than remembered, so it is also right after a reconnect or a cache
// expiry. Merges: the store deletes the sources' relationships first, each with its own
// event; when the target is a member after the merge, one merge message carries it, with
// the sources the principal may see in [Message.Sources] (consumers upsert the target and
// delete the sources); otherwise every source that was a member, then the target if it was
// one, is deleted.
//
// # Time
//
// Every decision about an event — membership, dependencies, relationships and the
// visibility of their ends — reads the store as of the event's position ([store.At] over
// the subscriber's [store.History]), never as the store is when the event happens to be
// processed (docs/live-streams.md §3). So a subscriber that is behind (a replay from 0, a reconnect,
// a consumer slower than the writes) sends exactly what a caught-up one sent, given the
// same cache clock: an object created after the event is not yet there to be a dependency,
// a relationship deleted after it still has its ends, a dependency is sent in the version
// it had then. A store must retain what the as-of reads need as long as its log retains
// the events (store.History); reading a position older than the log is [store.ErrGap].
//
// Filters are decided the same way. A filter with relationship keys (regardingOf,
// connectedToId, containers, sightedBy), relative dates (now-7d) or the record times
// (created_at, updated_at) is bound per event (filter.Matcher.Bind, through
// store/storefilter): an event's prev as of the position just before it, its cur as of its
// own position, "now" being the event's time. An event that changes what the relationship
// keys read (a relationship or sighting with a named end, a named container) also decides
// the objects it affects (filter.Matcher.Affected), each as of both positions: one that
// starts to match enters (create, with its group), one that stops leaves (delete, with
// resolution after the relationships sent with it); the changed relationship itself is
// not sent twice. So a relationship created makes its end enter, and the same relationship
// deleted makes it leave. Other filters are bound once.
//
// # Groups and Seq
//
// The messages of one event are one group. The engine plans the group in full — as if the
// subscriber held nothing — from the store as of the event, orders it deterministically,
// and numbers it: [Message.Seq] is a message's index in that full plan. It then leaves out
// the dependencies the cache says the subscriber holds (the object the event is about is
// always sent). So Seq depends only on the log, the definition and the principal; it
// strictly increases along a group; and the kept messages keep the full plan's relative
// order whatever the cache held. A consumer that received a group up to Seq k and
// reconnects is served, by a subscriber that recomputes the same full plan, the messages
// with a greater Seq: none of the group again, none lost (the HTTP layer carries Seq in its
// frame ids). Groups of deletes do not depend on the cache: their Seq is their index.
//
// Inferences ([Inferred]) are skipped, as dependencies too, unless [Options.WithInferences].
//
// # Shared work
//
// Process is two steps. Planning makes the group's full plan (above): it reads the event,
// the store as of it, the definition and filters, the options in effect and the
// principal's redaction class ([access.Visibility.ClassKey]), and never the sent cache.
// Applying the plan is the subscriber's own: it leaves out the dependencies its cache
// holds and updates the cache. Subscribers given the same [Share]
// ([SubscriberOptions.Share]) plan each event once per class of subscribers and share the
// plan, with each message's encoded frame data, within the Share's bounds; a [Handler]
// gives all its connections one. Classes are keyed by everything a plan depends on, so a
// plan never reaches a subscriber for which it would differ (see [Share]). Recovery
// snapshots are planned by each subscriber alone: what they repeat depends on its cache.
//
// # The cache
//
// Each subscriber remembers what it sent for [Options.CacheTTL] (default 5 minutes, as
// OpenCTI documents) and at most [Options.CacheSize] objects (default 10,000; the oldest
// sends are forgotten first), on the clock of [SubscriberOptions.Clock]. A dependency sent
// within the lifetime is not sent again; the object an event is about always is. An entry
// lives from its last send (finding it does not extend it). Deleting an object forgets it,
// and so does any change to it that the subscriber does not receive, since its copy is
// stale: the next object that needs it sends the new version.
//
// What a subscriber costs in the steady state, whatever the stream's size: its cache,
// about 44 bytes an entry (a 64-bit hash of the id and a send time, in a send queue and an
// open-addressing index; a full default cache of 10,000 entries is about 440 kB, an empty
// one a few hundred bytes), and the scratch of
// the group it plans, which it reuses. A [Handler] connection adds one batch of log
// events, one event's messages (both reused) and the frames it buffers before it flushes
// (its share of 64 MiB among the Handler's connections, between 4 and 32 KiB). With
// 10,000 connections in one process the heap measured about 5.7 kB a connection with
// empty caches, and about 65 kB after 1,000 events each, mostly the cache's 1,000
// entries (BENCHMARKS.md, "Fan-out"). A plan shared through a [Share] is held once
// for all the subscribers of its class, within the Share's bounds.
//
// # Recovery
//
// [Subscriber.RecoverBatches] is the snapshot of a from..recover window, read as of at,
// the log position the snapshot stands for: every object that was a member then and whose
// last change ([store.Record.Updated]) lies in the window, each as a create after its
// dependencies (as of at too), in the order of last change, stamped with at. An object
// created or changed again after at is left to the live events after at, which send it
// whole. The snapshot comes in batches of about a given number of messages, an object's
// group never split, so that a connection holds one batch (plus one scan page and its
// cache) whatever the snapshot's size; Seq numbers the messages across the snapshot
// (the same for the same arguments while no object of the window changes after at: the
// scan reads current records, as the storage contract has no scan as of a position).
// [Subscriber.Recover] collects all the batches. A snapshot starts the subscriber afresh:
// its cache is cleared first (events before at may have been lost, as after a gap), then
// filled like live messages fill it, which also keeps the snapshot from repeating an object
// (one larger than [Options.CacheSize] may repeat a dependency). The window selects by the
// filters themselves (pushed down to stores implementing [store.FilterPushdown]);
// relationships come with their matching ends, as live, so a relationship whose end
// changed outside the window is not in the snapshot even if it changed inside it.
//
// How the HTTP layer writes recovered frames (their ids, and OpenCTI's origins
// "init-create" and "init-dependencies") is for the handler to say.
//
// # Frame ids
//
// Every frame that carries a change has an id of OpenCTI's form "<milliseconds>-<sequence>"
// (decimal, the form of a Redis stream id and of [store.Position]). The last frame of an
// event's group carries the event's log position E. Each earlier frame carries a mid-group
// id built from P, the position the connection had completed before the group (the
// previous event's position, or the resume point), and the message's [Message.Seq] s:
//
//	<P's milliseconds>-<P's sequence + (s+1)·2^32>
//
// For example, after P = 1705309260000-3 the frames with Seq 0 and 1 of a three-frame group
// are 1705309260000-4294967299 and 1705309260000-8589934595, and the last is E itself.
// Stores assign sequences below [store.MaxSeq] (2^32), so a mid-group id is never an
// event's position, and the handler decodes it back: resume after P, without the messages
// of the next group whose Seq is at most s. Since Seq depends only on the log, the
// definition and the principal, the recomputed group is the same, and the consumer gets
// exactly the frames it lacks (a consumer cut after every few frames still progresses).
// The frames of a recovery snapshot are one group after the resume point, numbered
// across the snapshot, the last one carrying the position the snapshot stands for. A
// snapshot is computed from the current records (those changed after its position are left
// to their live events), so when an object of its window changed since, a consumer cut off
// inside it gets the snapshot whole again (creates are idempotent): a repeat, never a loss.
// A read-form position with the sequence "end of the millisecond" (a date's, a log's
// origin) is written with the sequence 2^32-1.
//
// Why OpenCTI's consumers stay compatible: they treat an id as an opaque string that they
// save and send back (pycti's ListenStream stores the id of every frame, heartbeats
// included, as its start_from and reconnects with it as Last-Event-ID), and the ones that
// read a date from it parse the part before the dash as Unix milliseconds, which is P's,
// at most the group's own time. The sequence stays below 2^53 for groups of fewer than
// 2^21 (about two million) messages, so even a consumer that parses it into a JavaScript
// number writes it back unchanged. What differs from OpenCTI, which gives every frame of
// a group the event's id: ids are not all in Redis order (when P and E share a
// millisecond, a mid-group id sorts after E), so a consumer must not drop a frame because
// its id compares lower than one it saw; pycti does not compare ids.
//
// Recovery snapshots: OpenCTI's stream code (sseMiddleware.js) sends each recovered object
// as a create with origin {"referer":"init-create"} and its dependencies with
// {"referer":"init-dependencies"}, all with an id made of the object's updated_at
// milliseconds and sequence 0, and then reads its log from the recover date. The handler
// writes the same origins; its ids are the snapshot's mid-group ids above, so that a cut
// inside a snapshot resumes exactly (OpenCTI's updated_at ids resume by date, repeating or
// skipping objects that share a millisecond).
//
// # Errors
//
// [NewSubscriber], [Subscriber.SetDefinition], [Definition.Validate], [ParseDefinition] and
// [Options.Validate] return [FieldError]s naming the field, joined with errors.Join; every
// one wraps [ErrInvalid] and its cause (a filter's *filter.ValidationError, for instance).
// [Subscriber.Process], [Subscriber.RecoverBatches] and [Subscriber.Recover] return the
// store's errors wrapped with what was being looked up (an as-of read of a position the
// log no longer covers wraps [store.ErrGap]), the context's error when it is done, and an
// error wrapping ErrInvalid for an event of unknown kind. After an error the subscriber is
// still usable, but the event's messages were not produced: the caller retries the event
// or recovers.
//
// Over HTTP, [Handler] answers refusals in plain text with their status (401 with
// WWW-Authenticate, 403, 404, 410, 400 naming the parameter, 405); [Definitions.Get]
// reports an unknown stream with an error wrapping [ErrUnknownStream]. [Client] returns a
// *[StatusError] for 401, 403, 404 and 410 (not retried) and an error wrapping
// [ErrBadFrame] for a frame whose data it cannot decode; [Mirror] returns the local
// store's errors wrapped with the message being applied.
//
// # Concurrency
//
// A [Definition] and [Options] are plain values. A [Subscriber] is not safe for concurrent
// use: one connection owns one Subscriber, and calls Process, RecoverBatches (iterating
// it), Recover and SetDefinition from one goroutine (or with its own locking). Subscribers
// share nothing with each other but the [Share] they may be given, which is safe for
// concurrent use, so any number may run in parallel on one store; the store, the
// Visibility and the principal they read are safe for concurrent use. Messages of a shared
// plan hold the same objects for every subscriber of its class: do not modify them.
//
// [Handler], [Registry] and [Client] are safe for concurrent use: each connection of a
// Handler runs in its request's goroutine with its own Subscriber, and ends when the request
// context ends or [Handler.Close] is called (http.Server.Shutdown alone does not end
// streaming responses). A [Mirror] is safe for concurrent use if its target store is, but
// messages must be applied in stream order.
package stream
