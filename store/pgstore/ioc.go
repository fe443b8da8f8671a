package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ctifeed/ctifeed/iocstream"
)

// IoCStore is an [iocstream.Store] on the store's database: the notifications of one IoC
// stream, named so that several streams share the table. Every node that opens the same
// database and stream name sees the same notifications (one deleted on a node is gone on
// all). Make one with [Store.IoC]; it is safe for concurrent use and needs no closing.
type IoCStore struct {
	s         *Store
	stream    string
	retention time.Duration
	now       func() time.Time
}

var _ iocstream.Store = (*IoCStore)(nil)

// IoC returns the notification store of the stream named name; opts may be nil
// (iocstream's defaults: 7 days of retention, time.Now).
func (s *Store) IoC(name string, opts *iocstream.StoreOptions) *IoCStore {
	st := &IoCStore{s: s, stream: name, retention: iocstream.DefaultRetention, now: time.Now}
	if opts != nil && opts.Retention > 0 {
		st.retention = opts.Retention
	}
	if opts != nil && opts.Now != nil {
		st.now = opts.Now
	}
	return st
}

// minLive is the oldest date (Unix seconds) that has not expired.
func (st *IoCStore) minLive() int64 { return st.now().Add(-st.retention).Unix() + 1 }

// iocBody is the stored form of what the indexed columns do not already hold. Attributes
// are bytes (base64 in JSON) so that they come back exactly as given.
type iocBody struct {
	Sources    []iocstream.Source     `json:"s,omitempty"`
	Tags       []string               `json:"t,omitempty"`
	Hunting    *iocstream.HuntingInfo `json:"h,omitempty"`
	Attributes []byte                 `json:"a,omitempty"`
}

// Add implements [iocstream.Store]. An expired notification with the same id is replaced;
// expired ones are purged on each Add.
func (st *IoCStore) Add(ctx context.Context, n *iocstream.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := n.Validate(); err != nil {
		return err
	}
	minLive := st.minLive()
	body, err := json.Marshal(iocBody{Sources: n.Sources, Tags: n.Tags, Hunting: n.Hunting, Attributes: n.Entity.Attributes})
	if err != nil {
		return fmt.Errorf("pgstore: encoding notification %q: %w", n.ID, err)
	}
	var srcTypes, srcIDs []string
	for _, s := range n.Sources {
		srcTypes = append(srcTypes, string(s.Type))
		srcIDs = append(srcIDs, s.ID)
	}
	date := n.Date.Unix()
	b := &pgx.Batch{}
	b.Queue("DELETE FROM ctifeed_ioc WHERE stream = $1 AND date < $2", st.stream, minLive)
	var inserted int64
	if date >= minLive { // an expired notification is accepted and never seen
		b.Queue(`INSERT INTO ctifeed_ioc (stream, id, date, origin, entity_id, entity_type, source_types, source_ids, tags, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (stream, id) DO NOTHING`,
			st.stream, n.ID, date, string(n.Origin), n.Entity.ID, string(n.Entity.Type),
			nonNil(srcTypes), nonNil(srcIDs), nonNil(n.Tags), body).Exec(func(ct pgconn.CommandTag) error {
			inserted = ct.RowsAffected()
			return nil
		})
	} else {
		// It must still not share an id with a live one.
		b.Queue("SELECT count(*) FROM ctifeed_ioc WHERE stream = $1 AND id = $2", st.stream, n.ID).
			QueryRow(func(row pgx.Row) error {
				var c int64
				err := row.Scan(&c)
				inserted = 1 - c
				return err
			})
	}
	if err := st.s.pool.SendBatch(ctx, b).Close(); err != nil {
		return st.s.wrap(ctx, "adding notification "+n.ID, err)
	}
	if inserted == 0 {
		return fmt.Errorf("%w: %q", iocstream.ErrExists, n.ID)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Get implements [iocstream.Store].
func (st *IoCStore) Get(ctx context.Context, id string) (*iocstream.Notification, error) {
	ns, err := st.query(ctx, "reading notification "+id, "SELECT "+iocColumns+
		" FROM ctifeed_ioc WHERE stream = $1 AND id = $2 AND date >= $3", st.stream, id, st.minLive())
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("%w: %q", iocstream.ErrNotFound, id)
	}
	return ns[0], nil
}

// Delete implements [iocstream.Store].
func (st *IoCStore) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ct, err := st.s.pool.Exec(ctx, "DELETE FROM ctifeed_ioc WHERE stream = $1 AND id = $2 AND date >= $3", st.stream, id, st.minLive())
	if err != nil {
		return st.s.wrap(ctx, "deleting notification "+id, err)
	}
	if ct.RowsAffected() == 0 {
		return fmt.Errorf("%w: %q", iocstream.ErrNotFound, id)
	}
	return nil
}

