// Package demoserver is the demo platform behind examples/feedserver: one store, opened
// through package server's engine seam (memory; -data DIR: the bolt engine; -store DSN: the
// postgres engine) and seeded with package demodata's objects, served as a live stream,
// TAXII 2.1 collections, CSV feeds and the IoC stream, with demo credentials. It lives
// under examples/internal, not in the command, so that the example clients' tests can start
// the same server.
package demoserver
