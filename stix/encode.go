package stix

import (
	"time"
	"unicode/utf8"
)

// The builders write their JSON directly instead of marshalling a map with encoding/json and
// parsing the result back: that round trip cost more than storing the object. The bytes are
// the ones encoding/json wrote (keys sorted, no HTML escaping, the same string escapes), so
// objects built before and after the change are identical; build_oracle_test.go keeps the
// old implementation and checks that.

// fieldKind says which member of a field holds its value.
type fieldKind uint8

const (
	kindString fieldKind = iota
	kindBool
	kindStrings
	kindIDs
	kindTime  // a timestamp, written as FormatTime writes it
	kindNewID // a new identifier of type s, written as NewID makes it; s needs no escapes
	kindAny   // anything else, written by encoding/json
)

// field is one top-level property to write.
type field struct {
	key  string
	kind fieldKind
	// userKey says that the key came from the caller and may need escaping; the builders'
	// own keys are written as they are.
	userKey bool
	b       bool
	s       string
	ss      []string
	ids     []ID
	t       time.Time
	v       any
}

func strField(key, s string) field            { return field{key: key, kind: kindString, s: s} }
func idsField(key string, ids []ID) field     { return field{key: key, kind: kindIDs, ids: ids} }
func timeField(key string, t time.Time) field { return field{key: key, kind: kindTime, t: t} }

// anyField picks the direct writer for the value types the builders and their callers use
// most; other values go through encoding/json.
func anyField(key string, v any) field {
	switch x := v.(type) {
	case string:
		return field{key: key, userKey: true, kind: kindString, s: x}
	case ID:
		return field{key: key, userKey: true, kind: kindString, s: string(x)}
	case bool:
		return field{key: key, userKey: true, kind: kindBool, b: x}
	case []string:
		return field{key: key, userKey: true, kind: kindStrings, ss: x}
	case []ID:
		return field{key: key, userKey: true, kind: kindIDs, ids: x}
	}
	return field{key: key, userKey: true, kind: kindAny, v: v}
}

// encodeMap writes m as encoding/json would.
func encodeMap(m map[string]any) ([]byte, error) {
	fields := make([]field, 0, len(m))
	for k, v := range m {
		fields = append(fields, anyField(k, v))
	}
	var buf [32]int
	raw, _, err := encodeFields(fields, sortFields(fields, buf[:0]), nil)
	return raw, err
}

// sortFields appends to order the positions in fields of the fields to write, in the order
// encoding/json writes a map's keys (sorted), and where a key repeats, only the last field
// given (as a later map assignment would override an earlier one).
func sortFields(fields []field, order []int) []int {
	// Positions, not the fields, are sorted: a field is over a hundred bytes, and swapping them
	// cost more than writing the JSON. An insertion sort, because the builders give their
	// fields nearly sorted (the common ones, then each builder's, each group in key order):
	// it then does little more than one comparison per field, where a general sort did
	// several.
	base := len(order)
	for i := range fields {
		order = append(order, i)
	}
	sorted := order[base:]
	for n := 1; n < len(sorted); n++ {
		i := sorted[n]
		m := n
		for m > 0 && keyAfter(fields[sorted[m-1]].key, fields[i].key) {
			sorted[m] = sorted[m-1]
			m--
		}
		sorted[m] = i
	}
	kept := sorted[:0]
	for n, i := range sorted {
		if n+1 < len(sorted) && fields[sorted[n+1]].key == fields[i].key {
			continue
		}
		kept = append(kept, i)
	}
	return order[:base+len(kept)]
}

// keyAfter reports a > b, deciding on the first bytes where they differ there, as they
// mostly do: a call to the general comparison cost more than the rest of the sort.
func keyAfter(a, b string) bool {
	if a != "" && b != "" && a[0] != b[0] {
		return a[0] > b[0]
	}
	return a > b
}

// span is where the value of the field at order[field] lies in the JSON encodeFields wrote.
type span struct{ start, end, field int }

