package demoserver

import (
	"context"
	"fmt"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/boltstore"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/pgstore"
	"github.com/ctifeed/ctifeed/taxii"
)

// storage is where the platform keeps its state: objects and log, IoC notifications, TAXII
// statuses and the TAXII `next` signing key. Each engine fills it in openStore.
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

// cursorKeySecret is the name of the TAXII `next` signing key in a durable store.
const cursorKeySecret = "taxii-next-key"

// openStore opens the storage cfg names: a bbolt store in cfg.Data when set, a PostgreSQL
// database when cfg.Store is set, else memory. It is the one place where an engine is
// chosen; add new ones here.
func openStore(ctx context.Context, cfg Config) (*storage, error) {
	if cfg.Store != "" {
		if cfg.Data != "" {
			return nil, fmt.Errorf("-data and -store both name a store: give one")
		}
		return openPostgres(ctx, cfg.Store)
	}
	if cfg.Data == "" {
		return &storage{store: memstore.New(nil), ioc: iocstream.NewMemStore(nil),
			describe: "in-memory store: nothing is kept after exit; -data DIR keeps it", close: func() error { return nil }}, nil
	}
	s, err := boltstore.Open(cfg.Data, nil)
	if err != nil {
		return nil, err
	}
	key, err := s.Secret(ctx, cursorKeySecret, 32)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("reading the TAXII next key from %s: %w", cfg.Data, err)
	}
	return &storage{store: s, ioc: s.Notifications(nil), statuses: s.Statuses(), cursorKey: key,
		describe: "bbolt store in " + cfg.Data, close: s.Close}, nil
}

// openPostgres opens a pgstore on dsn. Several servers may share the database: the TAXII
// `next` key is one secret kept in it, so every node signs and accepts the same tokens.
func openPostgres(ctx context.Context, dsn string) (*storage, error) {
	s, err := pgstore.Open(ctx, dsn, nil)
	if err != nil {
		return nil, err
	}
	key, err := s.Secret(ctx, cursorKeySecret, 32)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("reading the TAXII next key: %w", err)
	}
	return &storage{store: s, ioc: s.IoC("demo", nil), statuses: s.Statuses(), cursorKey: key,
		describe: "PostgreSQL store", close: func() error { s.Close(); return nil }}, nil
}
