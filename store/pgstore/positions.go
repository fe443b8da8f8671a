package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// Positions keeps ingestion positions (each source's opaque resume point: a file digest, a
// TAXII added_after date, a live-stream event id) in the store's database, so that a
// restarted node resumes its sources and every node sees the position any of them saved.
// It implements the server package's Checkpoints. Make one with [Store.Positions]; it is
// safe for concurrent use and needs no closing.
type Positions struct{ s *Store }

// Positions returns the store's ingestion position keeper.
func (s *Store) Positions() Positions { return Positions{s: s} }

// Load returns the saved position of source, or "" when there is none.
func (p Positions) Load(ctx context.Context, source string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var pos string
	err := p.s.pool.QueryRow(ctx, "SELECT position FROM ctifeed_ingest_positions WHERE source = $1", source).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", p.s.wrap(ctx, "reading the ingestion position of "+source, err)
	}
	return pos, nil
}

// Save records the position of source. The last save wins: a position is saved after what
// it led to is stored, so a position that lags the data only makes a source re-read what
// it already stored, which the idempotent writes store once.
func (p Positions) Save(ctx context.Context, source, position string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := p.s.pool.Exec(ctx, `INSERT INTO ctifeed_ingest_positions (source, position) VALUES ($1, $2)
		ON CONFLICT (source) DO UPDATE SET position = excluded.position`, source, position)
	if err != nil {
		return p.s.wrap(ctx, "saving the ingestion position of "+source, err)
	}
	return nil
}
