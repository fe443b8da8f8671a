// Command feedserver serves every ctifeed feed — a live stream, TAXII 2.1, CSV feeds and the
// IoC stream — from one process, seeded with self-contained demo data. It prints the URLs,
// demo credentials and ready-to-paste curl commands on start. The hub itself is package
// server, configured in Go (examples/internal/demoserver: the demo users, token,
// organizations and feeds as a server.Config), so it has the hub's metrics (/metrics),
// health endpoints (/healthz, /readyz), timeouts and limits.
//
//	go run ./examples/feedserver                 # listen on 127.0.0.1:8080, in memory
//	go run ./examples/feedserver -addr :9000 -simulate 2s
//	go run ./examples/feedserver -data ./ctifeed-data
//	go run ./examples/feedserver -store postgres://ctifeed@localhost/ctifeed
//
// By default everything is in memory (server's memory engine) and lost on exit. With -data
// DIR (server's bolt engine) everything (objects,
// the change log, IoC notifications, TAXII statuses and the key that signs TAXII `next`
// tokens) is kept in DIR/ctifeed.db (store/boltstore); a restart serves the same objects,
// continues the log's positions, and consumers resume where they were. Demo data is seeded
// only into an empty store. A second server on the same DIR exits, saying another ctifeed
// process is using it.
//
// With -store DSN (server's postgres engine) the same state lives in a PostgreSQL database
// (store/pgstore), and several
// servers started on the same database serve one platform: a TAXII `next` token, a status
// id or a live-stream position from one works on the others.
//
// With -simulate the server keeps changing its data (labels added and removed, indicators
// created and deleted) so the live stream shows activity. Ctrl-C shuts it down cleanly.
package main
