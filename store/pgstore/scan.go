package pgstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// matchBatch is how many candidates a scan with Match reads per query.
const matchBatch = 256

// Scan implements [store.Scanner]: a keyset query on the index of the order (per type when
// Types is set), so a page costs O(log n + page) at any depth; with Match, add the
// non-matching records read between matches.
func (s *Store) Scan(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	return s.scan(ctx, opts, "")
}

// scan pages through current records; where, if not empty, is an extra SQL condition on
// them (a pushed-down filter) whose arguments follow the keyset's.
func (s *Store) scan(ctx context.Context, opts store.ScanOptions, where string, whereArgs ...any) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	after, err := opts.Begin()
	if err != nil {
		return store.Page{}, err
	}
	batch := opts.Limit + 1
	if opts.Filtered() {
		batch = max(batch, matchBatch)
	}
	var out []store.Record
	// Each batch is its own query, so a record that matched in one batch may have moved
	// beyond it (updated, or deleted and stored again) before the next: seen keeps it from
	// coming back in the same page.
	seen := map[stix.ID]bool{}
	for {
		cands, err := s.candidates(ctx, opts, after, batch, where, whereArgs)
		if err != nil {
			return store.Page{}, err
		}
		for _, r := range cands {
			if seen[r.Object.ID()] {
				continue
			}
			if opts.Keep(r) {
				seen[r.Object.ID()] = true
				if out = append(out, r); len(out) > opts.Limit {
					break
				}
			}
		}
		if len(out) > opts.Limit || len(cands) < batch {
			break
		}
		c := store.CursorOf(cands[len(cands)-1], opts.Order, opts.Descending)
		after = &c
		if err := ctx.Err(); err != nil {
			return store.Page{}, err
		}
	}
	if len(out) <= opts.Limit {
		return store.Page{Records: out}, nil
	}
	out = out[:opts.Limit]
	return store.Page{Records: out, Next: store.CursorOf(out[len(out)-1], opts.Order, opts.Descending).String()}, nil
}

// nanos converts a time to the stored Unix nanoseconds, saturating outside int64's range.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// candidates returns up to n current records beyond after in scan order that satisfy
// Types, Since/Until and where. With several types, each type's index is read on its own
// (LIMIT n each) and the results merged, so every part is an index range scan.
func (s *Store) candidates(ctx context.Context, opts store.ScanOptions, after *store.Cursor, n int, where string, whereArgs []any) ([]store.Record, error) {
	key := "added"
	if opts.Order == store.ByUpdated {
		key = "updated"
	}
	cmp, dir := ">", "ASC"
	if opts.Descending {
		cmp, dir = "<", "DESC"
	}
	args := []any{n}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var conds []string
	conds = append(conds, "to_lsn IS NULL")
	if after != nil {
		conds = append(conds, fmt.Sprintf("(%s, id) %s (%s, %s)", key, cmp, arg(nanos(after.Time)), arg(string(after.ID))))
	}
	if !opts.Since.IsZero() {
		conds = append(conds, fmt.Sprintf("%s >= %s", key, arg(nanos(opts.Since))))
	}
	if !opts.Until.IsZero() {
		conds = append(conds, fmt.Sprintf("%s < %s", key, arg(nanos(opts.Until))))
	}
	if where != "" {
		// The pushed-down condition numbers its arguments from 1: shift them after ours.
		conds = append(conds, "("+renumber(where, len(args))+")")
		args = append(args, whereArgs...)
	}
	order := fmt.Sprintf(" ORDER BY %s %s, id %s LIMIT $1", key, dir, dir)
	var sql string
	types := slices.Compact(slices.Sorted(slices.Values(opts.Types)))
	switch len(types) {
	case 0:
		sql = "SELECT " + readColumns + " FROM ctifeed_records WHERE " + strings.Join(conds, " AND ") + order
	default:
		var parts []string
		for _, t := range types {
			parts = append(parts, "(SELECT "+readColumns+", "+key+" AS k FROM ctifeed_records WHERE type = "+arg(t)+
				" AND "+strings.Join(conds, " AND ")+order+")")
		}
		sql = "SELECT " + readColumns + " FROM (" + strings.Join(parts, " UNION ALL ") + ") u" +
			fmt.Sprintf(" ORDER BY k %s, id %s LIMIT $1", dir, dir)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, s.wrap(ctx, "scanning", err)
	}
	recs, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, s.wrap(ctx, "scanning", err)
	}
	return recs, nil
}

// renumber shifts the $n placeholders of sql by k.
func renumber(sql string, k int) string {
	var b strings.Builder
	for i := 0; i < len(sql); i++ {
		if sql[i] != '$' {
			b.WriteByte(sql[i])
			continue
		}
		j := i + 1
		num := 0
		for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
			num = num*10 + int(sql[j]-'0')
			j++
		}
		fmt.Fprintf(&b, "$%d", num+k)
		i = j - 1
	}
	return b.String()
}