// encodeFields writes the fields at the positions order gives as one JSON object. If spans
// is not nil, it receives where each value was written (spans[n] for order[n]). valid
// reports that every string written was valid UTF-8, so that it reads back as given.
func encodeFields(fields []field, order []int, spans []span) (raw []byte, valid bool, err error) {
	// The exact size when nothing needs escaping, so that the object's bytes take no more
	// memory than they need (allocation drives a builder's cost, through the collector).
	size := 1 // '{', and '}' in place of the last field's comma
	for _, i := range order {
		f := &fields[i]
		size += len(f.key) + 4 // two quotes, a colon and a comma
		switch f.kind {
		case kindString:
			size += len(f.s) + 2
		case kindBool:
			size += len("false")
		case kindStrings:
			size += listSize(f.ss)
		case kindIDs:
			size += listSize(f.ids)
		case kindTime:
			size += len(TimeLayout) + 2
		case kindNewID:
			size += len(f.s) + len("--") + 36 + 2
		}
	}
	dst := make([]byte, 0, max(size, 2))
	dst = append(dst, '{')
	valid = true
	var lastTime span // where the last timestamp was written, to copy it when the next is equal
	for n, i := range order {
		f := &fields[i]
		if n > 0 {
			dst = append(dst, ',')
		}
		if f.userKey {
			var ok bool
			dst, ok = appendJSONString(dst, f.key)
			valid = valid && ok
		} else {
			dst = append(append(append(dst, '"'), f.key...), '"')
		}
		dst = append(dst, ':')
		start := len(dst)
		if f.kind == kindTime && lastTime.end > 0 && f.t.Equal(fields[order[lastTime.field]].t) {
			// created, modified and the builder's own times are most often one instant.
			dst = append(dst, dst[lastTime.start:lastTime.end]...)
		} else {
			var ok bool
			if dst, ok, err = f.appendValue(dst); err != nil {
				return nil, false, err
			}
			valid = valid && ok
		}
		if f.kind == kindTime {
			lastTime = span{start, len(dst), n}
		}
		if spans != nil {
			spans[n] = span{start, len(dst), n}
		}
	}
	return append(dst, '}'), valid, nil
}

// listSize is the size of l written by appendList when nothing needs escaping.
func listSize[S ~string](l []S) int {
	if l == nil {
		return len("null")
	}
	size := 1 // '[', and ']' in place of the last comma
	for _, s := range l {
		size += len(s) + 3
	}
	return max(size, 2)
}

// appendValue writes the field's value; ok is false if a string in it was not valid UTF-8.
func (f *field) appendValue(dst []byte) (_ []byte, ok bool, _ error) {
	switch f.kind {
	case kindString:
		dst, ok = appendJSONString(dst, f.s)
		return dst, ok, nil
	case kindBool:
		if f.b {
			return append(dst, "true"...), true, nil
		}
		return append(dst, "false"...), true, nil
	case kindStrings:
		dst, ok = appendList(dst, f.ss)
		return dst, ok, nil
	case kindIDs:
		dst, ok = appendList(dst, f.ids)
		return dst, ok, nil
	case kindTime:
		dst = append(dst, '"')
		if out := appendTime(dst, f.t); len(out) > len(dst) {
			return append(out, '"'), true, nil
		}
		// A year FormatTime writes in more than four digits (or with a sign): no escapes.
		return append(append(dst, FormatTime(f.t)...), '"'), true, nil
	case kindNewID:
		dst = appendNewID(append(dst, '"'), f.s)
		return append(dst, '"'), true, nil
	}
	raw, err := marshal(f.v)
	if err != nil {
		return nil, false, err
	}
	return append(dst, raw...), true, nil
}

// appendList writes a list of strings; a nil list is null, as encoding/json writes it.
func appendList[S ~string](dst []byte, l []S) (_ []byte, valid bool) {
	if l == nil {
		return append(dst, "null"...), true
	}
	valid = true
	dst = append(dst, '[')
	for i, s := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		dst, ok = appendJSONString(dst, string(s))
		valid = valid && ok
	}
	return append(dst, ']'), valid
}

const hexDigits = "0123456789abcdef"

// plainASCII[c] is true for the bytes appendJSONString copies as they are.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// isPlain reports whether appendJSONString writes s as it is, between quotes.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainASCII[s[i]] {
			return false
		}
	}
	return true
}

// plainWord reports whether all eight bytes of w are ones plainASCII accepts, testing them
// together in one word: no byte with the high bit set (non-ASCII), none below 0x20 (a control
// byte), none equal to '"' or '\\'. The tests for a byte below n and a zero byte are exact
// about whether some byte matches, which is all this needs.
func plainWord(w string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
	below := (x - ones*0x20) &^ x
	q := x ^ ones*'"'
	quote := (q - ones) &^ q
	bs := x ^ ones*'\\'
	backslash := (bs - ones) &^ bs
	return (x|below|quote|backslash)&highs == 0
}

// appendJSONString writes s as a JSON string with encoding/json's escapes when HTML escaping
// is off: quote and backslash escaped, \b \f \n \r \t short, other control bytes as \u00XX,
// invalid UTF-8 as \ufffd, and U+2028/U+2029 escaped (JavaScript treats them as newlines).
// valid is false if s was not valid UTF-8 (it then reads back different). Checking here
// saved the builders a second pass over every string.
func appendJSONString(dst []byte, s string) (_ []byte, valid bool) {
	valid = true
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs attention: most text is plain ASCII.
		for i+8 <= len(s) && plainWord(s[i:i+8]) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if plainASCII[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			valid = false
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += n
			continue
		}
		i += n
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), valid
}
