package stix

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// objectOf returns the Object for raw, the JSON that encodeFields wrote from the fields at
// the positions order gives. Where it
// can, it fills the Object from the fields themselves instead of scanning raw again: reading
// back what was just written was a third of a builder's cost. It scans when a field holds a
// value it does not know the shape of (nested objects and numbers may hold references or
// common properties) or a string that is not valid UTF-8 (written as \ufffd, so it reads
// back different). build_oracle_test.go checks that both ways give equal Objects.
func objectOf(raw []byte, fields []field, order []int) (*Object, error) {
	if !simpleFields(fields) {
		return parseOwned(raw)
	}
	o := &Object{raw: raw, str: unsafe.String(&raw[0], len(raw))}
	var refBuf [8]Ref
	refs := refBuf[:0]
	for _, i := range order {
		f := &fields[i]
		switch f.key {
		case "type":
			o.typ = f.s
		case "id":
			o.id = ID(f.s)
		case "spec_version":
			o.spec = f.s
		case "created":
			o.createdRaw = f.s
			o.created, _ = ParseTime(f.s)
		case "modified":
			o.modifiedRaw = f.s
			o.modified, _ = ParseTime(f.s)
		case "created_by_ref":
			o.createdBy = ID(f.s)
		case "object_marking_refs":
			o.markings = make([]ID, 0, max(2, len(f.ids), len(f.ss)))
			o.markings = append(o.markings, f.ids...)
			for _, s := range f.ss {
				o.markings = append(o.markings, ID(s))
			}
		case "labels":
			o.labels = make([]string, 0, max(4, len(f.ids), len(f.ss)))
			o.labels = append(o.labels, f.ss...)
			for _, id := range f.ids {
				o.labels = append(o.labels, string(id))
			}
		case "revoked":
			o.revoked = f.b
		}
		switch {
		case strings.HasSuffix(f.key, "_ref") && f.kind == kindString:
			refs = append(refs, Ref{Path: gjson.Escape(f.key), Index: -1, ID: ID(f.s)})
		case strings.HasSuffix(f.key, "_refs") && f.kind == kindIDs:
			for j, id := range f.ids {
				refs = append(refs, Ref{Path: gjson.Escape(f.key), Index: j, ID: id})
			}
		case strings.HasSuffix(f.key, "_refs") && f.kind == kindStrings:
			for j, s := range f.ss {
				refs = append(refs, Ref{Path: gjson.Escape(f.key), Index: j, ID: ID(s)})
			}
		}
	}
	if len(refs) > 0 {
		o.refs = append([]Ref(nil), refs...)
	}
	if o.typ == "" || o.id == "" {
		return parseOwned(raw) // for its error
	}
	return o, nil
}

// simpleFields reports whether objectOf can read fields without scanning: only strings,
// booleans and lists of strings, all valid UTF-8, with the common properties of the kinds
// the scanner would accept.
func simpleFields(fields []field) bool {
	for i := range fields {
		f := &fields[i]
		if f.kind == kindAny || !utf8.ValidString(f.key) || !utf8.ValidString(f.s) {
			return false
		}
		for _, s := range f.ss {
			if !utf8.ValidString(s) {
				return false
			}
		}
		for _, id := range f.ids {
			if !utf8.ValidString(string(id)) {
				return false
			}
		}
		switch f.key {
		case "type", "id", "spec_version", "created", "modified", "created_by_ref":
			if f.kind != kindString {
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
