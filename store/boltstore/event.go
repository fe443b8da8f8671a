package boltstore

import (
	"encoding/binary"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Event layout: kind(1, +0x80 when Cur is Prev) id prev cur nsources (id raw)*, each
// string as uvarint length + bytes (a nil object has length 0).
const curIsPrev = 0x80

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func rawOf(o *stix.Object) []byte {
	if o == nil {
		return nil
	}
	return o.Raw()
}

func encodeEvent(ev store.Event) []byte {
	n := 16 + len(ev.ID) + len(rawOf(ev.Prev)) + len(rawOf(ev.Cur))
	for i := range ev.Sources {
		n += 16 + len(ev.Sources[i]) + len(rawOf(ev.SourceObjects[i]))
	}
	b := make([]byte, 0, n)
	k := byte(ev.Kind)
	cur := rawOf(ev.Cur)
	if ev.Prev != nil && ev.Cur == ev.Prev {
		k |= curIsPrev
		cur = nil
	}
	b = append(b, k)
	b = appendBytes(b, []byte(ev.ID))
	b = appendBytes(b, rawOf(ev.Prev))
	b = appendBytes(b, cur)
	b = binary.AppendUvarint(b, uint64(len(ev.Sources)))
	for i, src := range ev.Sources {
		b = appendBytes(b, []byte(src))
		b = appendBytes(b, rawOf(ev.SourceObjects[i]))
	}
	return b
}

// eventReader splits an encoded event.
type eventReader struct {
	b   []byte
	err bool
}

func (r *eventReader) next() []byte {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || uint64(len(r.b)-k) < n {
		r.err = true
		return nil
	}
	s := r.b[k : k+int(n)]
	r.b = r.b[k+int(n):]
	return s
}

func (r *eventReader) count() int {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)) {
		r.err = true
		return 0
	}
	r.b = r.b[k:]
	return int(n)
}

// eventIDs returns the ids an encoded event changed: its id and its merge sources.
func eventIDs(v []byte) ([]stix.ID, error) {
	if len(v) < 1 {
		return nil, fmt.Errorf("%w: an empty log entry", ErrCorrupt)
	}
	r := eventReader{b: v[1:]}
	ids := []stix.ID{stix.ID(r.next())}
	r.next()
	r.next()
	for range r.count() {
		ids = append(ids, stix.ID(r.next()))
		r.next()
	}
	if r.err {
		return nil, fmt.Errorf("%w: a malformed log entry", ErrCorrupt)
	}
	return ids, nil
}

func decodeEvent(pos store.Position, v []byte) (store.Event, error) {
	bad := fmt.Errorf("%w: a malformed log entry at %s", ErrCorrupt, pos)
	if len(v) < 1 {
		return store.Event{}, bad
	}
	ev := store.Event{Pos: pos, Time: pos.Time(), Kind: store.EventKind(v[0] &^ curIsPrev)}
	r := eventReader{b: v[1:]}
	ev.ID = stix.ID(r.next())
	prev, cur := r.next(), r.next()
	var err error
	if len(prev) > 0 {
		if ev.Prev, err = parseStored(prev); err != nil {
			return store.Event{}, err
		}
	}
	if v[0]&curIsPrev != 0 {
		ev.Cur = ev.Prev
	} else if len(cur) > 0 {
		if ev.Cur, err = parseStored(cur); err != nil {
			return store.Event{}, err
		}
	}
	if n := r.count(); n > 0 {
		ev.Sources = make([]stix.ID, 0, n)
		ev.SourceObjects = make([]*stix.Object, 0, n)
		for range n {
			ev.Sources = append(ev.Sources, stix.ID(r.next()))
			o, err := parseStored(r.next())
			if err != nil {
				return store.Event{}, err
			}
			ev.SourceObjects = append(ev.SourceObjects, o)
		}
	}
	if r.err || ev.Kind < store.EventCreate || ev.Kind > store.EventDelete {
		return store.Event{}, bad
	}
	return ev, nil
}

// relationEnds returns the ids a relationship or sighting connects (none for other types).
func relationEnds(id stix.ID, raw []byte) []stix.ID {
	var props []string
	switch id.Type() {
	case "relationship":
		props = []string{"source_ref", "target_ref"}
	case "sighting":
		props = []string{"sighting_of_ref", "where_sighted_refs", "observed_data_refs"}
	default:
		return nil
	}
	var ends []stix.ID
	for _, r := range gjson.GetManyBytes(raw, props...) {
		if r.IsArray() {
			for _, e := range r.Array() {
				if e.Type == gjson.String {
					ends = append(ends, stix.ID(e.Str))
				}
			}
		} else if r.Type == gjson.String {
			ends = append(ends, stix.ID(r.Str))
		}
	}
	return ends
}
