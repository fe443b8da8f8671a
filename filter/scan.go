package filter

import (
	"math/bits"
	"strings"
)

// A top-level member finder for the JSON of a parsed object (known to be valid: stix.Parse
// checked it). It jumps over long strings with strings.IndexByte, many bytes per step, where
// gjson reads them byte by byte: finding relationship_type after an ATT&CK description costs a
// fraction of a gjson lookup. On objects of many short tokens the two cost about the same.

// memberResult says what topMember found.
type memberResult int

const (
	memberAbsent memberResult = iota
	memberFound
	memberUnsure // a member name before it holds escapes: the caller must ask gjson
)

// topMember returns the raw JSON value of the top-level member named key of the object in s.
func topMember(s, key string) (string, memberResult) {
	start, res := findMember(s, key)
	if res != memberFound {
		return "", res
	}
	return s[start:skipValue(s, start)], memberFound
}

// findMember returns where the value of the top-level member named key of the object in s
// starts. Text after the object may follow in s: the search stops at the object's end.
//
// It runs once over the object, jumping over every string (skipString) and counting the
// brackets between them; a string at depth 1 that a colon follows is a member name. A name
// spelled with escapes is only shorter once decoded, so only a longer one that holds a
// backslash might spell key: that one is left to gjson (memberUnsure).
func findMember(s, key string) (int, memberResult) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return 0, memberAbsent
	}
	plainKey := strings.IndexByte(key, '\\') < 0
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '"':
			end := skipString(s, i)
			if depth == 1 {
				if j := skipSpace(s, end); j < len(s) && s[j] == ':' {
					name := s[i+1 : end-1]
					switch {
					case len(name) == len(key):
						if name == key && plainKey {
							return skipSpace(s, j+1), memberFound
						}
					case len(name) > len(key):
						if strings.IndexByte(name, '\\') >= 0 {
							return 0, memberUnsure
						}
					}
					end = j + 1
				}
			}
			i = end
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return 0, memberAbsent
			}
		}
		i++
	}
	return 0, memberAbsent
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts with the quote at s[i].
func skipString(s string, i int) int {
	start := i + 1
	for j := start; ; {
		k := indexQuote(s, j)
		if k < 0 {
			return len(s)
		}
		b := k - 1 // an even run of backslashes before the quote leaves it unescaped
		for b >= start && s[b] == '\\' {
			b--
		}
		if (k-1-b)%2 == 0 {
			return k + 1
		}
		j = k + 1
	}
}

// indexQuote returns the index of the first quote in s from j on, or -1. Most strings in STIX
// JSON are short, so it looks at the next 16 bytes itself, eight at a time, before paying for
// IndexByte's set-up, which then crosses long ones (descriptions, patterns) many bytes at a
// time.
func indexQuote(s string, j int) int {
	for w := 0; w < 2 && j+8 <= len(s); w++ {
		if n := quoteIn(load8(s, j)); n < 8 {
			return j + n
		}
		j += 8
	}
	k := strings.IndexByte(s[j:], '"')
	if k < 0 {
		return -1
	}
	return j + k
}

// load8 reads s[i:i+8] as a little-endian word (the compiler makes it one load).
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// quoteIn returns the index of the first quote byte in the little-endian word x, or 8. The
// classic zero-byte test may flag bytes after the first zero, never before it, so the lowest
// flagged byte is exact.
func quoteIn(x uint64) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x ^= '"' * ones
	return bits.TrailingZeros64((x-ones)&^x&highs) / 8
}

// skipValue returns the index after the JSON value that starts at s[i].
func skipValue(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '"':
		return skipString(s, i)
	case '{', '[':
		depth := 0
		for i < len(s) {
			switch s[i] {
			case '"':
				i = skipString(s, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(s) { // a number, true, false or null
		switch s[i] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return i
		}
		i++
	}
	return i
}
