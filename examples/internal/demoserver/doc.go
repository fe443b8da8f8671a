// Package demoserver is the demo platform behind examples/feedserver: one store (in memory,
// or a bbolt store in a directory, chosen in openStore) seeded with package demodata's objects, served as a live stream, TAXII 2.1 collections,
// CSV feeds and the IoC stream, with demo credentials. It lives here, not in the command,
// so that the example clients' tests can start the same server.
package demoserver
