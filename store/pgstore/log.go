package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// head is the log-head row.
type head struct {
	lsn        int64
	last       store.Position
	droppedLSN int64
	dropped    store.Position
	origin     store.Position
	objects    int64
}

const headColumns = "lsn, ms, seq, dropped_lsn, dropped_ms, dropped_seq, origin_ms, origin_seq, objects"

func scanHead(row pgx.Row) (head, error) {
	var h head
	var ms, seq, dms, dseq, oms, oseq int64
	err := row.Scan(&h.lsn, &ms, &seq, &h.droppedLSN, &dms, &dseq, &oms, &oseq, &h.objects)
	h.last = store.Position{Millis: uint64(ms), Seq: uint64(seq)}
	h.dropped = store.Position{Millis: uint64(dms), Seq: uint64(dseq)}
	h.origin = store.Position{Millis: uint64(oms), Seq: uint64(oseq)}
	return h, err
}

// bounds is the LogBounds the head describes, without First (which needs the log).
func (h head) bounds() store.LogBounds {
	if h.lsn == 0 {
		return store.LogBounds{Origin: h.origin}
	}
	return store.LogBounds{Last: h.last, LastTime: h.last.Time(), Count: int(h.lsn - h.droppedLSN),
		Origin: h.origin, Dropped: h.dropped}
}

// sqlPos gives a position's columns as SQL parameters. Stored positions have Seq < MaxSeq,
// so a larger Seq (PositionAt's) is the same as MaxSeq for comparisons; a millisecond
// beyond int64 is beyond every event.
func sqlPos(p store.Position) (int64, int64) {
	ms := int64(math.MaxInt64)
	if p.Millis < math.MaxInt64 {
		ms = int64(p.Millis)
	}
	return ms, int64(min(p.Seq, store.MaxSeq))
}

// next returns the position after last for a clock reading: the time if it moved forward,
// else the last sequence + 1 (the next millisecond when the sequence is full).
func next(last store.Position, now time.Time) store.Position {
	ms := max(now.UnixMilli(), 0)
	p := store.Position{Millis: uint64(ms)}
	if p.Compare(last) <= 0 {
		p = store.Position{Millis: last.Millis, Seq: last.Seq + 1}
		if p.Seq >= store.MaxSeq {
			p = store.Position{Millis: last.Millis + 1}
		}
	}
	return p
}

// logSelect reads events with their objects: Cur is the record row that starts at the
// event's lsn, Prev the row of the same id that ends there, a merge's sources the rows of
// its sources that end there (in the order of the event's sources).
const logSelect = `SELECT l.ms, l.seq, l.kind, l.id, p.raw, c.raw, l.sources,
	(SELECT array_agg(s.raw ORDER BY array_position(l.sources, s.id)) FROM ctifeed_records s
		WHERE s.to_lsn = l.lsn AND s.id = ANY(l.sources))
	FROM ctifeed_log l
	LEFT JOIN ctifeed_records c ON c.id = l.id AND c.from_lsn = l.lsn
	LEFT JOIN ctifeed_records p ON p.id = l.id AND p.to_lsn = l.lsn`

// Read implements [store.Log]. The log is read before the head: retention only ever moves
// Dropped forward, so if after is not before the Dropped read afterwards, nothing after it
// was missing when the events were read.
func (s *Store) Read(ctx context.Context, after store.Position, limit int) ([]store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("%w: limit %d < 1", store.ErrInvalid, limit)
	}
	evs, err := s.reads.do(readKey{after, limit}, func() ([]store.Event, error) { return s.read(ctx, after, limit) })
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return s.read(ctx, after, limit) // the shared call's context ended, not ours
	}
	return evs, err
}

