// Command feedserver serves every ctifeed feed — a live stream, TAXII 2.1, CSV feeds and the
// IoC stream — from one process on the in-memory store, seeded with self-contained demo
// data. It prints the URLs, demo credentials and ready-to-paste curl commands on start.
//
//	go run ./examples/feedserver                 # listen on 127.0.0.1:8080
//	go run ./examples/feedserver -addr :9000 -simulate 2s
//
// With -simulate the server keeps changing its data (labels added and removed, indicators
// created and deleted) so the live stream shows activity. Ctrl-C shuts it down cleanly.
package main
