package stix

import (
	"cmp"
	"slices"
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
	kindAny // anything else, written by encoding/json
)

// field is one top-level property to write.
type field struct {
	key  string
	kind fieldKind
	b    bool
	s    string
	ss   []string
	ids  []ID
	v    any
}

func strField(key, s string) field        { return field{key: key, kind: kindString, s: s} }
func idsField(key string, ids []ID) field { return field{key: key, kind: kindIDs, ids: ids} }

// anyField picks the direct writer for the value types the builders and their callers use
// most; other values go through encoding/json.
func anyField(key string, v any) field {
	switch x := v.(type) {
	case string:
		return field{key: key, kind: kindString, s: x}
	case ID:
		return field{key: key, kind: kindString, s: string(x)}
	case bool:
		return field{key: key, kind: kindBool, b: x}
	case []string:
		return field{key: key, kind: kindStrings, ss: x}
	case []ID:
		return field{key: key, kind: kindIDs, ids: x}
	}
	return field{key: key, kind: kindAny, v: v}
}

// encodeMap writes m as encoding/json would.
func encodeMap(m map[string]any) ([]byte, error) {
	fields := make([]field, 0, len(m))
	for k, v := range m {
		fields = append(fields, anyField(k, v))
	}
	var buf [32]int
	return encodeFields(fields, sortFields(fields, buf[:0]))
}

// sortFields appends to order the positions in fields of the fields to write, in the order
// encoding/json writes a map's keys (sorted), and where a key repeats, only the last field
// given (as a later map assignment would override an earlier one).
func sortFields(fields []field, order []int) []int {
	// Positions, not the fields, are sorted: a field is a hundred bytes, and swapping them
	// cost more than writing the JSON.
	for i := range fields {
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(fields[a].key, fields[b].key) })
	kept := order[:0]
	for n, i := range order {
		if n+1 < len(order) && fields[order[n+1]].key == fields[i].key {
			continue
		}
		kept = append(kept, i)
	}
	return kept
}

// encodeFields writes the fields at the positions order gives as one JSON object.
func encodeFields(fields []field, order []int) ([]byte, error) {
	size := 2
	for _, i := range order {
		f := &fields[i]
		size += len(f.key) + len(f.s) + 8
		for _, s := range f.ss {
			size += len(s) + 3
		}
		for _, id := range f.ids {
			size += len(id) + 3
		}
	}
	dst := make([]byte, 0, size)
	dst = append(dst, '{')
	for n, i := range order {
		f := &fields[i]
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, f.key)
		dst = append(dst, ':')
		var err error
		if dst, err = f.appendValue(dst); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

func (f *field) appendValue(dst []byte) ([]byte, error) {
	switch f.kind {
	case kindString:
		return appendJSONString(dst, f.s), nil
	case kindBool:
		if f.b {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case kindStrings:
		return appendList(dst, f.ss), nil
	case kindIDs:
		return appendList(dst, f.ids), nil
	}
	raw, err := marshal(f.v)
	if err != nil {
		return nil, err
	}
	return append(dst, raw...), nil
}

// appendList writes a list of strings; a nil list is null, as encoding/json writes it.
func appendList[S ~string](dst []byte, l []S) []byte {
	if l == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, string(s))
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string with encoding/json's escapes when HTML escaping
// is off: quote and backslash escaped, \b \f \n \r \t short, other control bytes as \u00XX,
// invalid UTF-8 as \ufffd, and U+2028/U+2029 escaped (JavaScript treats them as newlines).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
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
	return append(dst, '"')
}
