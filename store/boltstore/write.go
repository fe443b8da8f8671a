package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// wtx is one write transaction: every change of one Put, PutMany, Merge or Delete, with
// the events it appends, commits or rolls back as a whole.
type wtx struct {
	s    *Store
	tx   *bolt.Tx
	b    buckets
	last store.Position
	evs  int // events appended
	objs int // change of the number of current objects
}

type buckets struct {
	meta, objects, versions, byAdded, byUpdated, typeAdded, typeUpd, relations, history, relHist, log *bolt.Bucket
}

// update runs fn in a write transaction and, once it has committed, wakes the waiters.
func (s *Store) update(ctx context.Context, fn func(w *wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var last store.Position
	var appended bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		w := &wtx{s: s, tx: tx, b: buckets{meta: tx.Bucket(bMeta), objects: tx.Bucket(bObjects),
			versions: tx.Bucket(bVersions), byAdded: tx.Bucket(bByAdded), byUpdated: tx.Bucket(bByUpdated),
			typeAdded: tx.Bucket(bTypeAdded), typeUpd: tx.Bucket(bTypeUpd), relations: tx.Bucket(bRelations),
			history: tx.Bucket(bHistory), relHist: tx.Bucket(bRelHist), log: tx.Bucket(bLog)}}
		// Keys ordered by time are appended at the end of their range: fill pages before
		// splitting them (bbolt's default splits at half, for random keys).
		for _, b := range []*bolt.Bucket{w.b.log, w.b.byAdded, w.b.byUpdated, w.b.typeAdded, w.b.typeUpd} {
			b.FillPercent = 0.9
		}
		w.last = posOf(w.b.meta.Get(mLast))
		if err := fn(w); err != nil {
			return err
		}
		if w.evs == 0 {
			return nil
		}
		if err := w.finish(); err != nil {
			return err
		}
		last, appended = w.last, true
		return nil
	})
	if err != nil {
		return err
	}
	if appended {
		s.mu.Lock()
		s.last = last
		close(s.wake)
		s.wake = make(chan struct{})
		s.mu.Unlock()
	}
	return nil
}

// finish records the counters and the last position and applies retention.
func (w *wtx) finish() error {
	m := w.b.meta
	if err := m.Put(mLast, posKey(w.last)); err != nil {
		return err
	}
	if m.Get(mOrigin) == nil {
		// The log begins just before its first event: a position older than that comes
		// from another log (a store that was emptied or replaced), so resuming from it is
		// a gap, not a silent jump.
		first, _ := w.b.log.Cursor().First()
		p := posOf(first)
		origin := store.Position{Millis: p.Millis, Seq: p.Seq - 1}
		if p.Seq == 0 {
			origin = store.Position{Millis: p.Millis - 1, Seq: store.MaxSeq - 1}
		}
		if err := m.Put(mOrigin, posKey(origin)); err != nil {
			return err
		}
	}
	count := getU64(m.Get(mEvents)) + uint64(w.evs)
	objs := int64(getU64(m.Get(mObjects))) + int64(w.objs)
	if err := m.Put(mObjects, u64(uint64(objs))); err != nil {
		return err
	}
	count, err := w.trim(count)
	if err != nil {
		return err
	}
	return m.Put(mEvents, u64(count))
}

// nextPos gives the next event its position: the clock's millisecond if it moved forward,
// else the last position's sequence plus one (a new millisecond when that would reach
// store.MaxSeq).
func (w *wtx) nextPos() store.Position {
	ms := w.s.clock().UnixMilli()
	if ms < 0 {
		ms = 0
	}
	p := store.Position{Millis: uint64(ms)}
	if p.Compare(w.last) <= 0 {
		p = store.Position{Millis: w.last.Millis, Seq: w.last.Seq + 1}
		if p.Seq >= store.MaxSeq {
			p = store.Position{Millis: w.last.Millis + 1}
		}
	}
	return p
}

// appendEvent gives ev its position and time and writes it to the log.
func (w *wtx) appendEvent(ev store.Event) (store.Event, error) {
	ev.Pos = w.nextPos()
	ev.Time = ev.Pos.Time()
	if err := w.b.log.Put(posKey(ev.Pos), encodeEvent(ev)); err != nil {
		return store.Event{}, err
	}
	w.last = ev.Pos
	w.evs++
	return ev, nil
}