// read is one Read query.
func (s *Store) read(ctx context.Context, after store.Position, limit int) ([]store.Event, error) {
	ms, seq := sqlPos(after)
	b := &pgx.Batch{}
	var evs []store.Event
	b.Queue(logSelect+" WHERE (l.ms, l.seq) > ($1, $2) ORDER BY l.ms, l.seq LIMIT $3",
		ms, seq, limit).Query(func(rows pgx.Rows) error {
		var err error
		evs, err = scanEvents(rows)
		return err
	})
	var h head
	b.Queue("SELECT " + headColumns + " FROM ctifeed_head").QueryRow(func(row pgx.Row) error {
		var err error
		h, err = scanHead(row)
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, s.wrap(ctx, "reading the log", err)
	}
	// Beyond the last position is not an error for Read: it returns nothing.
	if err := h.bounds().Check(after); errors.Is(err, store.ErrGap) {
		return nil, err
	}
	return evs, nil
}

func scanEvents(rows pgx.Rows) ([]store.Event, error) {
	var out []store.Event
	for rows.Next() {
		var ms, seq int64
		var kind int16
		var id string
		var prev, cur []byte
		var sources []string
		var srcObjs [][]byte
		if err := rows.Scan(&ms, &seq, &kind, &id, &prev, &cur, &sources, &srcObjs); err != nil {
			return nil, err
		}
		ev := store.Event{Pos: store.Position{Millis: uint64(ms), Seq: uint64(seq)},
			Kind: store.EventKind(kind), ID: stix.ID(id)}
		ev.Time = ev.Pos.Time()
		var err error
		if ev.Prev, err = parseNullable(prev); err != nil {
			return nil, err
		}
		if ev.Cur, err = parseNullable(cur); err != nil {
			return nil, err
		}
		if len(srcObjs) != len(sources) {
			return nil, fmt.Errorf("pgstore: merge event %s has %d sources but %d source objects", ev.Pos, len(sources), len(srcObjs))
		}
		for i, src := range sources {
			ev.Sources = append(ev.Sources, stix.ID(src))
			o, err := parseNullable(srcObjs[i])
			if err != nil {
				return nil, err
			}
			ev.SourceObjects = append(ev.SourceObjects, o)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

func parseNullable(raw []byte) (*stix.Object, error) {
	if raw == nil {
		return nil, nil
	}
	o, err := stix.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("pgstore: a stored object does not parse: %w", err)
	}
	return o, nil
}

// readHead returns the committed log head.
func (s *Store) readHead(ctx context.Context) (head, error) {
	h, err := scanHead(s.pool.QueryRow(ctx, "SELECT "+headColumns+" FROM ctifeed_head"))
	if err != nil {
		return head{}, s.wrap(ctx, "reading the log head", err)
	}
	return h, nil
}

// Wait implements [store.Log]. It reads the log head once, then blocks until the
// listening connection relays a NOTIFY from a writing transaction (of any node; its
// payload is the writer's last position) or this store commits, and returns without
// another query when that position is after after. While the listening connection is down
// it re-reads the head every 250 ms instead, so a notification lost with the connection
// cannot stall a reader.
func (s *Store) Wait(ctx context.Context, after store.Position) error {
	readGen := -1 // the listener generation of the last head read
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Take the wake channel before reading, so a commit between the read and the
		// select still wakes this waiter.
		wake, healthy, announced, gen := s.lis.waitChan()
		if announced.Compare(after) > 0 {
			return nil
		}
		if gen != readGen || !healthy { // notifications may have been lost: read
			readGen = gen
			h, err := s.readHead(ctx)
			if err != nil {
				return err
			}
			if h.last.Compare(after) > 0 {
				return nil
			}
		}
		var recheck <-chan time.Time
		var timer *time.Timer
		if !healthy {
			timer = time.NewTimer(fallbackRecheck)
			recheck = timer.C
		}
		select {
		case <-wake:
		case <-recheck:
		case <-ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// Bounds implements [store.Log].
func (s *Store) Bounds(ctx context.Context) (store.LogBounds, error) {
	if err := ctx.Err(); err != nil {
		return store.LogBounds{}, err
	}
	// First is the event right after the dropped ones: lsn numbers events densely.
	row := s.pool.QueryRow(ctx, "SELECT "+headColumns+`,
		coalesce((SELECT ms FROM ctifeed_log l WHERE l.lsn = h.dropped_lsn + 1), 0),
		coalesce((SELECT seq FROM ctifeed_log l WHERE l.lsn = h.dropped_lsn + 1), 0)
		FROM ctifeed_head h`)
	var h head
	var fms, fseq, ms, seq, dms, dseq, oms, oseq int64
	if err := row.Scan(&h.lsn, &ms, &seq, &h.droppedLSN, &dms, &dseq, &oms, &oseq, &h.objects, &fms, &fseq); err != nil {
		return store.LogBounds{}, s.wrap(ctx, "reading the log bounds", err)
	}
	h.last = store.Position{Millis: uint64(ms), Seq: uint64(seq)}
	h.dropped = store.Position{Millis: uint64(dms), Seq: uint64(dseq)}
	h.origin = store.Position{Millis: uint64(oms), Seq: uint64(oseq)}
	b := h.bounds()
	if h.lsn != 0 {
		b.First = store.Position{Millis: uint64(fms), Seq: uint64(fseq)}
		b.FirstTime = b.First.Time()
	}
	return b, nil
}
