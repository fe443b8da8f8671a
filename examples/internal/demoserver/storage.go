package demoserver

import (
	"fmt"

	"github.com/ctifeed/ctifeed/server"
)

// storeConfig is the server.StoreConfig the flags name, and its banner description: -data
// DIR is server's bolt engine, -store DSN its postgres engine, neither its memory engine.
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
