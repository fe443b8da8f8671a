package server

import (
	"context"

	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/taxii"
)

// Engine opens the store a configuration names. It returns the store and a function that
// closes it (called once, after everything using the store has stopped). Durable engines
// keep ingestion positions with their data; see [Checkpoints].
type Engine func(ctx context.Context, cfg StoreConfig) (Opened, error)

// Opened is an open store engine.
type Opened struct {
	// Store is the platform's store.
	Store store.Store
	// Checkpoints keeps ingestion positions; nil keeps them in memory (right for an
	// engine whose data does not survive a restart either: a restarted source then
	// re-reads from the start, and the idempotent writes store nothing twice).
	Checkpoints Checkpoints
	// IoC keeps the IoC stream's notifications (nil: in memory).
	IoC iocstream.Store
	// Statuses keeps TAXII status resources (nil: in memory).
	Statuses taxii.StatusStore
	// CSVWindows keeps CSV feeds' latest windows (nil: in memory); a shared one makes
	// every node publish the same windows and a restarted node continue them.
	CSVWindows csvfeed.WindowState
	// Streams keeps the live-stream definitions (nil: in memory, so run-time streams are
	// lost on restart); a shared one makes a change on one node reach every node.
	Streams StreamStore
	// CursorKey signs TAXII `next` tokens; give every node of one platform the same key,
	// kept with the data, so tokens survive restarts and work on any node (nil: a random
	// key per process).
	CursorKey []byte
	// Durable says whether the data survives a restart (the banner says so).
	Durable bool
	// Close releases the engine; nil for nothing to release.
	Close func() error
}

// BuiltinEngines returns the engines this package knows by name, in a new map a host may
// extend before passing it in [Options.Engines].
func BuiltinEngines() map[string]Engine {
	return map[string]Engine{"memory": openMemory, "bolt": openBolt, "postgres": openPostgres}
}

func openMemory(_ context.Context, cfg StoreConfig) (Opened, error) {
	return Opened{Store: memstore.New(&memstore.Options{MaxEvents: cfg.MaxEvents})}, nil
}

func (c *Config) engine() string {
	if c.Store.Engine == "" {
		return "memory"
	}
	return c.Store.Engine
}
