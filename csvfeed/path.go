package csvfeed

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// maxPathSegments bounds a mapping's path; STIX nests a few levels, not hundreds.
const maxPathSegments = 32

// parsePath splits a mapping attribute into literal property names (see [Mapping]).
func parsePath(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("missing property path")
	}
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '.' || s[i+1] == '\\'):
			i++
			cur.WriteByte(s[i])
		case c == '.':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	segs = append(segs, cur.String())
	for _, seg := range segs {
		if seg == "" {
			return nil, errors.New("empty property name in path " + quote(s))
		}
	}
	if len(segs) > maxPathSegments {
		return nil, errors.New("path " + quote(s) + " is too deep")
	}
	return segs, nil
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// appendValues appends the values found at path in the JSON r: strings as they are,
// numbers as written, booleans as true/false, objects as compact JSON; arrays are read
// element by element; null, missing and empty values add nothing.
func appendValues(dst []string, r gjson.Result, path []string) []string {
	if len(path) == 0 {
		return appendLeaf(dst, r, 0)
	}
	switch {
	case r.IsArray():
		r.ForEach(func(_, el gjson.Result) bool {
			dst = appendValues(dst, el, path)
			return true
		})
	case r.IsObject():
		if next, ok := member(r, path[0]); ok {
			dst = appendValues(dst, next, path[1:])
		}
	}
	return dst
}

// member returns r's member named key, exactly or else ignoring case.
func member(r gjson.Result, key string) (gjson.Result, bool) {
	if v := r.Get(gjson.Escape(key)); v.Exists() {
		return v, true
	}
	var found gjson.Result
	ok := false
	r.ForEach(func(k, v gjson.Result) bool {
		if strings.EqualFold(k.Str, key) {
			found, ok = v, true
			return false
		}
		return true
	})
	return found, ok
}

// maxLeafDepth stops flattening arrays of arrays; deeper content is kept as JSON.
const maxLeafDepth = 4

func appendLeaf(dst []string, r gjson.Result, depth int) []string {
	switch r.Type {
	case gjson.String:
		if r.Str != "" {
			dst = append(dst, r.Str)
		}
	case gjson.Number:
		dst = append(dst, r.Raw)
	case gjson.True:
		dst = append(dst, "true")
	case gjson.False:
		dst = append(dst, "false")
	case gjson.JSON:
		if r.IsArray() && depth < maxLeafDepth {
			r.ForEach(func(_, el gjson.Result) bool {
				dst = appendLeaf(dst, el, depth+1)
				return true
			})
			break
		}
		var b bytes.Buffer
		if json.Compact(&b, []byte(r.Raw)) == nil {
			dst = append(dst, b.String())
		}
	}
	return dst
}

// gjsonOf returns o's JSON for path reading.
func gjsonOf(o *stix.Object) gjson.Result { return gjson.Parse(o.String()) }