// sameJSON is [store.SameContent].
func sameJSON(a, b []byte) bool { return store.SameContent(a, b) }

// current returns id's header and current JSON; ok is false if id is not stored.
func (w *wtx) current(id stix.ID) (header, []byte, bool) {
	return currentIn(w.b.objects, w.b.versions, id)
}

func currentIn(objects, versions *bolt.Bucket, id stix.ID) (header, []byte, bool) {
	if !validKeyID(id) {
		return header{}, nil, false
	}
	h, ok := decodeHeader(objects.Get([]byte(id)))
	if !ok {
		return header{}, nil, false
	}
	v := versions.Get(join(idPrefix(id), h.verKey))
	if len(v) < 8 {
		return header{}, nil, false
	}
	return h, v[8:], true
}

// placement is where a put goes among an id's versions.
type placement int

const (
	placeDuplicate placement = iota // an exact duplicate of a stored version
	placeOlder                      // an older version: kept, not current
	placeCurrent                    // the new current version
	placeReplace                    // the new current version of an unversioned object: it replaces every version
)

// place decides what storing obj over id's current version (header h, JSON cur) does.
func (w *wtx) place(h header, cur []byte, obj *stix.Object) (placement, error) {
	vk := versionKey(obj)
	zero := make([]byte, 8)
	if bytes.Equal(vk, zero) || bytes.Equal(h.verKey, zero) {
		// Unversioned objects (SCOs, marking definitions): content decides.
		if sameJSON(cur, obj.Raw()) {
			return placeDuplicate, nil
		}
		return placeReplace, nil
	}
	if v := w.b.versions.Get(join(idPrefix(obj.ID()), vk)); v != nil {
		if sameJSON(v[8:], obj.Raw()) {
			return placeDuplicate, nil
		}
		return 0, fmt.Errorf("%w: %s version %s is stored with different content",
			store.ErrConflict, obj.ID(), stix.FormatTime(obj.Version()))
	}
	if bytes.Compare(vk, h.verKey) < 0 {
		return placeOlder, nil
	}
	return placeCurrent, nil
}

func (w *wtx) put(obj *stix.Object) (store.Event, bool, error) {
	if err := store.CheckObject(obj); err != nil {
		return store.Event{}, false, err
	}
	id := obj.ID()
	h, cur, ok := w.current(id)
	if !ok {
		ev, err := w.appendEvent(store.Event{Kind: store.EventCreate, ID: id, Cur: obj})
		if err != nil {
			return store.Event{}, false, err
		}
		return ev, true, w.insert(obj, ev)
	}
	pl, err := w.place(h, cur, obj)
	switch {
	case err != nil || pl == placeDuplicate:
		return store.Event{}, false, err
	case pl == placeOlder:
		now := w.s.clock().UTC().Truncate(1e6).UnixNano()
		return store.Event{}, false, w.b.versions.Put(join(idPrefix(id), versionKey(obj)), versionValue(now, obj.Raw()))
	}
	prev, err := parseStored(cur)
	if err != nil {
		return store.Event{}, false, err
	}
	ev, err := w.appendEvent(store.Event{Kind: store.EventUpdate, ID: id, Prev: prev, Cur: obj})
	if err != nil {
		return store.Event{}, false, err
	}
	return ev, true, w.setCurrent(id, h, cur, obj.Raw(), versionKey(obj), pl == placeReplace, ev)
}

func versionValue(storedNanos int64, raw []byte) []byte {
	return append(appendTkeyNanos(make([]byte, 0, 8+len(raw)), storedNanos), raw...)
}

// insert stores obj as a new id, created by ev.
func (w *wtx) insert(obj *stix.Object, ev store.Event) error {
	id, t := obj.ID(), ev.Time.UnixNano()
	h := header{added: t, updated: t, verKey: versionKey(obj)}
	// The state before the create: absent.
	if err := w.b.history.Put(join(idPrefix(id), posKey(ev.Pos)), []byte{0}); err != nil {
		return err
	}
	if err := w.b.versions.Put(join(idPrefix(id), h.verKey), versionValue(t, obj.Raw())); err != nil {
		return err
	}
	w.objs++
	return w.index(id, h, obj.Raw(), true)
}

