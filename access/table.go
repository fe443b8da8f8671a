package access

import "github.com/ctifeed/ctifeed/stix"

// markingTable is a small open-addressing hash table from marking id to family and rank,
// built once per Visibility. It replaces a Go map on the hot path: marking ids share a
// 20-byte prefix, so hashing only their random tail and comparing once is cheaper than
// hashing the whole string. Lookups of hostile ids cost at most one pass over the table.
type markingTable struct {
	slots []markingSlot // length is a power of two, at least twice the entries
	mask  uint32
}

type markingSlot struct {
	id     stix.ID
	family int // 0: standalone; otherwise an index into the Visibility's family names
	rank   int
}

func newMarkingTable(n int) markingTable {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return markingTable{slots: make([]markingSlot, size), mask: uint32(size - 1)}
}

// hashID hashes the last four bytes of id, which in a marking id are random hex digits,
// with one multiplication (Fibonacci hashing); the table's probing absorbs collisions.
func hashID(id stix.ID) uint32 {
	n := len(id)
	if n < 4 {
		return uint32(n)
	}
	x := uint32(id[n-1]) | uint32(id[n-2])<<8 | uint32(id[n-3])<<16 | uint32(id[n-4])<<24
	return (x * 2654435769) >> 16
}

// insert adds id; it reports false if id is already present. id must not be empty.
func (t *markingTable) insert(id stix.ID, family, rank int) bool {
	for i, n := hashID(id)&t.mask, 0; n < len(t.slots); i, n = (i+1)&t.mask, n+1 {
		s := &t.slots[i]
		if s.id == "" {
			*s = markingSlot{id: id, family: family, rank: rank}
			return true
		}
		if s.id == id {
			return false
		}
	}
	return false // unreachable: the table is never more than half full
}

// lookup returns the slot of id, or nil when id is not defined.
func (t *markingTable) lookup(id stix.ID) *markingSlot {
	if id == "" || len(t.slots) == 0 {
		return nil
	}
	for i, n := hashID(id)&t.mask, 0; n < len(t.slots); i, n = (i+1)&t.mask, n+1 {
		s := &t.slots[i]
		if s.id == "" {
			return nil
		}
		if s.id == id {
			return s
		}
	}
	return nil
}
