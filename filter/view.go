package filter

import (
	"strings"
	"time"

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

	m      *Matcher // the matcher evaluated: its clock and its relationship filters
	b      *Bound   // the moment bound, or nil for Matcher.Match
	times  Times    // the record's times, when the feed knows them (zero: unknown)
	now    time.Time
	nowSet bool // now was read from the clock (Matcher.Match only)
}

type extView struct {
	done bool
	raw  string // the extension's JSON object, "" when absent
}

// The OpenCTI extensions a view caches.
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

// mayHave reports whether the object's JSON may hold needle, the literal name of a property.
// Searching the bytes is much cheaper than a gjson lookup that walks every member, and it is
// exact as long as no name is spelled with \u escapes; when the JSON has any, it says yes.
func (v *view) mayHave(needle string) bool {
	// The needle first: when it is there the look-up decides, and the escape scan is
	// needed only to trust its absence.
	if needle == "" || strings.Contains(v.o.String(), needle) {
		return true
	}
	if v.esc == 0 {
		v.esc = 1
		if strings.Contains(v.o.String(), `\u`) {
			v.esc = 2
		}
	}
	return v.esc == 2
}

// extension returns the JSON of OpenCTI's extension i of the object ("" when absent). The
// string starts with the extension's object and may run on past its end.
func (v *view) extension(i int) string {
	e := &v.ext[i]
	if !e.done {
		e.done = true
		// stix kept the extensions object at parse time, so only it is searched.
		e.raw = v.object(v.o.Extensions().Raw, extName(i))
	}
	return e.raw
}

// object returns the member key of the JSON object obj when it is an object, from its start
// to the end of obj ("" otherwise): where a nested lookup starts, without finding its end.
func (v *view) object(obj, key string) string {
	if obj == "" {
		return ""
	}
	start, res := findMember(obj, key)
	switch res {
	case memberUnsure:
		if r := gjson.Get(obj, key); r.IsObject() {
			return r.Raw
		}
		return ""
	case memberFound:
		if start < len(obj) && obj[start] == '{' {
			return obj[start:]
		}
	}
	return ""
}

// extMember returns the member key of OpenCTI's extension i.
func (v *view) extMember(i int, key string) gjson.Result {
	raw := v.extension(i)
	if raw == "" {
		return gjson.Result{}
	}
	sub, res := v.memberRaw(raw, key)
	if res != memberFound {
		return gjson.Result{}
	}
	return gjson.Parse(sub)
}

// lookup returns the value at l on the object.
func (v *view) lookup(l loc) gjson.Result {
	if l.ext != "" {
		i := octiExt
		if l.ext == extOpenCTISCO {
			i = octiSCOExt
		}
		return v.extMember(i, l.path)
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
	raw, res := v.memberRaw(v.o.String(), key)
	if res != memberFound {
		return gjson.Result{}
	}
	return gjson.Parse(raw)
}

// memberRaw returns the raw JSON of the member key of the JSON object obj. When a member name
// holds escapes it asks gjson, which decodes them; it never reports memberUnsure.
func (v *view) memberRaw(obj, key string) (string, memberResult) {
	raw, res := topMember(obj, key)
	if res == memberUnsure {
		if r := gjson.Get(obj, key); r.Exists() {
			return r.Raw, memberFound
		}
		return "", memberAbsent
	}
	return raw, res
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
