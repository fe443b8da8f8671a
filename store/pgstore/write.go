package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Put implements [store.Writer].
func (s *Store) Put(ctx context.Context, obj *stix.Object) (store.Event, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Event{}, false, err
	}
	if err := store.CheckObject(obj); err != nil {
		return store.Event{}, false, err
	}
	var ev store.Event
	var changed bool
	err := s.write(ctx, func(w *wtx) error {
		if err := w.load(ctx, []stix.ID{obj.ID()}); err != nil {
			return err
		}
		var err error
		ev, changed, err = w.put(obj)
		return err
	})
	if err != nil {
		return store.Event{}, false, err
	}
	return ev, changed, nil
}

// PutMany implements [store.BatchWriter]: one transaction, the current state of every id
// read in one query, and the rows written with COPY when the batch is large.
func (s *Store) PutMany(ctx context.Context, objs []*stix.Object) ([]store.PutResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []store.PutResult
	err := s.write(ctx, func(w *wtx) error {
		out = make([]store.PutResult, len(objs))
		ids := make([]stix.ID, 0, len(objs))
		for _, o := range objs {
			if store.CheckObject(o) == nil {
				ids = append(ids, o.ID())
			}
		}
		if err := w.load(ctx, ids); err != nil {
			return err
		}
		for i, o := range objs {
			if err := store.CheckObject(o); err != nil {
				out[i].Err = err
				continue
			}
			out[i].Event, out[i].Changed, out[i].Err = w.put(o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Merge implements [store.Writer].
func (s *Store) Merge(ctx context.Context, target *stix.Object, sources []stix.ID) (store.Event, error) {
	if err := ctx.Err(); err != nil {
		return store.Event{}, err
	}
	if err := store.CheckMerge(target, sources); err != nil {
		return store.Event{}, err
	}
	var ev store.Event
	err := s.write(ctx, func(w *wtx) error {
		var err error
		ev, err = w.merge(ctx, target, sources)
		return err
	})
	return ev, err
}

// Delete implements [store.Writer].
func (s *Store) Delete(ctx context.Context, id stix.ID) (store.Event, error) {
	if err := ctx.Err(); err != nil {
		return store.Event{}, err
	}
	var ev store.Event
	err := s.write(ctx, func(w *wtx) error {
		if err := w.load(ctx, []stix.ID{id}); err != nil {
			return err
		}
		if w.state[id] == nil {
			return notFound(id)
		}
		var err error
		ev, err = w.cascade(ctx, id, nil)
		return err
	})
	return ev, err
}

func notFound(id stix.ID) error { return fmt.Errorf("%w: %s", store.ErrNotFound, id) }

// write runs fn in a transaction that holds the log head's row lock from its first
// statement to its commit. Every writer takes that lock first, so writers are serialised,
// what fn reads is current, and positions are assigned in commit order: a transaction
// cannot take the head until the one before it has committed (or rolled back).
func (s *Store) write(ctx context.Context, fn func(w *wtx) error) error {
	var events bool
	var last store.Position
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		h, err := scanHead(tx.QueryRow(ctx, "SELECT "+headColumns+" FROM ctifeed_head FOR UPDATE"))
		if err != nil {
			return fmt.Errorf("locking the log head: %w", err)
		}
		w := &wtx{s: s, tx: tx, h: h, state: map[stix.ID]*rec{}, open: map[stix.ID]*recordRow{},
			dirtyVersions: map[stix.ID]bool{}}
		if err := fn(w); err != nil {
			return err
		}
		events, last = len(w.events) > 0, w.h.last
		return w.flush(ctx)
	})
	if err != nil {
		if isStoreError(err) {
			return err
		}
		return s.wrap(ctx, "writing", err)
	}
	if events {
		s.lis.broadcast(last) // local waiters need not wait for the NOTIFY round trip
	}
	return nil
}

// isStoreError reports errors that are the caller's (sentinels), returned as they are.
func isStoreError(err error) bool {
	return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound)
}

// wrap names what failed, keeping the context's error when it is the cause.
func (s *Store) wrap(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("pgstore: %s: %w (%v)", what, cerr, err)
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}

// rec is an id's current state as a write transaction sees it.
type rec struct {
	added    int64 // Unix ns
	updated  int64
	inDB     bool // its current row is in the database (not written by this transaction)
	olderDB  bool // it may have older versions in the database
	versions []version
	raw      []byte // the current row's object, while loading
}

type version struct {
	obj    *stix.Object
	stored int64
}

func (r *rec) current() *stix.Object { return r.versions[len(r.versions)-1].obj }

// wtx is one write transaction: the state it read, and the rows and events it will write.
type wtx struct {
	s     *Store
	tx    pgx.Tx
	h     head
	state map[stix.ID]*rec // loaded ids; nil = not stored

	closes        []closeRow             // database rows this transaction supersedes
	rows          []*recordRow           // record rows to insert
	open          map[stix.ID]*recordRow // of rows, the current one per id
	dirtyVersions map[stix.ID]bool       // ids whose versions are rewritten
	events        []logRow
	objectsDelta  int64
}

type closeRow struct {
	id  stix.ID
	lsn int64
}

type recordRow struct {
	id      stix.ID
	obj     *stix.Object
	added   int64
	updated int64
	stored  int64
	from    int64
	to      *int64
}

type logRow struct {
	lsn int64
	ev  store.Event
}

// load reads the current records and versions of the ids not yet loaded.
func (w *wtx) load(ctx context.Context, ids []stix.ID) error {
	var want []string
	for _, id := range ids {
		if _, ok := w.state[id]; !ok {
			w.state[id] = nil
			want = append(want, string(id))
		}
	}
	if len(want) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue("SELECT id, raw, added, updated, stored FROM ctifeed_records WHERE id = ANY($1) AND to_lsn IS NULL", want).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				r := &rec{inDB: true}
				var stored int64
				if err := rows.Scan(&id, &r.raw, &r.added, &r.updated, &stored); err != nil {
					return err
				}
				r.versions = []version{{stored: stored}} // the current one; its object below
				w.state[stix.ID(id)] = r
			}
			return rows.Err()
		})
	b.Queue("SELECT id, raw, stored FROM ctifeed_versions WHERE id = ANY($1) ORDER BY id, n", want).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var raw []byte
				var v version
				if err := rows.Scan(&id, &raw, &v.stored); err != nil {
					return err
				}
				r := w.state[stix.ID(id)]
				if r == nil {
					return fmt.Errorf("versions of %s without a current record", id)
				}
				o, err := stix.Parse(raw)
				if err != nil {
					return fmt.Errorf("stored version of %s does not parse: %w", id, err)
				}
				v.obj = o
				r.olderDB = true
				r.versions = slices.Insert(r.versions, len(r.versions)-1, v)
			}
			return rows.Err()
		})
	if err := w.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	for _, id := range want {
		if r := w.state[stix.ID(id)]; r != nil {
			o, err := stix.Parse(r.raw)
			if err != nil {
				return fmt.Errorf("stored object %s does not parse: %w", id, err)
			}
			r.versions[len(r.versions)-1].obj = o
			r.raw = nil
		}
	}
	return nil
}

