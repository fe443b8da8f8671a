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
// # Errors
//
// [LoadConfig] and [Config.Validate] return errors naming the file, the line and the field
// at fault ([ConfigError]); unknown fields are errors.
//
// # Concurrency
//
// A [Server] is safe for concurrent use; [Server.Serve] may be called once.
package server
