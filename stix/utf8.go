package stix

import (
	"encoding/binary"
	"unicode/utf8"
)

// RFC 8259 requires JSON exchanged between systems to be UTF-8. A parser that let other
// bytes through would store them and every feed would serve them raw, breaking strict
// consumers (Python's json.loads) for everyone; so Parse refuses them, and refuses \u
// escapes of unpaired surrogates, which no UTF-8 text can hold either.

// invalidUTF8 returns the byte offset of the first byte of s that does not begin a valid
// UTF-8 sequence, or -1 when s is valid. Callers run utf8.ValidString first: this slower
// walk is only for the error message.
func invalidUTF8(s string) int {
	const highs = 0x8080808080808080
	for i := 0; i < len(s); {
		for i+8 <= len(s) && binary.LittleEndian.Uint64([]byte(s[i:i+8]))&highs == 0 {
			i += 8
		}
		if i >= len(s) {
			break
		}
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// surrogate classifies the four hex digits of a \u escape: 1 for a high (leading)
// surrogate, 2 for a low (trailing) one, 0 otherwise.
func surrogate(h string) int {
	v := hexVal(h[0])<<12 | hexVal(h[1])<<8 | hexVal(h[2])<<4 | hexVal(h[3])
	switch {
	case v >= 0xD800 && v <= 0xDBFF:
		return 1
	case v >= 0xDC00 && v <= 0xDFFF:
		return 2
	}
	return 0
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 0
}
