package memstore

import (
	"sort"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// history keeps what reads as of a retained log position need beyond the current state:
// for each id, the states it had before its current one (or before it was deleted), and
// for each relation end, which relations had it as an end in those past states. A state
// superseded at position q is kept while q is after the newest dropped event (some retained
// position still reads it) and pruned with the event that superseded it. An id that was
// created and never changed costs nothing here: its current entry says since when it holds.
// Guarded by Store.mu.
type history struct {
	past map[stix.ID]*past
	// ends counts, per relation end and relation id, the past states of the relation that
	// have that end, so that RelationsOfAt finds relations that have since moved or gone.
	ends map[stix.ID]map[stix.ID]int
	// expiry lists superseded states in the order they were superseded (so by position):
	// pruning pops it up to the newest dropped position instead of walking every id.
	expiry queue[expiring]
}

// past is an id's superseded states in position order. The last one ends where the live
// entry's since begins, or, when the id is not stored, is a tombstone (Object nil). Most ids
// have one or two (an update; a delete and its tombstone): small holds them without a
// second allocation.
type past struct {
	states queue[state]
	small  [2]state
}

// state is what an id was from pos on: a record, or not stored (a tombstone, Object nil).
type state struct {
	pos store.Position
	rec store.Record
}

type expiring struct {
	end store.Position // the position of the event that superseded the state
	id  stix.ID
}

func (h *history) init() {
	h.past = make(map[stix.ID]*past)
	h.ends = make(map[stix.ID]map[stix.ID]int)
}

// supersede records that e's current state (current since e.since) ended at end.
func (h *history) supersede(e *entry, end store.Position) {
	p := h.past[e.id]
	if p == nil {
		p = &past{}
		p.states.buf = p.small[:0]
		h.past[e.id] = p
	}
	rec := e.record()
	p.states.push(state{pos: e.since, rec: rec})
	var buf endsBuf
	for _, other := range relationEnds(rec.Object, buf[:0]) {
		m := h.ends[other]
		if m == nil {
			m = make(map[stix.ID]int, 1)
			h.ends[other] = m
		}
		m[e.id]++
	}
	h.expiry.push(expiring{end: end, id: e.id})
}

// removed records that e stopped being stored at pos (a delete, or a merge source).
func (h *history) removed(e *entry, pos store.Position) {
	h.supersede(e, pos)
	p := h.past[e.id]
	p.states.push(state{pos: pos})
}

// prune drops the states no retained position reads any more, now that events up to
// dropped are gone: a state that ended at or before dropped, and then a leading tombstone
// (not stored is also what an id without history is).
func (h *history) prune(dropped store.Position, objects map[stix.ID]*entry) {
	exp := h.expiry.items()
	n := 0
	for n < len(exp) && exp[n].end.Compare(dropped) <= 0 {
		h.pruneID(exp[n].id, dropped, objects)
		n++
	}
	if n > 0 {
		h.expiry.drop(n)
	}
}

func (h *history) pruneID(id stix.ID, dropped store.Position, objects map[stix.ID]*entry) {
	p := h.past[id]
	if p == nil {
		return // already pruned by an earlier expiry of the same id
	}
	states := p.states.items()
	i := 0
	for ; i < len(states); i++ {
		var end store.Position
		switch {
		case i+1 < len(states):
			end = states[i+1].pos
		case states[i].rec.Object == nil:
			// A trailing tombstone of an id not stored now: only leading ones go (below).
		default:
			// A last state that is not a tombstone was superseded by the live entry.
			if e, ok := objects[id]; ok {
				end = e.since
			}
		}
		if end.IsZero() || end.Compare(dropped) > 0 {
			break
		}
	}
	for i < len(states) && states[i].rec.Object == nil {
		i++
	}
	for _, st := range states[:i] {
		if st.rec.Object != nil {
			h.forgetEnds(id, st.rec.Object)
		}
	}
	switch {
	case i == len(states):
		delete(h.past, id)
	case i > 0:
		p.states.drop(i)
	}
}

func (h *history) forgetEnds(id stix.ID, obj *stix.Object) {
	var buf endsBuf
	for _, end := range relationEnds(obj, buf[:0]) {
		if m := h.ends[end]; m != nil {
			if m[id]--; m[id] <= 0 {
				delete(m, id)
			}
			if len(m) == 0 {
				delete(h.ends, end)
			}
		}
	}
}

// stateAt returns the record id had right after the position at, if it was stored then.
// at is valid for the retained log (the caller checked it); s.mu is held.
func (s *Store) stateAt(id stix.ID, at store.Position) (store.Record, bool) {
	if e, ok := s.objects[id]; ok && e.since.Compare(at) <= 0 {
		return e.record(), true
	}
	p := s.hist.past[id]
	if p == nil {
		return store.Record{}, false
	}
	states := p.states.items()
	i := sort.Search(len(states), func(i int) bool { return states[i].pos.Compare(at) > 0 }) - 1
	if i < 0 || states[i].rec.Object == nil {
		return store.Record{}, false
	}
	return states[i].rec, true
}
