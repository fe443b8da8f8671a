package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/taxii"
)

// StatusStore is a [taxii.StatusStore] on the store's database: a status resource stored
// by a POST on one node can be polled on every node that opens the same database. Expired
// statuses are discarded (by time.Now) on each PutStatus. Make one with [Store.Statuses];
// it is safe for concurrent use and needs no closing.
type StatusStore struct{ s *Store }

var _ taxii.StatusStore = StatusStore{}

// Statuses returns the store's TAXII status store, for [taxii.HandlerOptions].Statuses.
func (s *Store) Statuses() StatusStore { return StatusStore{s: s} }

// PutStatus implements [taxii.StatusStore].
func (st StatusStore) PutStatus(ctx context.Context, rec taxii.StatusRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	body, err := json.Marshal(rec.Status)
	if err != nil {
		return fmt.Errorf("pgstore: encoding status %q: %w", rec.Status.ID, err)
	}
	b := &pgx.Batch{}
	b.Queue("DELETE FROM ctifeed_taxii_status WHERE expires <= $1", time.Now().UnixNano())
	b.Queue(`INSERT INTO ctifeed_taxii_status (root, id, owner, expires, status) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (root, id) DO UPDATE SET owner = excluded.owner, expires = excluded.expires, status = excluded.status`,
		rec.Root, rec.Status.ID, rec.Owner, nanos(rec.Expires), body)
	if err := st.s.pool.SendBatch(ctx, b).Close(); err != nil {
		return st.s.wrap(ctx, "storing status "+rec.Status.ID, err)
	}
	return nil
}

// GetStatus implements [taxii.StatusStore].
func (st StatusStore) GetStatus(ctx context.Context, root, id string, now time.Time) (taxii.StatusRecord, error) {
	if err := ctx.Err(); err != nil {
		return taxii.StatusRecord{}, err
	}
	var rec taxii.StatusRecord
	var expires int64
	var body []byte
	err := st.s.pool.QueryRow(ctx, "SELECT owner, expires, status FROM ctifeed_taxii_status WHERE root = $1 AND id = $2 AND expires > $3",
		root, id, nanos(now)).Scan(&rec.Owner, &expires, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return taxii.StatusRecord{}, fmt.Errorf("%w: %q", taxii.ErrStatusNotFound, id)
	}
	if err != nil {
		return taxii.StatusRecord{}, st.s.wrap(ctx, "reading status "+id, err)
	}
	if err := json.Unmarshal(body, &rec.Status); err != nil {
		return taxii.StatusRecord{}, fmt.Errorf("pgstore: stored status %q does not decode: %w", id, err)
	}
	rec.Root = root
	rec.Expires = time.Unix(0, expires).UTC()
	return rec, nil
}