// bucketKey is one entry of a scan index.
type bucketKey struct {
	b *bolt.Bucket
	k []byte
}

// scanKeys returns id's entries in the scan indexes for header h: the updated ones, and the
// date_added ones too when added.
func (w *wtx) scanKeys(id stix.ID, h header, added bool) []bucketKey {
	typ := []byte(id.Type())
	ts := tkey(unixNano(h.updated))
	keys := []bucketKey{
		{w.b.byUpdated, join(ts, []byte(id))},
		{w.b.typeUpd, join(typ, []byte{sep}, ts, []byte(id))},
	}
	if added {
		ta := tkey(unixNano(h.added))
		keys = append(keys, bucketKey{w.b.byAdded, join(ta, []byte(id))},
			bucketKey{w.b.typeAdded, join(typ, []byte{sep}, ta, []byte(id))})
	}
	return keys
}

// index writes id's header and its entries in the scan indexes (the date_added ones too
// when added) and the relation index.
func (w *wtx) index(id stix.ID, h header, raw []byte, added bool) error {
	for _, p := range w.scanKeys(id, h, added) {
		if err := p.b.Put(p.k, nil); err != nil {
			return err
		}
	}
	for _, end := range relationEnds(id, raw) {
		if validKeyID(end) {
			if err := w.b.relations.Put(join(idPrefix(end), []byte(id)), nil); err != nil {
				return err
			}
		}
	}
	return w.b.objects.Put([]byte(id), h.encode())
}

// unindex removes id's entries from the updated indexes (and the date_added ones when
// all) and the relation index of its current JSON raw.
func (w *wtx) unindex(id stix.ID, h header, raw []byte, all bool) error {
	for _, k := range w.scanKeys(id, h, all) {
		if err := k.b.Delete(k.k); err != nil {
			return err
		}
	}
	for _, end := range relationEnds(id, raw) {
		if validKeyID(end) {
			if err := w.b.relations.Delete(join(idPrefix(end), []byte(id))); err != nil {
				return err
			}
		}
	}
	return nil
}

