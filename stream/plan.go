package stream

import "github.com/ctifeed/ctifeed/stix"

// An event's work is split in two. Planning is a function of the event, the store as of
// it, the definition and filters, the options in effect and the principal's redaction
// class: it never reads the sent cache, so its result (a plan) may be shared by every
// subscriber of the same class (see [Share]). Applying a plan is per subscriber: it
// leaves out the dependencies the subscriber's cache holds and updates the cache.

// stepOp is what one step of a plan does to the subscriber that applies it.
type stepOp uint8

const (
	// opForget drops id from the cache: the subscriber's copy is deleted or stale.
	opForget stepOp = iota
	// opGroup opens a planned group of n message steps (opMain and opDep): the cache's
	// clock is read once for it, every dependency is checked before any is recorded (as
	// recording may evict), then the kept ones are recorded as sent.
	opGroup
	// opMain is the message of the object the event is about: always sent, recorded.
	opMain
	// opDep is a dependency: left out when the cache holds it, recorded when sent.
	opDep
	// opKeep is sent as is and not recorded (deletes).
	opKeep
)

// step is one step of a plan. Message steps carry their final Seq, Pos and Time; data is
// the message's encoded frame data (appendData, not recovered) when the plan was shared,
// else nil.
type step struct {
	op   stepOp
	n    int     // opGroup: the message steps that follow it
	id   stix.ID // opForget
	msg  Message
	data []byte
}

func forgetStep(id stix.ID) step { return step{op: opForget, id: id} }

// isMessage reports whether the step carries a message.
func (st *step) isMessage() bool { return st.op >= opMain }

// numberSteps sets the Seq of the message steps of a plan of deletes to their index among
// them: such a group does not depend on the cache, so it is its own full plan.
func numberSteps(steps []step) []step {
	i := 0
	for k := range steps {
		if steps[k].isMessage() {
			steps[k].msg.Seq = i
			i++
		}
	}
	return steps
}

// applyPlan applies steps to the subscriber's cache and appends to out the messages it
// sends, and to data their encoded data (nil where the plan holds none); data may be nil,
// then it is left nil. The steps are not modified: a shared plan is read by many.
func (s *engineState) applyPlan(steps []step, out []Message, data [][]byte) ([]Message, [][]byte) {
	for i := 0; i < len(steps); i++ {
		st := &steps[i]
		switch st.op {
		case opForget:
			s.cache.forget(st.id)
		case opKeep:
			out = append(out, st.msg)
			if data != nil {
				data = append(data, st.data)
			}
		case opGroup:
			grp := steps[i+1 : i+1+st.n]
			out, data = s.applyGroup(grp, out, data)
			i += st.n
		}
	}
	return out, data
}

// applyGroup is applyPlan for the message steps of one planned group.
func (s *engineState) applyGroup(grp []step, out []Message, data [][]byte) ([]Message, [][]byte) {
	now := s.cache.now()
	first := len(out)
	kept := s.keptScratch[:0]
	for k := range grp {
		st := &grp[k]
		if st.op == opDep && s.cache.freshAt(st.msg.Object.ID(), now) {
			continue // the subscriber holds it
		}
		kept = append(kept, k)
	}
	s.keptScratch = kept
	for _, k := range kept {
		out = append(out, grp[k].msg)
		if data != nil {
			data = append(data, grp[k].data)
		}
	}
	for _, m := range out[first:] {
		s.cache.sentAt(m.Object.ID(), now)
	}
	return out, data
}
