// Package server turns one configuration into a running CTI feed hub: a store, users and
// tokens, the feeds (live streams, TAXII 2.1 collections, CSV feeds, the IoC stream),
// ingestion sources (STIX bundle files, remote TAXII collections, another platform's live
// stream), HTTP hardening (timeouts, connection and subscriber caps, CORS, failed-login
// throttling, TLS), Prometheus metrics, health endpoints and JSON logs.
//
// A configuration is a [Config], written in Go or loaded from a YAML file with
// [LoadConfig]; [New] builds a [Server] from it and [Server.Serve] runs it until its
// context ends. Feed definitions inside the configuration are OpenCTI's own JSON (YAML
// being a superset of JSON, they can be pasted as they are).
//
// # Live streams defined at run time
//
// [Server.Streams] creates, changes, stops and deletes live streams while the hub runs, and
// the admin HTTP API (/admin/streams, for principals holding [CapManageStreams]) does the
// same over HTTP. Definitions are kept by the engine ([StreamStore]: in memory, in a file
// beside the bolt data, or in PostgreSQL, where every node sees a change within a second);
// open connections follow a change at their next heartbeat. The configuration's own
// streams are written into the engine at every start and cannot be changed at run time.
//
// # Errors
//
// [LoadConfig] and [Config.Validate] return errors naming the file, the line and the field
// at fault ([ConfigError]); unknown fields are errors. The admin API answers with RFC 9457
// problem documents naming the members of a definition at fault; [Streams.Put] returns
// [stream.FieldError]s and [ErrConfiguredStream].
//
// # Concurrency
//
// A [Server] is safe for concurrent use; [Server.Serve] may be called once.
package server