// remember keeps id's state before the event at pos (header h, JSON raw) for reads as of
// earlier positions, and, for a relation, that it had its ends until then.
func (w *wtx) remember(id stix.ID, h header, raw []byte, pos store.Position) error {
	v := make([]byte, 0, 17+len(raw))
	v = append(v, 1)
	v = appendTkeyNanos(v, h.added)
	v = appendTkeyNanos(v, h.updated)
	v = append(v, raw...)
	if err := w.b.history.Put(join(idPrefix(id), posKey(pos)), v); err != nil {
		return err
	}
	for _, end := range relationEnds(id, raw) {
		if validKeyID(end) {
			if err := w.b.relHist.Put(join(idPrefix(end), posKey(pos), []byte(id)), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// setCurrent makes raw (version key vk) id's current JSON as of ev; replace drops every
// other version (unversioned objects keep only their current content).
func (w *wtx) setCurrent(id stix.ID, h header, prevRaw, raw, vk []byte, replace bool, ev store.Event) error {
	if err := w.remember(id, h, prevRaw, ev.Pos); err != nil {
		return err
	}
	if err := w.unindex(id, h, prevRaw, false); err != nil {
		return err
	}
	if replace {
		if err := deletePrefix(w.b.versions, idPrefix(id)); err != nil {
			return err
		}
	}
	t := ev.Time.UnixNano()
	if err := w.b.versions.Put(join(idPrefix(id), vk), versionValue(t, raw)); err != nil {
		return err
	}
	h.updated, h.verKey = t, vk
	return w.index(id, h, raw, false)
}

// remove deletes every version of id as of the event at pos.
func (w *wtx) remove(id stix.ID, h header, raw []byte, pos store.Position) error {
	if err := w.remember(id, h, raw, pos); err != nil {
		return err
	}
	if err := w.unindex(id, h, raw, true); err != nil {
		return err
	}
	if err := deletePrefix(w.b.versions, idPrefix(id)); err != nil {
		return err
	}
	w.objs--
	return w.b.objects.Delete([]byte(id))
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// relationsOf returns the ids of the current relations with id as an end, ascending.
func relationsIn(b *bolt.Bucket, id stix.ID) []stix.ID {
	if !validKeyID(id) {
		return nil
	}
	p := idPrefix(id)
	var out []stix.ID
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		out = append(out, stix.ID(k[len(p):]))
	}
	return out
}

// deleteCascade deletes id after its relations (each cascading in turn, by id ascending),
// each with its own event; ids in skip are neither deleted nor cascaded into.
func (w *wtx) deleteCascade(id stix.ID, skip map[stix.ID]bool) (store.Event, error) {
	skip[id] = true
	if err := w.cascade(id, skip); err != nil {
		return store.Event{}, err
	}
	h, raw, ok := w.current(id)
	if !ok {
		return store.Event{}, notFound(id)
	}
	prev, err := parseStored(raw)
	if err != nil {
		return store.Event{}, err
	}
	ev, err := w.appendEvent(store.Event{Kind: store.EventDelete, ID: id, Prev: prev})
	if err != nil {
		return store.Event{}, err
	}
	return ev, w.remove(id, h, raw, ev.Pos)
}

// cascade deletes the current relations of id that skip does not name.
func (w *wtx) cascade(id stix.ID, skip map[stix.ID]bool) error {
	for _, r := range relationsIn(w.b.relations, id) {
		if skip[r] {
			continue
		}
		if _, _, ok := w.current(r); !ok { // already gone through another end
			continue
		}
		if _, err := w.deleteCascade(r, skip); err != nil {
			return err
		}
	}
	return nil
}

func (w *wtx) merge(target *stix.Object, sources []stix.ID) (store.Event, error) {
	id := target.ID()
	h, cur, ok := w.current(id)
	if !ok {
		return store.Event{}, notFound(id)
	}
	for _, src := range sources {
		if _, _, ok := w.current(src); !ok {
			return store.Event{}, notFound(src)
		}
	}
	pl, err := w.place(h, cur, target)
	if err != nil {
		return store.Event{}, err
	}
	// A stored older version is a duplicate to Put but still older than the current one.
	if pl == placeOlder || pl == placeDuplicate && !bytes.Equal(versionKey(target), h.verKey) {
		return store.Event{}, fmt.Errorf("%w: merge target %s is older than the current version", store.ErrConflict, id)
	}
	skip := map[stix.ID]bool{id: true}
	for _, src := range sources {
		skip[src] = true
	}
	for _, src := range sources {
		if err := w.cascade(src, skip); err != nil {
			return store.Event{}, err
		}
	}
	// The cascade may have changed nothing of the target (it is skipped), so h and cur hold.
	prev, err := parseStored(cur)
	if err != nil {
		return store.Event{}, err
	}
	ev := store.Event{Kind: store.EventMerge, ID: id, Prev: prev, Cur: target, Sources: slices.Clone(sources)}
	if pl == placeDuplicate {
		ev.Cur = prev // the stored bytes stay current
	}
	type srcState struct {
		h   header
		raw []byte
	}
	states := make([]srcState, len(sources))
	for i, src := range sources {
		sh, raw, _ := w.current(src)
		o, err := parseStored(raw)
		if err != nil {
			return store.Event{}, err
		}
		ev.SourceObjects = append(ev.SourceObjects, o)
		states[i] = srcState{sh, raw}
	}
	if ev, err = w.appendEvent(ev); err != nil {
		return store.Event{}, err
	}
	if pl == placeDuplicate {
		err = w.setCurrent(id, h, cur, cur, h.verKey, false, ev)
	} else {
		err = w.setCurrent(id, h, cur, target.Raw(), versionKey(target), pl == placeReplace, ev)
	}
	if err != nil {
		return store.Event{}, err
	}
	for i, src := range sources {
		if err := w.remove(src, states[i].h, states[i].raw, ev.Pos); err != nil {
			return store.Event{}, err
		}
	}
	return ev, nil
}

func notFound(id stix.ID) error { return fmt.Errorf("%w: %s", store.ErrNotFound, id) }

// parseStored parses JSON this store wrote; failing means the file is damaged.
func parseStored(raw []byte) (*stix.Object, error) {
	o, err := stix.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: a stored object does not parse: %v", ErrCorrupt, err)
	}
	return o, nil
}
