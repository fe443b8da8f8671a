package demoserver

import (
	"context"
	"fmt"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/server"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/taxii"
)

// storage is where the platform keeps its state: objects and log, IoC notifications, TAXII
// statuses and the TAXII `next` signing key, as one of package server's engines opens it.
type storage struct {
	store store.Store
	ioc   iocstream.Store
	// statuses is nil for taxii's in-memory default.
	statuses taxii.StatusStore
	// cursorKey signs TAXII `next` tokens; nil gives a random key per process, so tokens
	// do not survive a restart.
	cursorKey []byte
	// describe names the engine in the banner.
	describe string
	close    func() error
}

// storeConfig is the server.StoreConfig the flags name: -data DIR is the bolt engine,
// -store DSN the postgres engine, neither the memory engine.
func storeConfig(cfg Config) (server.StoreConfig, string, error) {
	switch {
	case cfg.Store != "" && cfg.Data != "":
		return server.StoreConfig{}, "", fmt.Errorf("-data and -store both name a store: give one")
	case cfg.Store != "":
		return server.StoreConfig{Engine: "postgres", Path: cfg.Store}, "PostgreSQL store", nil
	case cfg.Data != "":
		return server.StoreConfig{Engine: "bolt", Path: cfg.Data}, "bbolt store in " + cfg.Data, nil
	}
	return server.StoreConfig{Engine: "memory"}, "in-memory store: nothing is kept after exit; -data DIR keeps it", nil
}

// openStore opens the storage cfg names through package server's engine seam, so that the
// demo keeps its data exactly as a hub configured with the same engine does.
func openStore(ctx context.Context, cfg Config) (*storage, error) {
	sc, describe, err := storeConfig(cfg)
	if err != nil {
		return nil, err
	}
	open := server.BuiltinEngines()[sc.Engine]
	o, err := open(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("store engine %s: %w", sc.Engine, err)
	}
	st := &storage{store: o.Store, ioc: o.IoC, statuses: o.Statuses, cursorKey: o.CursorKey,
		describe: describe, close: o.Close}
	if st.ioc == nil { // the engine keeps notifications in memory
		st.ioc = iocstream.NewMemStore(nil)
	}
	if st.close == nil {
		st.close = func() error { return nil }
	}
	return st, nil
}
