// Package csvfeed generates and serves CSV feeds: files regenerated at an interval whose
// entries are the objects that match a feed's filters and were created or modified in the
// platform within a time window, newest first, at most the 5,000 most recent.
//
// A [Definition] is OpenCTI's feed definition (filters, feed types, separator, header,
// rolling time, date attribute, columns with per-type mappings and multi-match strategy,
// public or restricted with authorized members) plus this package's interval, cap, window
// mode and formula switch; it round-trips through JSON and [Definition.Validate] names the
// member at fault. [Compile] turns it into a [Feed], whose [Feed.Generate] renders the
// [File] of one [Window] for one principal. A [Scheduler] regenerates feeds at their
// intervals, with the window since the previous generation (the seed's rule, the default)
// or a rolling window (OpenCTI's); a [Handler] serves the latest file at OpenCTI's path
// {prefix}/feeds/{id}. [Writer] is the RFC 4180 writer the files are made with.
//
// # Windows and the cap
//
// A window is half-open, [Since, Until), over the platform's time of each record: its last
// change (updated_at, the default, "created or modified in the platform") or when it was
// first stored (created_at). The [Scheduler] closes each window at a log position, the
// store's own order, not at a clock reading: since-previous windows start where the
// previous one closed, so every change falls in exactly one file whatever the clocks'
// precision, and every file of a window is the store as it was when the window closed,
// whenever it is first asked for (see [Window]; a file asked for after the log's
// retention dropped the changes since the close fails with store.ErrGap). Generation
// scans the store newest first within the window and stops after the cap; the ids
// changed since the close are read as of the close and merged in, so a window holding a
// million objects costs no more than one holding the cap plus the changes since it
// closed.
//
// # Columns
//
// A column's value for an object comes from the first of its mappings whose entity type
// the object has (matched as the filter key entity_type matches it: Indicator, StixFile,
// IPv4-Addr, Stix-Cyber-Observable, …); with no such mapping the cell is empty (OpenCTI
// drops the cell and shifts the row). A mapping reads a path of property names (see
// [Mapping]) from the object, or, with a relationship type and a target entity type, from
// the objects at the other end of its relationships of that type. Several values are
// joined with the multi-match separator (strategy list) or reduced to the first (first).
//
// # Safety
//
// Every row is an object the principal may see (access.Visibility.CanSee), redacted as
// the principal may receive it (access.Visibility.Redact); neighbour values come only from
// relationships and neighbours the principal may see. Cells are quoted per RFC 4180,
// including those holding CR or LF (OpenCTI does not quote those), and cells that a
// spreadsheet would execute as a formula (starting with = + - @ tab or CR) get a leading
// apostrophe unless the definition sets allow_formulas.
//
// # Differences from OpenCTI
//
// Where OpenCTI's behaviour differs, the seed and safety decide, and the choice is
// documented here: the default window is the time since the previous generation (set
// window "rolling" for OpenCTI's), and the default date attribute is updated_at, the
// seed's "created or modified" (OpenCTI defaults to created_at). The header is joined
// with the feed's separator, as the data rows are. A column without a mapping for an
// object's type is an empty cell, never a dropped one. Every cell is quoted per RFC 4180
// and formulas are neutralised. The multi-match strategy applies to every multi-valued
// column, not only to neighbours. A public feed runs as its configured public principal,
// never as an all-seeing system user. Attribute paths are STIX property paths: OpenCTI's
// internal attribute names that STIX does not carry must be mapped to where its STIX
// export puts them (x_opencti_score, or its extension). Sightings are not neighbours.
//
// # Errors
//
// [Definition.Validate] and [Compile] return every problem of a definition, each a
// *[FieldError] wrapping [ErrInvalid], joined with errors.Join. Other sentinel errors,
// checked with errors.Is: [ErrInvalid] (bad options or window), [ErrNotFound] (no feed
// with the id) and [ErrNotGenerated] (the scheduler has not generated the feed yet).
// Store errors are returned as the store gave them. The handler answers 401, 403, 404,
// 405 and 503 with a one-line plain-text message.
//
// # Concurrency
//
// [Feed], [File], [Scheduler] and [Handler] are safe for concurrent use; a File never
// changes once made. [Scheduler.Run] runs one goroutine per feed and stops them all
// before it returns when its context ends. A [Writer] is for one goroutine; a
// [Definition] is plain data.
package csvfeed
