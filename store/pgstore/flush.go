package pgstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/stix"
)

// copyThreshold is the number of rows from which a write uses COPY rather than one INSERT
// per row in the pipelined batch.
const copyThreshold = 64

var recordColumns = []string{"id", "type", "raw", "added", "updated", "stored", "from_lsn", "to_lsn",
	"ends", "labels", "markings", "created_by", "ids", "confidence", "scores"}

// flush writes what the transaction did: the head, the superseded rows, the new rows, the
// versions, the log, retention and the NOTIFY, in as few round trips as the sizes allow.
func (w *wtx) flush(ctx context.Context) error {
	if len(w.events) == 0 && len(w.dirtyVersions) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	if len(w.events) > 0 {
		ms, seq := sqlPos(w.h.last)
		b.Queue("UPDATE ctifeed_head SET lsn = $1, ms = $2, seq = $3, objects = objects + $4",
			w.h.lsn, ms, seq, w.objectsDelta)
	}
	if len(w.closes) > 0 {
		ids := make([]string, len(w.closes))
		lsns := make([]int64, len(w.closes))
		for i, c := range w.closes {
			ids[i], lsns[i] = string(c.id), c.lsn
		}
		b.Queue(`UPDATE ctifeed_records r SET to_lsn = c.lsn FROM unnest($1::text[], $2::bigint[]) AS c(id, lsn)
			WHERE r.id = c.id AND r.to_lsn IS NULL`, ids, lsns)
	}
	var dirty, stale []string
	for id := range w.dirtyVersions {
		dirty = append(dirty, string(id))
		if r := w.state[id]; r == nil || r.olderDB {
			stale = append(stale, string(id)) // only these can have rows to replace
		}
	}
	slices.Sort(dirty)
	if len(stale) > 0 {
		b.Queue("DELETE FROM ctifeed_versions WHERE id = ANY($1)", stale)
	}

	records := w.recordRows()
	versions := w.versionRows(dirty)
	logs := w.logRows()
	tables := []struct {
		name string
		cols []string
		rows [][]any
	}{
		{"ctifeed_records", recordColumns, records},
		{"ctifeed_versions", []string{"id", "n", "raw", "stored"}, versions},
		{"ctifeed_log", []string{"lsn", "ms", "seq", "kind", "id", "sources"}, logs},
	}
	if len(records)+len(versions)+len(logs) < copyThreshold {
		for _, t := range tables {
			sql := insertSQL(t.name, t.cols)
			for _, row := range t.rows {
				b.Queue(sql, row...)
			}
		}
	} else {
		if err := w.tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		b = &pgx.Batch{}
		for _, t := range tables {
			if len(t.rows) == 0 {
				continue
			}
			if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
				return fmt.Errorf("copying into %s: %w", t.name, err)
			}
		}
	}
	if len(w.events) > 0 {
		w.queueRetention(b)
		b.Queue("SELECT pg_notify($1, $2)", channel, w.h.last.String())
	}
	return w.tx.SendBatch(ctx, b).Close()
}

func insertSQL(table string, cols []string) string {
	sql := "INSERT INTO " + table + " ("
	vals := ""
	for i, c := range cols {
		if i > 0 {
			sql += ", "
			vals += ", "
		}
		sql += c
		vals += fmt.Sprintf("$%d", i+1)
	}
	return sql + ") VALUES (" + vals + ")"
}

func (w *wtx) recordRows() [][]any {
	out := make([][]any, 0, len(w.rows))
	for _, r := range w.rows {
		c := candidatesOf(r.obj)
		out = append(out, []any{string(r.id), r.obj.Type(), r.obj.Raw(), r.added, r.updated, r.stored, r.from, r.to,
			relationEnds(r.obj), c.labels, c.markings, c.createdBy, c.ids, c.confidence, c.scores})
	}
	return out
}

func (w *wtx) versionRows(dirty []string) [][]any {
	var out [][]any
	for _, id := range dirty {
		r := w.state[stix.ID(id)]
		if r == nil {
			continue
		}
		for n, v := range r.versions[:len(r.versions)-1] { // the current one is the record row
			out = append(out, []any{id, int32(n), v.obj.Raw(), v.stored})
		}
	}
	return out
}

func (w *wtx) logRows() [][]any {
	out := make([][]any, 0, len(w.events))
	for _, l := range w.events {
		ev := l.ev
		var sources []string
		for _, s := range ev.Sources {
			sources = append(sources, string(s))
		}
		ms, seq := sqlPos(ev.Pos)
		out = append(out, []any{l.lsn, ms, seq, int16(ev.Kind), string(ev.ID), sources})
	}
	return out
}

// queueRetention drops the events beyond MaxEvents and older than MaxAge (always keeping
// the newest), the record states only those events could be asked about, and moves the
// head's Dropped. Events are numbered densely, so the cut by count is arithmetic.
func (w *wtx) queueRetention(b *pgx.Batch) {
	cut := int64(0)
	if w.s.maxEvents > 0 {
		cut = w.h.lsn - int64(w.s.maxEvents)
	}
	if w.s.maxAge <= 0 && cut <= w.h.droppedLSN {
		return
	}
	ageMs := int64(-1)
	if w.s.maxAge > 0 {
		ageMs = w.s.clock().Add(-w.s.maxAge).UnixMilli()
	}
	b.Queue(`WITH c AS (
			SELECT least($1::bigint - 1, greatest($2::bigint,
				coalesce((SELECT lsn FROM ctifeed_log WHERE ms < $3 ORDER BY ms DESC, seq DESC LIMIT 1), 0))) AS cut),
		d AS (DELETE FROM ctifeed_log WHERE lsn > $4 AND lsn <= (SELECT cut FROM c) RETURNING lsn, ms, seq),
		r AS (DELETE FROM ctifeed_records WHERE to_lsn > $4 AND to_lsn <= (SELECT cut FROM c))
		UPDATE ctifeed_head SET dropped_lsn = x.lsn, dropped_ms = x.ms, dropped_seq = x.seq
		FROM (SELECT lsn, ms, seq FROM d ORDER BY lsn DESC LIMIT 1) AS x`,
		w.h.lsn, cut, ageMs, w.h.droppedLSN)
}
