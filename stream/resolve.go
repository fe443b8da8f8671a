package stream

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// A group is the messages one object produces: its dependencies, itself, and (with
// resolution on) its relationships. It is planned in full, as if the subscriber held
// nothing, from the store as of the event (v): so the plan, its order and each message's
// Seq depend only on the log, the definition and the principal. The sent cache only
// decides, when the plan is applied (applyGroup), which planned messages are left out.
type group struct {
	s     *engineState
	ctx   context.Context
	v     store.Snapshot
	nodes map[stix.ID]*node
	list  []*node
	// skipped holds ids found unusable in this group (not stored, not visible), so that
	// they are looked up once.
	skipped map[stix.ID]bool
	free    []*node // nodes of earlier groups, for reuse
	live    []*node // messages' scratch
	ready   nodeHeap
	ids     [2][]stix.ID // addRefs' scratch
}

// node is one planned message.
type node struct {
	msg  Message
	tier int // tierDep, tierMain or tierRelation: the tie-break between unrelated messages
	rank int // within a tier: markings, identities, other objects, relations
	// ordering state (see messages)
	indeg int     // planned nodes it references, not yet ordered
	users []*node // planned nodes that reference it
	done  bool
}

const (
	tierDep      = iota // everything the object and its relationships reference
	tierMain            // the object the event is about
	tierRelation        // the object's relationships (resolution on)
)

// newGroup returns the subscriber's group, emptied: a subscriber plans one group at a
// time, so its maps and nodes are reused rather than allocated for every event.
func newGroup(ctx context.Context, s *engineState, v store.Snapshot) *group {
	g := &s.scratch
	if g.nodes == nil {
		g.nodes, g.skipped = map[stix.ID]*node{}, map[stix.ID]bool{}
	}
	for _, n := range g.list {
		users := n.users[:0]
		*n = node{users: users} // drop the objects: a reused node must not keep them alive
		g.free = append(g.free, n)
	}
	clear(g.nodes)
	clear(g.skipped)
	g.s, g.ctx, g.v, g.list = s, ctx, v, g.list[:0]
	return g
}

func (g *group) add(msg Message, tier int) {
	var n *node
	if k := len(g.free); k > 0 {
		n, g.free = g.free[k-1], g.free[:k-1]
	} else {
		n = &node{}
	}
	n.msg, n.tier, n.rank = msg, tier, rankOf(msg.Object.Type())
	g.nodes[msg.Object.ID()] = n
	g.list = append(g.list, n)
}

// rankOf orders unrelated messages of one tier: the table's step 2 sends TLP:GREEN, then
// CrowdStrike, then Emotet.
func rankOf(typ string) int {
	switch {
	case typ == "marking-definition":
		return 0
	case typ == "identity":
		return 1
	case stix.IsRelationshipType(typ):
		return 3
	}
	return 2
}

// wanted reports whether id still needs planning: not planned and not already known to
// be unusable. (What the subscriber holds does not matter here: the plan is the full one.)
func (g *group) wanted(id stix.ID) bool {
	return g.nodes[id] == nil && !g.skipped[id]
}

// addRefs plans, breadth first, every object that obj references, as of the view:
// stored, visible, and for relations with every end visible. A reference that fails is
// suppressed; obj is still sent (STIX allows dangling references).
func (g *group) addRefs(obj *stix.Object) error {
	// Two id buffers of the scratch group alternate as this round's and the next's.
	pending := g.refsOf(obj, g.ids[0][:0])
	spare := g.ids[1][:0]
	defer func() { g.ids[0], g.ids[1] = pending[:0], spare[:0] }()
	for len(pending) > 0 {
		recs, err := g.v.GetMany(g.ctx, pending)
		if err != nil {
			return fmt.Errorf("stream: resolving the dependencies of %s as of %s: %w", obj.ID(), g.v.Position(), err)
		}
		next := spare[:0]
		for _, id := range pending {
			if !g.wanted(id) {
				continue // planned earlier in this round
			}
			rec, ok := recs[id]
			if !ok || !g.s.sees(rec.Object) {
				g.skipped[id] = true
				continue
			}
			o := rec.Object
			if stix.IsRelationshipType(o.Type()) {
				if _, ok, err := g.s.visibleEnds(g.ctx, g.v, o, ""); err != nil {
					return err
				} else if !ok {
					g.skipped[id] = true
					continue
				}
			}
			red, err := g.s.redact(g.ctx, g.v, o)
			if err != nil {
				return err
			}
			if red == nil {
				g.skipped[id] = true
				continue
			}
			g.add(Message{Type: Create, Object: red, Dependency: true}, tierDep)
			next = g.refsOf(red, next)
		}
		pending, spare = next, pending
	}
	return nil
}

