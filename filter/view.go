package filter

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// view is what one Match knows about its object: the object and the lookups done so far. It
// lives on the stack of Match, so a match shares lookups between keys without allocating.
type view struct {
	o   *stix.Object
	typ string
	esc int8 // 0: not yet known; 1: the JSON has no \u escapes; 2: it has some
	ext [2]extView
}

type extView struct {
	done bool
	r    gjson.Result
}

// The OpenCTI extensions a view caches, with a piece of each name to search the JSON for.
const (
	octiExt = iota
	octiSCOExt
)

func extName(i int) string {
	if i == octiSCOExt {
		return extOpenCTISCO
	}
	return extOpenCTI
}

func extNeedle(i int) string {
	if i == octiSCOExt {
		return "95c9bd566a82"
	}
	return "831c66a786ba"
}

// mayHave reports whether the object's JSON may hold needle, the literal name of a property.
// Searching the bytes is much cheaper than a gjson lookup that walks every member, and it is
// exact as long as no name is spelled with \u escapes; when the JSON has any, it says yes.
func (v *view) mayHave(needle string) bool {
	if needle == "" {
		return true
	}
	if v.esc == 0 {
		v.esc = 1
		if strings.Contains(v.o.String(), `\u`) {
			v.esc = 2
		}
	}
	return v.esc == 2 || strings.Contains(v.o.String(), needle)
}

// extension returns OpenCTI's extension i of the object (a non-existent result when absent).
func (v *view) extension(i int) gjson.Result {
	e := &v.ext[i]
	if !e.done {
		e.done = true
		if v.mayHave(extNeedle(i)) {
			e.r = v.member("extensions").Get(extName(i))
		}
	}
	return e.r
}

// lookup returns the value at l on the object.
func (v *view) lookup(l loc) gjson.Result {
	if l.ext != "" {
		i := octiExt
		if l.ext == extOpenCTISCO {
			i = octiSCOExt
		}
		return v.extension(i).Get(l.path)
	}
	if l.needle == "" {
		return v.o.Get(l.path)
	}
	if !v.mayHave(l.needle) {
		return gjson.Result{}
	}
	r := v.member(l.needle)
	if rest := l.path[len(l.needle):]; rest != "" {
		r = r.Get(rest[1:]) // after the dot
	}
	return r
}

// member returns the object's top-level member named key, a plain name.
func (v *view) member(key string) gjson.Result {
	raw, res := topMember(v.o.String(), key)
	switch res {
	case memberFound:
		return gjson.Parse(raw)
	case memberUnsure:
		return v.o.Get(key)
	}
	return gjson.Result{}
}

// needleOf returns the first member name of a gjson path when the path is a plain dotted one,
// else "" (no pre-check).
func needleOf(path string) string {
	first, _, _ := strings.Cut(path, ".")
	if first == "" {
		return ""
	}
	for i := 0; i < len(first); i++ {
		c := first[i]
		if !(isWordByte(c) || c == '-') {
			return ""
		}
	}
	return first
}
