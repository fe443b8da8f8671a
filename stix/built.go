package stix

import (
	"strings"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"
)

// builtObject is an Object with room for the lists a built object usually holds (its
// author and one marking, a label or two), so that they take one allocation with it instead
// of one each; longer lists get their own. The room is kept small because every byte
// allocated costs a builder time in the collector: 480 bytes, a size class, where room for
// four references and two markings took 576. The lists are sliced to their length, so a
// caller appending to one gets a copy.
type builtObject struct {
	Object
	refs     [3]Ref
	markings [1]ID
	labels   [2]string
}

// objectOf returns the Object for raw, the JSON that encodeFields wrote from the fields at
// the positions order gives, each value at spans[n]; valid is what encodeFields reported.
// Where it can, it fills the Object from the fields themselves instead of scanning raw
// again: reading back what was just written was a third of a builder's cost. It scans when
// a field holds a value it does not know the shape of (nested objects and numbers may hold
// references or common properties) or a string that is not valid UTF-8 (written as
// \ufffd, so it reads back different). build_oracle_test.go checks that both ways give
// equal Objects.
func objectOf(raw []byte, valid bool, fields []field, order []int, spans []span) (*Object, error) {
	if !valid || !simpleFields(fields, order) {
		return parseOwned(raw)
	}
	// Count the lists first, to know whether they fit in a builtObject.
	nRefs, nMarkings, nLabels := 0, -1, -1
	for _, i := range order {
		f := &fields[i]
		switch f.key {
		case "object_marking_refs":
			nMarkings = len(f.ids) + len(f.ss)
		case "labels":
			nLabels = len(f.ids) + len(f.ss)
		}
		nRefs += refCount(f)
	}
	b := new(builtObject)
	o := &b.Object
	o.raw, o.str = raw, unsafe.String(&raw[0], len(raw))
	if nRefs > 0 { // none is nil, as Parse leaves it
		o.refs = sliceOf(b.refs[:], nRefs)
	}
	if nMarkings >= 0 {
		o.markings = sliceOf(b.markings[:], nMarkings)
	}
	if nLabels >= 0 {
		o.labels = sliceOf(b.labels[:], nLabels)
	}
	for n, i := range order {
		f := &fields[i]
		switch f.key {
		case "type":
			o.typ = f.s
		case "id":
			o.id = ID(f.s)
			if f.kind == kindNewID {
				o.id = ID(o.str[spans[n].start+1 : spans[n].end-1]) // inside the quotes
			}
		case "spec_version":
			o.spec = f.s
		case "created":
			o.createdRaw = o.timestamp(f, spans[n], &o.created)
		case "modified":
			o.modifiedRaw = o.timestamp(f, spans[n], &o.modified)
		case "created_by_ref":
			o.createdBy = ID(f.s)
		case "object_marking_refs":
			o.markings = append(o.markings, f.ids...)
			for _, s := range f.ss {
				o.markings = append(o.markings, ID(s))
			}
		case "labels":
			o.labels = append(o.labels, f.ss...)
			for _, id := range f.ids {
				o.labels = append(o.labels, string(id))
			}
		case "revoked":
			o.revoked = f.b
		}
		if refCount(f) == 0 {
			continue
		}
		path := gjson.Escape(f.key)
		switch f.kind {
		case kindString:
			o.refs = append(o.refs, Ref{Path: path, Index: -1, ID: ID(f.s)})
		case kindIDs:
			for j, id := range f.ids {
				o.refs = append(o.refs, Ref{Path: path, Index: j, ID: id})
			}
		case kindStrings:
			for j, s := range f.ss {
				o.refs = append(o.refs, Ref{Path: path, Index: j, ID: ID(s)})
			}
		}
	}
	if o.typ == "" || o.id == "" {
		return parseOwned(raw) // for its error
	}
	return o, nil
}

// refCount returns how many references the field holds, as Parse counts them.
func refCount(f *field) int {
	switch {
	case f.kind == kindString && strings.HasSuffix(f.key, "_ref"):
		return 1
	case (f.kind == kindIDs || f.kind == kindStrings) && strings.HasSuffix(f.key, "_refs"):
		return len(f.ids) + len(f.ss)
	}
	return 0
}

// sliceOf returns an empty slice of capacity n, in room when it fits. Parse gives an empty
// list, or null, as an empty slice, not nil, and so must a builder.
func sliceOf[T any](room []T, n int) []T {
	if n <= len(room) {
		return room[:0:n]
	}
	return make([]T, 0, n)
}

// timestamp returns the raw text of a created or modified field written at sp and stores
// its time in t, as Parse would read them: from the time the field holds when it is one
// FormatTime writes in full, else by parsing.
func (o *Object) timestamp(f *field, sp span, t *time.Time) string {
	if f.kind != kindTime {
		*t, _ = ParseTime(f.s)
		return f.s
	}
	s := o.str[sp.start+1 : sp.end-1] // inside the quotes; a timestamp has no escapes
	if tt, ok := truncTime(f.t); ok {
		*t = tt
	} else {
		*t, _ = ParseTime(s)
	}
	return s
}

// simpleFields reports whether objectOf can read the fields order selects without scanning:
// only strings, timestamps, booleans and lists of strings, with the common properties of
// the kinds the scanner would accept.
func simpleFields(fields []field, order []int) bool {
	for _, i := range order {
		f := &fields[i]
		if f.kind == kindAny {
			return false
		}
		switch f.key {
		case "type", "spec_version", "created_by_ref":
			if f.kind != kindString {
				return false
			}
		case "id":
			if f.kind != kindString && f.kind != kindNewID {
				return false
			}
		case "created", "modified":
			if f.kind != kindString && f.kind != kindTime {
				return false
			}
		case "object_marking_refs", "labels":
			if f.kind != kindIDs && f.kind != kindStrings {
				return false
			}
		case "confidence", "extensions":
			return false
		case "revoked":
			if f.kind != kindBool {
				return false
			}
		}
	}
	return true
}
