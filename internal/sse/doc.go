// Package sse is the protocol layer of Server-Sent Events used by the live streams: a [Writer]
// that frames events for an HTTP response (see [SetHeaders] for OpenCTI's headers), a [Reader]
// that parses an event stream ([Reader.Next], or the [Reader.All] iterator) exactly as the
// WHATWG HTML specification's "event stream interpretation" prescribes, and a reconnecting
// [Client] that resumes with Last-Event-ID.
//
// It knows nothing of STIX or of what the events mean; package stream builds its frames
// (connected, heartbeat, create, update, merge, delete) on top of it.
//
// What a [Writer] writes a [Reader] reads back unchanged, except that line ends inside data
// (CRLF, CR) come back as LF, and that a read event's ID is the last id in force (ids persist
// across events) while [Event.HasID] tells whether the event carried its own.
//
// # Errors
//
//   - [ErrInvalidField]: an id or event name containing CR, LF or NUL, or a negative retry,
//     refused by the Writer before anything is buffered.
//   - [ErrTooLarge]: a line or an event's data over [ReaderOptions.MaxEventSize]; the Reader
//     stops there instead of growing without bound.
//   - [*StatusError]: a response status that ends a [Client.Stream] (401, 403, 404, 410 and
//     other 4xx except 408 and 429); 5xx, 408 and 429 are retried.
//   - [ErrNotEventStream], [ErrTooManyFailures]: a Client.Stream that cannot go on.
//   - [ErrIdleTimeout]: never yielded; it is the reason given to
//     [ClientOptions.OnReconnect] when a silent connection is replaced.
//
// All are checked with errors.Is (errors.As for *StatusError); messages wrap the details.
//
// # Concurrency
//
// A Writer is safe for concurrent use (a heartbeat goroutine and an event loop may share one);
// each frame is written whole. A Reader is not: one goroutine parses one stream. A Client is safe
// for concurrent use and starts no goroutine of its own beyond a timer callback per connection;
// everything a Stream iteration holds is released when the loop ends, when the consumer breaks
// out of it, or when its context ends.
package sse
