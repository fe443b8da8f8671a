package memstore

import (
	"slices"
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
	expiry []expiring
}

// past is an id's superseded states in position order. The last one ends where the live
// entry's since begins, or, when the id is not stored, is a tombstone (Object nil).
type past struct{ states []state }

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
		h.past[e.id] = p
	}
	rec := e.record()
	p.states = append(p.states, state{pos: e.since, rec: rec})
	for _, end := range relationEnds(rec.Object) {
		m := h.ends[end]
		if m == nil {
			m = make(map[stix.ID]int, 1)
			h.ends[end] = m
		}
		m[e.id]++
	}
	h.expiry = append(h.expiry, expiring{end: end, id: e.id})
}

// removed records that e stopped being stored at pos (a delete, or a merge source).
func (h *history) removed(e *entry, pos store.Position) {
	h.supersede(e, pos)
	p := h.past[e.id]
	p.states = append(p.states, state{pos: pos})
}

// prune drops the states no retained position reads any more, now that events up to
// dropped are gone: a state that ended at or before dropped, and then a leading tombstone
// (not stored is also what an id without history is).
func (h *history) prune(dropped store.Position, objects map[stix.ID]*entry) {
	n := 0
	for n < len(h.expiry) && h.expiry[n].end.Compare(dropped) <= 0 {
		h.pruneID(h.expiry[n].id, dropped, objects)
		n++
	}
	if n == 0 {
		return
	}
	clear(h.expiry[:n])
	h.expiry = h.expiry[n:]
	if cap(h.expiry) > 2*len(h.expiry)+1024 { // reclaim the popped head's array
		h.expiry = slices.Clone(h.expiry)
	}
}

func (h *history) pruneID(id stix.ID, dropped store.Position, objects map[stix.ID]*entry) {
	p := h.past[id]
	if p == nil {
		return // already pruned by an earlier expiry of the same id
	}
	i := 0
	for ; i < len(p.states); i++ {
		var end store.Position
		switch {
		case i+1 < len(p.states):
			end = p.states[i+1].pos
		case p.states[i].rec.Object == nil:
			// A trailing tombstone of an id not stored now: only leading ones go (below).
		default:
			end = objects[id].since
		}
		if end.IsZero() || end.Compare(dropped) > 0 {
			break
		}
	}
	for i < len(p.states) && p.states[i].rec.Object == nil {
		i++
	}
	for _, st := range p.states[:i] {
		if st.rec.Object != nil {
			h.forgetEnds(id, st.rec.Object)
		}
	}
	if i == len(p.states) {
		delete(h.past, id)
		return
	}
	clear(p.states[:i])
	p.states = p.states[i:]
	if cap(p.states) > 2*len(p.states)+16 {
		p.states = slices.Clone(p.states)
	}
}

func (h *history) forgetEnds(id stix.ID, obj *stix.Object) {
	for _, end := range relationEnds(obj) {
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
	i := sort.Search(len(p.states), func(i int) bool { return p.states[i].pos.Compare(at) > 0 }) - 1
	if i < 0 || p.states[i].rec.Object == nil {
		return store.Record{}, false
	}
	return p.states[i].rec, true
}
