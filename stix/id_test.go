package stix_test

import (
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/ctifeed/ctifeed/stix"
)

func TestNewIDIsRandomVersion4(t *testing.T) {
	seen := make(map[stix.ID]bool)
	var ones, zeros [16]byte // which bits were seen set and clear, over all draws
	for range 1000 {
		id := stix.NewID("indicator")
		if err := id.Validate(); err != nil || id.Type() != "indicator" {
			t.Fatalf("NewID gave %s: %v", id, err)
		}
		u, err := uuid.Parse(id.UUID())
		if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("NewID gave %s: version %d, variant %v, %v; want a version 4 RFC 4122 UUID", id, u.Version(), u.Variant(), err)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %s", id)
		}
		seen[id] = true
		for i, c := range u {
			ones[i] |= c
			zeros[i] |= ^c
		}
	}
	// Every bit but the 6 fixed by version and variant must vary.
	fixed := [16]byte{6: 0xf0, 8: 0xc0}
	for i := range ones {
		if varying := ones[i] & zeros[i]; varying != ^fixed[i] {
			t.Errorf("byte %d: bits %08b vary, want %08b", i, varying, ^fixed[i])
		}
	}
}

// TestNewIDConcurrent draws ids from several goroutines at once: no id repeats, and the race
// detector sees no sharing.
func TestNewIDConcurrent(t *testing.T) {
	const workers, each = 8, 500
	ids := make([][]stix.ID, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				ids[w] = append(ids[w], stix.NewID("malware"))
			}
		})
	}
	wg.Wait()
	seen := make(map[stix.ID]bool, workers*each)
	for _, l := range ids {
		for _, id := range l {
			if seen[id] {
				t.Fatalf("NewID repeated %s", id)
			}
			seen[id] = true
		}
	}
}
