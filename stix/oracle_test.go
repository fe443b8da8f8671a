package stix

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/tidwall/gjson"
)

// This file keeps the first implementation of Parse (gjson validation and a gjson walk) as an
// oracle for the one-pass scanner that replaced it for speed: FuzzScanMatchesGJSON checks
// that both accept the same input and find the same properties and references.

func oracleParse(raw []byte) (*Object, error) {
	if err := oracleCheckDepth(raw); err != nil {
		return nil, err
	}
	if !gjson.ValidBytes(raw) {
		return nil, &SyntaxError{Msg: "not well-formed JSON"}
	}
	o := &Object{raw: raw}
	if len(raw) > 0 {
		o.str = unsafe.String(&raw[0], len(raw))
	}
	root := gjson.Parse(o.str)
	if !root.IsObject() {
		return nil, &SyntaxError{Msg: "not a JSON object"}
	}
	w := oracleWalker{o: o}
	if err := w.top(root); err != nil {
		return nil, err
	}
	if o.typ == "" || o.id == "" {
		return nil, &SyntaxError{Msg: "no type or id"}
	}
	return o, nil
}

func FuzzScanMatchesGJSON(f *testing.F) {
	f.Add([]byte(`{"type":"x-a","id":"x-a--b","x":{"a_ref":"c--d","b_refs":["e--f",1,{"g_ref":"h--i"}]},"external_references":[{"x_ref":"a--b"}]}`))
	f.Add([]byte(`{"type":"x-a","id":"x-a--b","x":{"k":1,"k":2}}`))
	f.Add([]byte(`{"type":"x\u0041","id":"\"--","a\\b_ref":"x--y","n":-0.5e+3,"t":[true,false,null]}`))
	f.Add([]byte(`{"type":"indicator","id":"indicator--1","created":"2016-04-06T20:03:48.000Z","labels":["a"],"object_marking_refs":["m--1"],"confidence":5,"revoked":true,"extensions":{"e":{"v_ref":"q--1"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gotErr := parseOwned(slices.Clone(data))
		want, wantErr := oracleParse(slices.Clone(data))
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("scanner error %v, gjson error %v", gotErr, wantErr)
		}
		if gotErr != nil {
			return
		}
		if got.id != want.id || got.typ != want.typ || got.spec != want.spec ||
			got.createdRaw != want.createdRaw || got.modifiedRaw != want.modifiedRaw ||
			got.createdBy != want.createdBy || !slices.Equal(got.markings, want.markings) ||
			!slices.Equal(got.labels, want.labels) || got.revoked != want.revoked ||
			got.confidence != want.confidence || got.hasConf != want.hasConf || got.hasExt != want.hasExt {
			t.Fatalf("common properties differ:\n%+v\n%+v", got, want)
		}
		if !slices.Equal(got.refs, want.refs) {
			t.Fatalf("refs differ:\n%v\n%v", got.refs, want.refs)
		}
		if e := got.Extensions(); got.hasExt && (e.Raw != want.ext || e.Index != gjson.Get(want.str, "extensions").Index) {
			t.Fatalf("extensions kept as %q at %d, gjson finds %q at %d", e.Raw, e.Index, want.ext, gjson.Get(want.str, "extensions").Index)
		}
	})
}

// oracleWalker reads the common properties and collects references in one pass over the JSON.
// It keeps the path as a stack of escaped components and joins it only when it finds a
// reference, so that walking costs no allocation.
type oracleWalker struct {
	o     *Object
	stack []string
	err   error
}

func (w *oracleWalker) top(root gjson.Result) error {
	w.object(root, func(key string, v gjson.Result) {
		if err := w.o.readCommon(key, v); err != nil && w.err == nil {
			w.err = err
		}
	})
	return w.err
}

// object walks the members of a JSON object, calling each (if non-nil) for every member,
// rejecting duplicate names and collecting references.
func (w *oracleWalker) object(v gjson.Result, each func(string, gjson.Result)) {
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

func (w *oracleWalker) member(key string, val gjson.Result) {
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
func (w *oracleWalker) value(v gjson.Result) {
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

func (w *oracleWalker) fail(format string, args ...any) {
	if w.err == nil {
		w.err = &SyntaxError{Msg: fmt.Sprintf(format, args...)}
	}
}

// path returns the gjson path of key under the current stack; at the top level it is the key
// itself, without copying.
func (w *oracleWalker) path(key string) string {
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

// oracleCheckDepth rejects nesting deeper than maxDepth before any recursive parser sees the input,
// so hostile input cannot exhaust the stack.
func oracleCheckDepth(raw []byte) error {
	depth, inString := 0, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > maxDepth {
				return &SyntaxError{Msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
