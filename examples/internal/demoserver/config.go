package demoserver

import "time"

// Config is what examples/feedserver's flags set.
type Config struct {
	// Addr is the address to listen on (host:port; port 0 picks a free one).
	Addr string
	// Simulate, if positive, changes the demo data at this interval.
	Simulate time.Duration
	// Indicators is how many demo indicators to generate (default 300).
	Indicators int
	// Data is the directory of a durable store (boltstore) that keeps objects, the log, IoC
	// notifications, TAXII statuses and the TAXII `next` key across restarts; demo data is
	// seeded only when it is empty. "" keeps everything in memory.
	Data string
	// Store is the DSN of a PostgreSQL database (postgres://…) that keeps the same state as
	// Data does, shared by every server started on it (store/pgstore). At most one of Data
	// and Store may be set.
	Store string
}
