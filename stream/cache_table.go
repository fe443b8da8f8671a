package stream

// idTable maps the 64-bit hashes of ids to queue positions for a sentCache: open
// addressing with linear probing and backward-shift deletion, so that a cache that sends
// and forgets an entry at every message keeps short probes (a Go map under the same
// insert-and-delete churn collects deleted slots until it grows, and its probes lengthen).
// The table stays at most three quarters full (probe runs stay short with backward-shift
// deletion, and a full default cache of 10,000 entries fits in 16,384 slots). Key 0 marks an empty slot: a hash of 0 is stored
// as 1 (two ids whose hashes differ only that way share an entry, as two ids sharing a
// hash do; see sentCache).
//
// It is not safe for concurrent use.
type idTable struct {
	slots []idSlot // len is zero or a power of two
	n     int
}

type idSlot struct{ key, pos uint64 }

const idTableMin = 16

func fixKey(k uint64) uint64 {
	if k == 0 {
		return 1
	}
	return k
}

func (t *idTable) len() int { return t.n }

// get returns the position stored for k.
func (t *idTable) get(k uint64) (uint64, bool) {
	if t.n == 0 {
		return 0, false
	}
	k = fixKey(k)
	mask := uint64(len(t.slots) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch t.slots[i].key {
		case k:
			return t.slots[i].pos, true
		case 0:
			return 0, false
		}
	}
}

// set stores pos for k.
func (t *idTable) set(k, pos uint64) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.resize(max(2*len(t.slots), idTableMin))
	}
	k = fixKey(k)
	mask := uint64(len(t.slots) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch t.slots[i].key {
		case k:
			t.slots[i].pos = pos
			return
		case 0:
			t.slots[i] = idSlot{k, pos}
			t.n++
			return
		}
	}
}

// del removes k, shifting back the entries of its probe run that may move into the hole.
func (t *idTable) del(k uint64) {
	if t.n == 0 {
		return
	}
	k = fixKey(k)
	mask := uint64(len(t.slots) - 1)
	i := k & mask
	for ; t.slots[i].key != k; i = (i + 1) & mask {
		if t.slots[i].key == 0 {
			return
		}
	}
	for j := (i + 1) & mask; t.slots[j].key != 0; j = (j + 1) & mask {
		home := t.slots[j].key & mask
		// j's entry may fill the hole at i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = idSlot{}
	t.n--
	if len(t.slots) > idTableMin && 8*t.n < len(t.slots) {
		t.resize(len(t.slots) / 2) // follow the entries down, so an emptied cache is small
	}
}

// clear removes every entry and gives the memory back.
func (t *idTable) clear() { t.slots, t.n = nil, 0 }

func (t *idTable) resize(size int) {
	old := t.slots
	t.slots, t.n = make([]idSlot, size), 0
	for _, s := range old {
		if s.key != 0 {
			t.set(s.key, s.pos)
		}
	}
}
