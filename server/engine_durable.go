package server

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/ctifeed/ctifeed/store/boltstore"
	"github.com/ctifeed/ctifeed/store/pgstore"
)

// cursorKeySecret names the TAXII `next` signing key kept in a durable store, so that
// tokens survive restarts and, on PostgreSQL, work on every node.
const cursorKeySecret = "taxii-next-key"

// openBolt opens store/boltstore in the directory cfg.Path; ingestion positions, CSV
// feeds' windows and live-stream definitions go to files in the same directory, so a
// backup of the directory carries them with the data.
func openBolt(ctx context.Context, cfg StoreConfig) (Opened, error) {
	if cfg.Path == "" {
		return Opened{}, fmt.Errorf("store.path: the bolt engine needs a directory")
	}
	s, err := boltstore.Open(cfg.Path, nil)
	if err != nil {
		return Opened{}, err
	}
	key, err := s.Secret(ctx, cursorKeySecret, 32)
	if err != nil {
		s.Close()
		return Opened{}, err
	}
	cps, err := OpenFileCheckpoints(filepath.Join(cfg.Path, "ingest-positions.json"))
	if err != nil {
		s.Close()
		return Opened{}, err
	}
	wins, err := OpenFileCSVWindows(filepath.Join(cfg.Path, "csv-windows.json"))
	if err != nil {
		s.Close()
		return Opened{}, err
	}
	defs, err := OpenFileStreamDefinitions(filepath.Join(cfg.Path, "stream-definitions.json"))
	if err != nil {
		s.Close()
		return Opened{}, err
	}
	return Opened{Store: s, IoC: s.Notifications(nil), Statuses: s.Statuses(), CursorKey: key,
		Checkpoints: cps, CSVWindows: wins, Streams: defs, Durable: true, Close: s.Close}, nil
}

// openPostgres opens store/pgstore on the connection string cfg.Path. Ingestion positions
// and live-stream definitions are kept in the database with the data, so a restarted node,
// or another node of the same platform, resumes its sources where they stopped and serves
// the streams any node defined (seen within pgstore's refresh interval, 1 s).
func openPostgres(ctx context.Context, cfg StoreConfig) (Opened, error) {
	if cfg.Path == "" {
		return Opened{}, fmt.Errorf("store.path: the postgres engine needs a connection string")
	}
	s, err := pgstore.Open(ctx, cfg.Path, nil)
	if err != nil {
		return Opened{}, err
	}
	key, err := s.Secret(ctx, cursorKeySecret, 32)
	if err != nil {
		s.Close()
		return Opened{}, err
	}
	return Opened{Store: s, IoC: s.IoC("hub", nil), Statuses: s.Statuses(), CursorKey: key,
		Checkpoints: s.Positions(), CSVWindows: s.CSVWindows(), Streams: s.StreamDefinitions(nil), Durable: true,
		Close: func() error { s.Close(); return nil }}, nil
}