// DeleteMatching implements [iocstream.Store].
func (st *IoCStore) DeleteMatching(ctx context.Context, q *iocstream.Query) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	where, args := st.where(q)
	ct, err := st.s.pool.Exec(ctx, "DELETE FROM ctifeed_ioc WHERE "+where, args...)
	if err != nil {
		return 0, st.s.wrap(ctx, "deleting notifications", err)
	}
	return int(ct.RowsAffected()), nil
}

// Scan implements [iocstream.Store]: a keyset query on (stream, date, id) with the
// filter's sets as array conditions, so the filter is decided in the database exactly.
func (st *IoCStore) Scan(ctx context.Context, q *iocstream.Query, opts *iocstream.ScanOptions) ([]*iocstream.Notification, error) {
	where, args := st.where(q)
	cmp, dir := ">", "ASC"
	if opts.Order == iocstream.OrderNewest {
		cmp, dir = "<", "DESC"
	}
	if opts.After != nil {
		args = append(args, opts.After.Date, opts.After.ID)
		where += fmt.Sprintf(" AND (date, id) %s ($%d, $%d)", cmp, len(args)-1, len(args))
	}
	args = append(args, opts.Limit)
	return st.query(ctx, "listing notifications", fmt.Sprintf("SELECT %s FROM ctifeed_ioc WHERE %s ORDER BY date %s, id %s LIMIT $%d",
		iocColumns, where, dir, dir, len(args)), args...)
}

// where translates q (and expiry) into a condition on the stream's rows.
func (st *IoCStore) where(q *iocstream.Query) (string, []any) {
	args := []any{st.stream, st.minLive()}
	conds := []string{"stream = $1", "date >= $2"}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if t, ok := q.From(); ok {
		add("date >= ?", t.Unix())
	}
	if t, ok := q.Before(); ok {
		add("date < ?", t.Unix())
	}
	for key, cond := range map[iocstream.FilterKey]string{
		iocstream.KeyOrigin:          "origin = ANY(?)",
		iocstream.KeyEntityID:        "entity_id = ANY(?)",
		iocstream.KeyEntityType:      "entity_type = ANY(?)",
		iocstream.KeySourceType:      "source_types && ?::text[]",
		iocstream.KeySourceID:        "source_ids && ?::text[]",
		iocstream.KeyNotificationTag: "tags && ?::text[]",
	} {
		if vs := q.Values(key); vs != nil {
			add(cond, vs)
		}
	}
	return strings.Join(conds, " AND "), args
}

const iocColumns = "id, date, origin, entity_id, entity_type, body"

func (st *IoCStore) query(ctx context.Context, what, sql string, args ...any) ([]*iocstream.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := st.s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, st.s.wrap(ctx, what, err)
	}
	ns, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*iocstream.Notification, error) {
		var n iocstream.Notification
		var date int64
		var origin, etype string
		var body []byte
		if err := row.Scan(&n.ID, &date, &origin, &n.Entity.ID, &etype, &body); err != nil {
			return nil, err
		}
		var b iocBody
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, fmt.Errorf("notification %q: stored body does not decode: %w", n.ID, err)
		}
		n.Date = time.Unix(date, 0).UTC()
		n.Origin = iocstream.Origin(origin)
		n.Entity.Type = iocstream.EntityType(etype)
		n.Entity.Attributes = b.Attributes
		n.Sources, n.Tags, n.Hunting = b.Sources, b.Tags, b.Hunting
		if n.Hunting != nil && len(n.Hunting.RuleTags) == 0 {
			n.Hunting.RuleTags = nil
		}
		return &n, nil
	})
	if err != nil {
		return nil, st.s.wrap(ctx, what, err)
	}
	return ns, nil
}