// appendEvent gives ev the next position and lsn.
func (w *wtx) appendEvent(ev store.Event) store.Event {
	pos := next(w.h.last, w.s.clock())
	w.h.last = pos
	w.h.lsn++
	ev.Pos, ev.Time = pos, pos.Time()
	w.events = append(w.events, logRow{lsn: w.h.lsn, ev: ev})
	return ev
}

// supersede ends id's current row at the lsn of the event just appended.
func (w *wtx) supersede(id stix.ID, r *rec) {
	lsn := w.h.lsn
	if row := w.open[id]; row != nil {
		row.to = &lsn
		delete(w.open, id)
	} else if r.inDB {
		w.closes = append(w.closes, closeRow{id: id, lsn: lsn})
	}
	r.inDB = false
}

// newRow records r as id's current row from the lsn of the event just appended.
func (w *wtx) newRow(id stix.ID, r *rec) {
	cur := r.versions[len(r.versions)-1]
	row := &recordRow{id: id, obj: cur.obj, added: r.added, updated: r.updated, stored: cur.stored, from: w.h.lsn}
	w.rows = append(w.rows, row)
	w.open[id] = row
}

func (w *wtx) nowNano() int64 {
	return w.s.clock().UTC().Truncate(time.Millisecond).UnixNano()
}

// put applies one Put to the transaction's state.
func (w *wtx) put(obj *stix.Object) (store.Event, bool, error) {
	id := obj.ID()
	r := w.state[id]
	if r == nil {
		ev := w.appendEvent(store.Event{Kind: store.EventCreate, ID: id, Cur: obj})
		t := ev.Time.UnixNano()
		r = &rec{added: t, updated: t, versions: []version{{obj: obj, stored: t}}}
		w.state[id] = r
		w.dirtyVersions[id] = true
		w.objectsDelta++
		w.newRow(id, r)
		return ev, true, nil
	}
	i, same, err := place(r, obj)
	if err != nil || same {
		return store.Event{}, false, err
	}
	if i < len(r.versions) { // an older version: kept, not current
		r.versions = slices.Insert(r.versions, i, version{obj: obj, stored: w.nowNano()})
		w.dirtyVersions[id] = true
		return store.Event{}, false, nil
	}
	ev := w.appendEvent(store.Event{Kind: store.EventUpdate, ID: id, Prev: r.current(), Cur: obj})
	w.setCurrent(id, r, obj, ev)
	return ev, true, nil
}

