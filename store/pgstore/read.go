package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// recordRow's read form: the columns every record query selects.
const readColumns = "id, raw, added, updated"

func scanRecord(rows pgx.CollectableRow) (store.Record, error) {
	var id string
	var raw []byte
	var added, updated int64
	if err := rows.Scan(&id, &raw, &added, &updated); err != nil {
		return store.Record{}, err
	}
	o, err := stix.Parse(raw)
	if err != nil {
		return store.Record{}, fmt.Errorf("pgstore: stored object %s does not parse: %w", id, err)
	}
	return store.Record{Object: o, DateAdded: time.Unix(0, added).UTC(), Updated: time.Unix(0, updated).UTC()}, nil
}

func (s *Store) records(ctx context.Context, what, sql string, args ...any) ([]store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, s.wrap(ctx, what, err)
	}
	out, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, s.wrap(ctx, what, err)
	}
	return out, nil
}

func idStrings(ids []stix.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

func byID(recs []store.Record) map[stix.ID]store.Record {
	m := make(map[stix.ID]store.Record, len(recs))
	for _, r := range recs {
		m[r.Object.ID()] = r
	}
	return m
}

// Get implements [store.Reader].
func (s *Store) Get(ctx context.Context, id stix.ID) (store.Record, error) {
	recs, err := s.records(ctx, "reading "+string(id),
		"SELECT "+readColumns+" FROM ctifeed_records WHERE id = $1 AND to_lsn IS NULL", string(id))
	if err != nil {
		return store.Record{}, err
	}
	if len(recs) == 0 {
		return store.Record{}, notFound(id)
	}
	return recs[0], nil
}

// GetMany implements [store.Reader].
func (s *Store) GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]store.Record, error) {
	recs, err := s.records(ctx, "reading objects",
		"SELECT "+readColumns+" FROM ctifeed_records WHERE id = ANY($1) AND to_lsn IS NULL", idStrings(ids))
	if err != nil {
		return nil, err
	}
	return byID(recs), nil
}

// Versions implements [store.Reader].
func (s *Store) Versions(ctx context.Context, id stix.ID) ([]store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// One statement: the older versions and the current record from the same snapshot.
	rows, err := s.pool.Query(ctx, `SELECT id, raw, added, updated FROM (
			SELECT v.id, v.raw, r.added, v.stored AS updated, v.n FROM ctifeed_versions v
				JOIN ctifeed_records r ON r.id = v.id AND r.to_lsn IS NULL WHERE v.id = $1
			UNION ALL
			SELECT id, raw, added, updated, 2147483647 FROM ctifeed_records WHERE id = $1 AND to_lsn IS NULL
		) x ORDER BY n`, string(id))
	if err != nil {
		return nil, s.wrap(ctx, "reading versions", err)
	}
	out, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, s.wrap(ctx, "reading versions", err)
	}
	if len(out) == 0 {
		return nil, notFound(id)
	}
	return out, nil
}

// RelationsOf implements [store.Reader].
func (s *Store) RelationsOf(ctx context.Context, id stix.ID) ([]store.Record, error) {
	return s.records(ctx, "reading relations", "SELECT "+readColumns+
		" FROM ctifeed_records WHERE ends @> ARRAY[$1]::text[] AND to_lsn IS NULL ORDER BY id", string(id))
}

// Count implements [store.Counter] from a counter the writers keep in the log head.
func (s *Store) Count(ctx context.Context) (int, error) {
	h, err := s.readHead(ctx)
	if err != nil {
		return 0, err
	}
	return int(h.objects), nil
}

// atLSN is the SQL for the lsn of the last event at or before the position ($1, $2):
// records valid then have from_lsn <= it < to_lsn. When that event was dropped, the
// position is Dropped itself (older ones fail the bounds check), whose lsn the head keeps.
const atLSN = `(SELECT greatest(h.dropped_lsn, coalesce((SELECT lsn FROM ctifeed_log
	WHERE (ms, seq) <= ($1, $2) ORDER BY ms DESC, seq DESC LIMIT 1), 0)) FROM ctifeed_head h)`

// asOf runs a records query as of at in one pipelined round trip: the head (to check at
// against the bounds), the query, and the head again (if retention moved past at
// meanwhile, rows the answer needed may be gone: that is a gap).
func (s *Store) asOf(ctx context.Context, at store.Position, what, sql string, args ...any) ([]store.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ms, seq := sqlPos(at)
	var before, after head
	var recs []store.Record
	b := &pgx.Batch{}
	b.Queue("SELECT " + headColumns + " FROM ctifeed_head").QueryRow(func(row pgx.Row) (err error) {
		before, err = scanHead(row)
		return err
	})
	b.Queue(sql, append([]any{ms, seq}, args...)...).Query(func(rows pgx.Rows) (err error) {
		recs, err = pgx.CollectRows(rows, scanRecord)
		return err
	})
	b.Queue("SELECT " + headColumns + " FROM ctifeed_head").QueryRow(func(row pgx.Row) (err error) {
		after, err = scanHead(row)
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, s.wrap(ctx, what, err)
	}
	if err := before.bounds().Check(at); err != nil {
		return nil, fmt.Errorf("%s as of %s: %w", what, at, err)
	}
	if err := after.bounds().Check(at); errors.Is(err, store.ErrGap) {
		return nil, fmt.Errorf("%s as of %s: %w", what, at, err)
	}
	return recs, nil
}

// GetManyAt implements [store.History].
func (s *Store) GetManyAt(ctx context.Context, at store.Position, ids []stix.ID) (map[stix.ID]store.Record, error) {
	recs, err := s.asOf(ctx, at, "reading objects", "SELECT "+readColumns+` FROM ctifeed_records
		WHERE id = ANY($3) AND from_lsn <= `+atLSN+` AND (to_lsn IS NULL OR to_lsn > `+atLSN+`)`, idStrings(ids))
	if err != nil {
		return nil, err
	}
	return byID(recs), nil
}

// RelationsOfAt implements [store.History].
func (s *Store) RelationsOfAt(ctx context.Context, at store.Position, id stix.ID) ([]store.Record, error) {
	return s.asOf(ctx, at, "reading relations", "SELECT "+readColumns+` FROM ctifeed_records
		WHERE ends @> ARRAY[$3]::text[] AND from_lsn <= `+atLSN+` AND (to_lsn IS NULL OR to_lsn > `+atLSN+`)
		ORDER BY id`, string(id))
}
