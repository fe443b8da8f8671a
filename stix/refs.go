package stix

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Ref is one reference from an object to another: a value of a property whose name ends in
// `_ref`, or one element of a property whose name ends in `_refs`, at any depth.
type Ref struct {
	// Path is the gjson path of the property, e.g. "created_by_ref", "object_refs" or
	// "granular_markings.0.marking_ref".
	Path string
	// Index is the position within a `_refs` list, or -1 for a `_ref` property.
	Index int
	// ID is the referenced identifier.
	ID ID
}

// String returns the reference's location and target, e.g. "object_refs[2] -> indicator--…".
func (r Ref) String() string {
	if r.Index < 0 {
		return r.Path + " -> " + string(r.ID)
	}
	return r.Path + "[" + strconv.Itoa(r.Index) + "] -> " + string(r.ID)
}

// Refs returns every reference the object holds, in document order. Properties named
// `external_references` and `kill_chain_phases` hold no references and are not searched.
// The caller must not modify the slice.
func (o *Object) Refs() []Ref { return o.refs }

// RefIDs returns the distinct referenced identifiers in document order.
func (o *Object) RefIDs() []ID {
	ids := make([]ID, 0, len(o.refs))
	for _, r := range o.refs {
		if !containsID(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func containsID(ids []ID, id ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// refWalker reads the common properties and collects references in one pass over the JSON.
// It keeps the path as a stack of escaped components and joins it only when it finds a
// reference, so that walking costs no allocation.
type refWalker struct {
	o     *Object
	stack []string
	err   error
}

// maxDepth bounds recursion so that hostile input cannot exhaust the stack.
const maxDepth = 64

func (w *refWalker) top(root gjson.Result) error {
	w.object(root, func(key string, v gjson.Result) {
		if err := w.o.readCommon(key, v); err != nil && w.err == nil {
			w.err = err
		}
	})
	return w.err
}

// object walks the members of a JSON object, calling each (if non-nil) for every member,
// rejecting duplicate names and collecting references.
func (w *refWalker) object(v gjson.Result, each func(string, gjson.Result)) {
	if len(w.stack) > maxDepth {
		w.fail("nesting deeper than %d levels", maxDepth)
		return
	}
	var seen [32]string
	var seenMap map[string]struct{}
	n := 0
	v.ForEach(func(k, val gjson.Result) bool {
		key := k.String()
		if n < len(seen) {
			for _, s := range seen[:n] {
				if s == key {
					w.fail("property %q appears twice", w.path(key))
					return false
				}
			}
			seen[n] = key
		} else {
			if seenMap == nil {
				seenMap = make(map[string]struct{}, 2*len(seen))
				for _, s := range seen {
					seenMap[s] = struct{}{}
				}
			}
			if _, dup := seenMap[key]; dup {
				w.fail("property %q appears twice", w.path(key))
				return false
			}
			seenMap[key] = struct{}{}
		}
		n++
		if each != nil {
			each(key, val)
		}
		w.member(key, val)
		return w.err == nil
	})
}

func (w *refWalker) member(key string, val gjson.Result) {
	switch {
	case key == "external_references" || key == "kill_chain_phases":
		return
	case strings.HasSuffix(key, "_ref") && val.Type == gjson.String:
		w.o.refs = append(w.o.refs, Ref{Path: w.path(key), Index: -1, ID: ID(val.Str)})
		return
	case strings.HasSuffix(key, "_refs") && val.IsArray():
		path := w.path(key)
		i := 0
		val.ForEach(func(_, e gjson.Result) bool {
			if e.Type == gjson.String {
				w.o.refs = append(w.o.refs, Ref{Path: path, Index: i, ID: ID(e.Str)})
			}
			i++
			return true
		})
		return
	}
	if val.IsObject() || val.IsArray() {
		w.stack = append(w.stack, key)
		w.value(val)
		w.stack = w.stack[:len(w.stack)-1]
	}
}

// value descends into objects and arrays looking for deeper references.
func (w *refWalker) value(v gjson.Result) {
	if v.IsObject() {
		w.object(v, nil)
		return
	}
	if len(w.stack) > maxDepth {
		w.fail("nesting deeper than %d levels", maxDepth)
		return
	}
	i := 0
	v.ForEach(func(_, e gjson.Result) bool {
		if e.IsObject() || e.IsArray() {
			w.stack = append(w.stack, strconv.Itoa(i))
			w.value(e)
			w.stack = w.stack[:len(w.stack)-1]
		}
		i++
		return w.err == nil
	})
}

func (w *refWalker) fail(format string, args ...any) {
	if w.err == nil {
		w.err = &SyntaxError{Msg: fmt.Sprintf(format, args...)}
	}
}

// path returns the gjson path of key under the current stack; at the top level it is the key
// itself, without copying.
func (w *refWalker) path(key string) string {
	if len(w.stack) == 0 {
		return gjson.Escape(key)
	}
	var b strings.Builder
	for _, c := range w.stack {
		b.WriteString(gjson.Escape(c))
		b.WriteByte('.')
	}
	b.WriteString(gjson.Escape(key))
	return b.String()
}