// refsOf appends to dst the followed references of o that are still wanted.
func (g *group) refsOf(o *stix.Object, dst []stix.ID) []stix.ID {
	for _, r := range o.Refs() {
		if followed(r) && r.ID != o.ID() && g.wanted(r.ID) && !slices.Contains(dst, r.ID) {
			dst = append(dst, r.ID)
		}
	}
	return dst
}

// addRelations plans the relationships and sightings of main as of the view, each with
// every other end visible, and their dependencies (the other ends and what they
// reference).
func (g *group) addRelations(main *stix.Object) error {
	rels, err := g.v.RelationsOf(g.ctx, main.ID())
	if err != nil {
		return fmt.Errorf("stream: resolving the relationships of %s as of %s: %w", main.ID(), g.v.Position(), err)
	}
	for _, rec := range rels {
		r := rec.Object
		if !g.wanted(r.ID()) || !g.s.sees(r) {
			continue
		}
		if _, ok, err := g.s.visibleEnds(g.ctx, g.v, r, main.ID()); err != nil {
			return err
		} else if !ok {
			continue
		}
		red := g.s.vis.Redact(g.s.principal, r)
		if red == nil {
			continue
		}
		g.add(Message{Type: Create, Object: red, Dependency: true}, tierRelation)
		if err := g.addRefs(red); err != nil {
			return err
		}
	}
	return nil
}

// dropOrphans removes planned relations with an end that is not planned (an end that was
// itself suppressed), until none is left: the last line of "never a relationship without
// both ends". The plan is the full one, so an end the subscriber holds is planned too.
func (g *group) dropOrphans() {
	for changed := true; changed; {
		changed = false
		for id, n := range g.nodes {
			if n.tier == tierMain || !stix.IsRelationshipType(n.msg.Object.Type()) {
				continue
			}
			for _, end := range relationEnds(n.msg.Object) {
				if g.nodes[end] == nil {
					delete(g.nodes, id)
					changed = true
					break
				}
			}
		}
	}
}

// messages orders the full plan so that each node comes after every planned node it
// references (Kahn's algorithm), breaking ties by (tier, rank, id) so that the order is
// deterministic; a reference cycle is broken at its smallest node. Each message's Seq is
// its index in that order. It returns the plan's steps: the group, then every message in
// that order, stamped with pos and t; applying them (applyGroup) leaves out the
// dependencies the subscriber was sent within the cache lifetime (the object the event is
// about is always sent), so the kept messages keep the full plan's relative order, whatever
// the cache held. plan is the full plan's size.
func (g *group) messages(pos store.Position, t time.Time) (steps []step, plan int) {
	g.dropOrphans()
	live := g.live[:0]
	for _, n := range g.list {
		if g.nodes[n.msg.Object.ID()] == n {
			live = append(live, n)
		}
	}
	g.live = live
	for _, n := range live {
		for _, id := range n.msg.Object.RefIDs() {
			if d := g.nodes[id]; d != nil && d != n {
				n.indeg++
				d.users = append(d.users, n)
			}
		}
	}
	ready := &g.ready
	*ready = (*ready)[:0]
	for _, n := range live {
		if n.indeg == 0 {
			heap.Push(ready, n)
		}
	}
	steps = make([]step, 1, len(live)+1)
	steps[0] = step{op: opGroup, n: len(live)}
	for seq := 0; seq < len(live); seq++ {
		if ready.Len() == 0 { // a cycle: release its smallest node
			var min *node
			for _, n := range live {
				if !n.done && (min == nil || less(n, min)) {
					min = n
				}
			}
			min.indeg = 0
			heap.Push(ready, min)
		}
		n := heap.Pop(ready).(*node)
		if n.done {
			seq--
			continue
		}
		n.done = true
		for _, u := range n.users {
			if u.indeg--; u.indeg == 0 && !u.done {
				heap.Push(ready, u)
			}
		}
		op := opDep
		if n.tier == tierMain {
			op = opMain
		}
		m := n.msg
		m.Seq, m.Pos, m.Time = seq, pos, t
		steps = append(steps, step{op: op, msg: m})
	}
	return steps, len(live)
}

// planned reports whether the group last planned holds id (until the next newGroup).
func (g *group) planned(id stix.ID) bool { return g.nodes[id] != nil }

func less(a, b *node) bool {
	if a.tier != b.tier {
		return a.tier < b.tier
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.msg.Object.ID() < b.msg.Object.ID()
}

type nodeHeap []*node

func (h nodeHeap) Len() int           { return len(h) }
func (h nodeHeap) Less(i, j int) bool { return less(h[i], h[j]) }
func (h nodeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)        { *h = append(*h, x.(*node)) }
func (h *nodeHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	return n
}