// setCurrent makes obj r's current version at ev's time. Unversioned objects keep only
// their current content: there is no version to tell older ones apart by.
func (w *wtx) setCurrent(id stix.ID, r *rec, obj *stix.Object, ev store.Event) {
	t := ev.Time.UnixNano()
	if obj.Version().IsZero() || r.current().Version().IsZero() {
		r.versions = r.versions[:0]
	}
	r.versions = append(r.versions, version{obj: obj, stored: t})
	r.updated = t
	w.dirtyVersions[id] = true
	w.supersede(id, r)
	w.newRow(id, r)
}

// place finds where obj goes among r's versions: the index to insert it at (len = it
// becomes current), or same = true and the index of the stored version it duplicates, or
// place is [store.Place] over r's versions.
func place(r *rec, obj *stix.Object) (i int, same bool, err error) {
	return store.Place(len(r.versions), func(i int) *stix.Object { return r.versions[i].obj }, obj)
}

// remove takes id out of the current state at the lsn of the event just appended.
func (w *wtx) remove(id stix.ID) {
	r := w.state[id]
	w.supersede(id, r)
	w.state[id] = nil
	w.dirtyVersions[id] = true
	w.objectsDelta--
}

// cascade deletes id's relationships and sightings (except those in keep, which also
// records the ids already being deleted), each cascading in turn and each with its own
// event, ordered by id; then id with its own event, which it returns.
func (w *wtx) cascade(ctx context.Context, id stix.ID, keep map[stix.ID]bool) (store.Event, error) {
	if keep == nil {
		keep = map[stix.ID]bool{}
	}
	keep[id] = true // a relation that ends on itself must not recurse forever
	rels, err := w.relationsOf(ctx, id)
	if err != nil {
		return store.Event{}, err
	}
	for _, rid := range rels {
		if keep[rid] || w.state[rid] == nil {
			continue
		}
		if _, err := w.cascade(ctx, rid, keep); err != nil {
			return store.Event{}, err
		}
	}
	return w.deleteOne(id)
}

// deleteOne appends id's delete event and removes it.
func (w *wtx) deleteOne(id stix.ID) (store.Event, error) {
	r := w.state[id]
	if r == nil {
		return store.Event{}, notFound(id)
	}
	ev := w.appendEvent(store.Event{Kind: store.EventDelete, ID: id, Prev: r.current()})
	w.remove(id)
	return ev, nil
}

// relationsOf returns the ids of id's current relations, sorted, loading their state.
// Only deletions precede it in a transaction, so the database's rows less those removed
// here are the current relations.
func (w *wtx) relationsOf(ctx context.Context, id stix.ID) ([]stix.ID, error) {
	rows, err := w.tx.Query(ctx, `SELECT id FROM ctifeed_records
		WHERE ends @> ARRAY[$1]::text[] AND to_lsn IS NULL ORDER BY id`, string(id))
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stix.ID, error) {
		var s string
		err := r.Scan(&s)
		return stix.ID(s), err
	})
	if err != nil {
		return nil, err
	}
	if err := w.load(ctx, ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// merge applies one Merge: checks first (nothing changes on error), then the sources'
// relations are deleted, then the merge event, then the sources removed.
func (w *wtx) merge(ctx context.Context, target *stix.Object, sources []stix.ID) (store.Event, error) {
	if err := w.load(ctx, append([]stix.ID{target.ID()}, sources...)); err != nil {
		return store.Event{}, err
	}
	r := w.state[target.ID()]
	if r == nil {
		return store.Event{}, notFound(target.ID())
	}
	srcObjs := make([]*stix.Object, len(sources))
	for i, src := range sources {
		sr := w.state[src]
		if sr == nil {
			return store.Event{}, notFound(src)
		}
		srcObjs[i] = sr.current()
	}
	i, same, err := place(r, target)
	if err != nil {
		return store.Event{}, err
	}
	if i < len(r.versions)-1 || !same && i < len(r.versions) {
		return store.Event{}, fmt.Errorf("%w: merge target %s version %s is older than the current version %s", store.ErrConflict,
			target.ID(), stix.FormatTime(target.Version()), stix.FormatTime(r.current().Version()))
	}
	keep := map[stix.ID]bool{target.ID(): true}
	for _, src := range sources {
		keep[src] = true
	}
	for _, src := range sources {
		rels, err := w.relationsOf(ctx, src)
		if err != nil {
			return store.Event{}, err
		}
		for _, rid := range rels {
			if keep[rid] || w.state[rid] == nil {
				continue
			}
			if _, err := w.cascade(ctx, rid, keep); err != nil {
				return store.Event{}, err
			}
		}
	}
	prev := r.current()
	cur := target
	if same {
		cur = prev // the stored bytes stay current
	}
	ev := w.appendEvent(store.Event{Kind: store.EventMerge, ID: target.ID(), Prev: prev, Cur: cur,
		Sources: slices.Clone(sources), SourceObjects: srcObjs})
	if same {
		r.updated = ev.Time.UnixNano()
		w.supersede(target.ID(), r)
		w.newRow(target.ID(), r)
	} else {
		w.setCurrent(target.ID(), r, cur, ev)
	}
	for _, src := range sources {
		w.remove(src)
	}
	return ev, nil
}
