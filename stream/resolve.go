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
// decides, at the end, which planned messages are left out.
type group struct {
	s     *engineState
	ctx   context.Context
	v     store.Snapshot
	nodes map[stix.ID]*node
	list  []*node
	// skipped holds ids found unusable in this group (not stored, not visible), so that
	// they are looked up once.
	skipped map[stix.ID]bool
}

// node is one planned message.
type node struct {
	msg  Message
	tier int // tierDep, tierMain or tierRelation: the tie-break between unrelated messages
	rank int // within a tier: markings, identities, other objects, relations
}

const (
	tierDep      = iota // everything the object and its relationships reference
	tierMain            // the object the event is about
	tierRelation        // the object's relationships (resolution on)
)

func newGroup(ctx context.Context, s *engineState, v store.Snapshot) *group {
	return &group{s: s, ctx: ctx, v: v, nodes: map[stix.ID]*node{}, skipped: map[stix.ID]bool{}}
}

func (g *group) add(msg Message, tier int) {
	n := &node{msg: msg, tier: tier, rank: rankOf(msg.Object.Type())}
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
	pending := g.refsOf(obj, nil)
	for len(pending) > 0 {
		recs, err := g.v.GetMany(g.ctx, pending)
		if err != nil {
			return fmt.Errorf("stream: resolving the dependencies of %s as of %s: %w", obj.ID(), g.v.Position(), err)
		}
		var next []stix.ID
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
			red := g.s.vis.Redact(g.s.principal, o)
			if red == nil {
				g.skipped[id] = true
				continue
			}
			g.add(Message{Type: Create, Object: red, Dependency: true}, tierDep)
			next = g.refsOf(red, next)
		}
		pending = next
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
// its index in that order. It then leaves out the dependencies the subscriber was sent
// within the cache lifetime (the object the event is about is always sent), stamps the
// rest with pos and t, and records them as sent: the kept messages keep the full plan's
// relative order, whatever the cache held.
func (g *group) messages(pos store.Position, t time.Time) []Message {
	g.dropOrphans()
	live := make([]*node, 0, len(g.nodes))
	for _, n := range g.list {
		if g.nodes[n.msg.Object.ID()] == n {
			live = append(live, n)
		}
	}
	now := g.s.cache.now()
	indeg := make(map[*node]int, len(live))
	users := make(map[stix.ID][]*node, len(live)) // id → nodes that reference it
	for _, n := range live {
		for _, id := range n.msg.Object.RefIDs() {
			if d := g.nodes[id]; d != nil && d != n {
				indeg[n]++
				users[id] = append(users[id], n)
			}
		}
	}
	ready := &nodeHeap{}
	for _, n := range live {
		if indeg[n] == 0 {
			heap.Push(ready, n)
		}
	}
	out := make([]Message, 0, len(live))
	done := make(map[*node]bool, len(live))
	for seq := 0; seq < len(live); seq++ {
		if ready.Len() == 0 { // a cycle: release its smallest node
			var min *node
			for _, n := range live {
				if !done[n] && (min == nil || less(n, min)) {
					min = n
				}
			}
			indeg[min] = 0
			heap.Push(ready, min)
		}
		n := heap.Pop(ready).(*node)
		if done[n] {
			seq--
			continue
		}
		done[n] = true
		for _, u := range users[n.msg.Object.ID()] {
			if indeg[u]--; indeg[u] == 0 && !done[u] {
				heap.Push(ready, u)
			}
		}
		if n.tier != tierMain && g.s.cache.freshAt(n.msg.Object.ID(), now) {
			continue // the subscriber holds it
		}
		m := n.msg
		m.Pos, m.Time, m.Seq = pos, t, seq
		out = append(out, m)
	}
	for _, m := range out {
		g.s.cache.sentAt(m.Object.ID(), now)
	}
	return out
}

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
