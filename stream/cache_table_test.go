package stream

import (
	"math/rand/v2"
	"testing"
)

// The table agrees with a Go map under random sets, gets and deletes, with many keys
// sharing a home slot (so that deletes shift probe runs back) and the key 0, while it
// grows and shrinks.
func TestIDTableAgreesWithAMap(t *testing.T) {
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, 99))
		var tab idTable
		ref := map[uint64]uint64{}
		keys := make([]uint64, 300)
		for i := range keys {
			keys[i] = fixKey(r.Uint64N(64)<<40 | uint64(i%17)) // 17 home slots at most
		}
		for op := range 20000 {
			k := keys[r.IntN(len(keys))]
			switch r.IntN(3) {
			case 0:
				tab.set(k, uint64(op))
				ref[k] = uint64(op)
			case 1:
				tab.del(k)
				delete(ref, k)
			}
			want, wok := ref[k]
			if got, ok := tab.get(k); ok != wok || got != want {
				t.Fatalf("seed %d op %d: get(%#x) = %d, %v; want %d, %v", seed, op, k, got, ok, want, wok)
			}
			if tab.len() != len(ref) {
				t.Fatalf("seed %d op %d: len %d, want %d", seed, op, tab.len(), len(ref))
			}
		}
		for _, k := range keys {
			want, wok := ref[k]
			if got, ok := tab.get(k); ok != wok || got != want {
				t.Fatalf("seed %d: final get(%#x) = %d, %v; want %d, %v", seed, k, got, ok, want, wok)
			}
		}
		if 4*tab.len() > 3*len(tab.slots) {
			t.Fatalf("seed %d: %d entries in %d slots: more than three quarters full", seed, tab.len(), len(tab.slots))
		}
	}
	var tab idTable
	tab.set(0, 7) // the empty-slot marker, stored as 1
	if got, ok := tab.get(0); !ok || got != 7 {
		t.Fatalf("key 0: get = %d, %v", got, ok)
	}
}
