package stream

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ctifeed/ctifeed/store"
)

// A mid-group id is never an event's position, keeps its base's millisecond, orders the
// frames of its group, and decodes back to its base (in read form) and the frame's Seq.
func TestMidIDRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 5))
	bases := []store.Position{{}, {Millis: 1, Seq: 0}, {Millis: 1705309260000, Seq: 3},
		{Millis: 7, Seq: store.MaxSeq - 2}, {Millis: 7, Seq: math.MaxUint64}, store.PositionAt(t0)}
	for range 200 {
		bases = append(bases, store.Position{Millis: rng.Uint64N(1 << 45), Seq: rng.Uint64N(store.MaxSeq - 1)})
	}
	for _, base := range bases {
		var prev store.Position
		for _, seq := range []int{0, 1, 2, 1000, 1<<21 - 2, 1<<21 - 1, math.MaxUint32 - 2} {
			id := midID(base, seq)
			if id.Seq < store.MaxSeq || id.Millis != base.Millis {
				t.Fatalf("midID(%s, %d) = %s: an event's position, or another millisecond", base, seq, id)
			}
			if seq > 0 && id.Compare(prev) <= 0 {
				t.Errorf("midID(%s, %d) = %s is not after Seq's predecessor %s", base, seq, id, prev)
			}
			prev = id
			parsed, err := store.ParsePosition(id.String())
			if err != nil {
				t.Fatal(err)
			}
			rp := resumeFrom(parsed)
			if rp.pos != readPos(wirePos(base)) || rp.skip != seq {
				t.Errorf("midID(%s, %d) = %s decodes to %+v", base, seq, id, rp)
			}
			if seq < 1<<21-1 && id.Seq >= 1<<53 { // groups of fewer than 2^21 messages
				t.Errorf("midID(%s, %d) = %s: sequence not exact as a float64", base, seq, id)
			}
		}
	}
	// Reading after a base in read form skips nothing the base itself would not.
	for _, p := range []store.Position{{Millis: 5, Seq: math.MaxUint64}, {Millis: 5, Seq: 2}} {
		if got := readPos(wirePos(p)); got != p {
			t.Errorf("readPos(wirePos(%s)) = %s", p, got)
		}
	}
}
