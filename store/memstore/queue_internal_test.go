package memstore

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The queue keeps FIFO order through pushes, drops, in-place compaction and shrinking,
// against a plain slice model.
func TestQueueMatchesASlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q queue[int]
	var model []int
	next := 0
	for step := range 20_000 {
		if rng.IntN(3) > 0 || len(model) == 0 { // pushes outnumber drops, then bursts of drops
			q.push(next)
			model = append(model, next)
			next++
		} else {
			n := 1 + rng.IntN(len(model))
			if step%7 != 0 {
				n = 1
			}
			q.drop(n)
			model = model[n:]
		}
		if !slices.Equal(q.items(), model) || q.len() != len(model) {
			t.Fatalf("step %d: queue holds %v, want %v", step, q.items(), model)
		}
		if cap(q.buf) > 64 && cap(q.buf) > 8*max(q.len(), 1)+64 {
			t.Fatalf("step %d: %d items pin an array of %d", step, q.len(), cap(q.buf))
		}
	}
}
