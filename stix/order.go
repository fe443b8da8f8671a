package stix

// Order returns objs arranged so that each object comes after every object of objs that it
// references. Objects that do not depend on each other keep their input order, so the result
// is deterministic. A reference cycle is tolerated: its objects follow a depth-first walk from
// the one met first in input order, which therefore comes after the rest of its cycle.
// References to objects outside objs are ignored.
func Order(objs []*Object) []*Object {
	index := make(map[ID]int, len(objs))
	for i, o := range objs {
		if _, dup := index[o.id]; !dup {
			index[o.id] = i
		}
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]uint8, len(objs))
	out := make([]*Object, 0, len(objs))
	var visit func(i int)
	visit = func(i int) {
		state[i] = visiting
		for _, r := range objs[i].refs {
			if j, ok := index[r.ID]; ok && state[j] == unseen {
				visit(j)
			}
		}
		state[i] = done
		out = append(out, objs[i])
	}
	for i := range objs {
		if state[i] == unseen {
			visit(i)
		}
	}
	return out
}
