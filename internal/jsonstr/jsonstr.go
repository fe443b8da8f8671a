// Package jsonstr appends Go strings to a buffer as JSON strings without allocating, for the
// encoders on hot paths (live-stream frames, canonical FilterGroup JSON) where encoding/json's
// allocations show.
package jsonstr

import "unicode/utf8"

// Append appends s as a JSON string exactly as encoding/json writes it with
// SetEscapeHTML(false): quotes, backslashes and control characters escaped (\b \f \n \r \t
// short, others \u00XX), U+2028 and U+2029 escaped for JavaScript consumers, each invalid
// UTF-8 byte written as \ufffd.
func Append(b []byte, s string) []byte { return appendString(b, s, `\ufffd`) }

// AppendStable is Append except that each invalid UTF-8 byte is written as the U+FFFD
// character itself, as a valid U+FFFD is: decoding the output and appending it again gives
// the same bytes, which canonical forms rely on.
func AppendStable(b []byte, s string) []byte { return appendString(b, s, "\uFFFD") }

func appendString(b []byte, s, invalid string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, invalid...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
