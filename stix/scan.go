package stix

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 64

// scanner parses an object in one pass: it checks that the JSON is well-formed and nested at
// most maxDepth deep, rejects duplicated property names, reads the common properties and
// collects references. Most bytes of a STIX object are inside strings, which it crosses in a
// tight loop; it builds a reference's path only when it finds one.
type scanner struct {
	src     string // the object's bytes as a string; never modified
	raw     []byte // the same bytes
	i       int
	o       *Object
	path    []pathElem
	refs    []Ref
	skip    int // > 0 inside a subtree whose references do not count
	err     error
	pathBuf [8]pathElem
	refBuf  [8]Ref
}

// pathElem is one step of the current path: a property name, or an index when idx >= 0.
type pathElem struct {
	key string
	idx int
}

// scan parses o.str into o.
func scan(o *Object) error {
	if !utf8.ValidString(o.str) {
		return &SyntaxError{Msg: fmt.Sprintf("invalid UTF-8 at byte offset %d", invalidUTF8(o.str))}
	}
	s := &scanner{src: o.str, raw: o.raw, o: o}
	s.path, s.refs = s.pathBuf[:0], s.refBuf[:0]
	s.ws()
	if s.i >= len(s.src) || s.src[s.i] != '{' {
		if s.value(0) {
			if s.ws(); s.i == len(s.src) {
				return &SyntaxError{Msg: "not a JSON object"}
			}
		}
		return s.syntaxErr()
	}
	if !s.value(0) {
		return s.syntaxErr()
	}
	if s.ws(); s.i != len(s.src) {
		return s.syntaxErr()
	}
	if len(s.refs) > 0 {
		o.refs = slices.Clone(s.refs)
	}
	return nil
}

func (s *scanner) syntaxErr() error {
	if s.err != nil {
		return s.err
	}
	return &SyntaxError{Msg: "not well-formed JSON"}
}

func (s *scanner) fail(format string, args ...any) bool {
	if s.err == nil {
		s.err = &SyntaxError{Msg: fmt.Sprintf(format, args...)}
	}
	return false
}

func (s *scanner) ws() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value; depth is the number of arrays and objects enclosing it.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.src) {
		return false
	}
	switch c := s.src[s.i]; c {
	case '{', '[':
		if depth >= maxDepth {
			return s.fail("nesting deeper than %d levels", maxDepth)
		}
		if c == '{' {
			return s.object(depth + 1)
		}
		return s.array(depth + 1)
	case '"':
		return s.str()
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	default:
		return s.num()
	}
}

func (s *scanner) array(depth int) bool {
	s.i++
	s.ws()
	if s.i < len(s.src) && s.src[s.i] == ']' {
		s.i++
		return true
	}
	for n := 0; ; n++ {
		s.path = append(s.path, pathElem{idx: n})
		ok := s.value(depth)
		s.path = s.path[:len(s.path)-1]
		if !ok {
			return false
		}
		s.ws()
		if s.i >= len(s.src) {
			return false
		}
		switch s.src[s.i] {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) object(depth int) bool {
	var seen [32]string
	var seenMap map[string]struct{}
	s.i++
	s.ws()
	if s.i < len(s.src) && s.src[s.i] == '}' {
		s.i++
		return true
	}
	for n := 0; ; n++ {
		start := s.i
		if s.i >= len(s.src) || s.src[s.i] != '"' || !s.str() {
			return false
		}
		key := s.unquote(start, s.i)
		if n < len(seen) {
			if slices.Contains(seen[:n], key) {
				return s.fail("property %q appears twice", s.pathOf(key))
			}
			seen[n] = key
		} else {
			if seenMap == nil {
				seenMap = make(map[string]struct{}, 2*len(seen))
				for _, k := range seen {
					seenMap[k] = struct{}{}
				}
			}
			if _, dup := seenMap[key]; dup {
				return s.fail("property %q appears twice", s.pathOf(key))
			}
			seenMap[key] = struct{}{}
		}
		s.ws()
		if s.i >= len(s.src) || s.src[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		if !s.member(depth, key) {
			return false
		}
		s.ws()
		if s.i >= len(s.src) {
			return false
		}
		switch s.src[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// member scans the value of property key and records what it holds: a common property at
// the top level, and references anywhere outside external_references and kill_chain_phases.
func (s *scanner) member(depth int, key string) bool {
	start := s.i
	if start >= len(s.src) {
		return false
	}
	ref := s.skip == 0 && strings.HasSuffix(key, "_ref") && s.src[s.i] == '"'
	refs := s.skip == 0 && strings.HasSuffix(key, "_refs") && s.src[s.i] == '['
	// A list of references holds nothing deeper that counts; excluded properties hold none.
	hide := refs || key == "external_references" || key == "kill_chain_phases"
	if hide {
		s.skip++
	}
	s.path = append(s.path, pathElem{key: key, idx: -1})
	ok := s.value(depth)
	s.path = s.path[:len(s.path)-1]
	if hide {
		s.skip--
	}
	if !ok {
		return false
	}
	raw := s.src[start:s.i]
	switch {
	case ref:
		s.refs = append(s.refs, Ref{Path: s.pathOf(key), Index: -1, ID: ID(s.unquote(start, s.i))})
	case refs:
		path, i := s.pathOf(key), 0
		gjson.Parse(raw).ForEach(func(_, e gjson.Result) bool {
			if e.Type == gjson.String {
				s.refs = append(s.refs, Ref{Path: path, Index: i, ID: ID(e.Str)})
			}
			i++
			return true
		})
	}
	if depth == 1 && isCommon(key) {
		if err := s.o.readCommon(key, gjson.Parse(raw)); err != nil {
			s.err = err
			return false
		}
		if key == "extensions" {
			s.o.extIdx = start
		}
	}
	return true
}

// unquote returns the contents of the string src[start:end], without copying when it holds
// no escape.
func (s *scanner) unquote(start, end int) string {
	v := s.src[start+1 : end-1]
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	return gjson.Parse(s.src[start:end]).Str
}

// pathOf returns the gjson path of key under the current path; at the top level it is the
// key itself, without copying.
func (s *scanner) pathOf(key string) string {
	if len(s.path) == 0 {
		return gjson.Escape(key)
	}
	var b strings.Builder
	b.Grow(len(key) + 8*len(s.path))
	for _, e := range s.path {
		if e.idx >= 0 {
			b.WriteString(strconv.Itoa(e.idx))
		} else {
			b.WriteString(gjson.Escape(e.key))
		}
		b.WriteByte('.')
	}
	b.WriteString(gjson.Escape(key))
	return b.String()
}

// str scans a string starting at its opening quote.
func (s *scanner) str() bool {
	b, i := s.src, s.i+1
	for {
		i = plainRun(s.raw, i)
		for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) || b[i] < 0x20 {
			return false
		}
		if b[i] == '"' {
			s.i = i + 1
			return true
		}
		i++ // past a backslash
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i++
		case 'u':
			if !isEscape(b, i-1) {
				return false
			}
			switch surrogate(b[i+1 : i+5]) {
			case 1: // must be followed at once by the escape of a low surrogate
				if !isEscape(b, i+5) || surrogate(b[i+7:i+11]) != 2 {
					return s.fail("unpaired surrogate escape %s at byte offset %d", b[i-1:i+5], i-1)
				}
				i += 6
			case 2:
				return s.fail("unpaired surrogate escape %s at byte offset %d", b[i-1:i+5], i-1)
			}
			i += 5
		default:
			return false
		}
	}
}

// isEscape reports whether b holds a \uXXXX escape at i.
func isEscape(b string, i int) bool {
	return i+5 < len(b) && b[i] == '\\' && b[i+1] == 'u' && isHex(b[i+2]) && isHex(b[i+3]) && isHex(b[i+4]) && isHex(b[i+5])
}

func (s *scanner) lit(word string) bool {
	if !strings.HasPrefix(s.src[s.i:], word) {
		return false
	}
	s.i += len(word)
	return true
}

// num scans -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) num() bool {
	b, i := s.src, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	s.i = i
	return true
}

func digits(b string, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// isCommon reports whether readCommon records the top-level property key.
func isCommon(key string) bool {
	switch key {
	case "type", "id", "spec_version", "created", "modified", "created_by_ref",
		"object_marking_refs", "labels", "revoked", "confidence", "extensions":
		return true
	}
	return false
}

// plainRun returns the index of the first 8-byte block at or after i that may hold a quote,
// a backslash or a control character, testing eight bytes at a time (the classic "has a
// zero byte" bit trick); the caller finishes byte by byte.
func plainRun(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ (ones * '"')
		bs := w ^ (ones * '\\')
		if ((q-ones)&^q|(bs-ones)&^bs|(w-ones*0x20)&^w)&highs != 0 {
			return i
		}
	}
	return i
}
