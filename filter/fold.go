package filter

import (
	"unicode"
	"unicode/utf8"
)

// Case-insensitive comparisons that equal comparing strings.ToLower(s) with a value lowered
// at compile time, without allocating: runes are lowered one by one, as ToLower does.

// nextLower decodes the rune at s[i:], lowered, and its width.
func nextLower(s string, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return rune(c), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return unicode.ToLower(r), n
}

// next decodes the rune at low[j:] (already lowered) and its width.
func next(low string, j int) (rune, int) {
	if c := low[j]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(low[j:])
}

// lowerPrefixLen reports whether lower(s) starts with low, and how many bytes of s that took.
func lowerPrefixLen(s, low string) (int, bool) {
	// ASCII runs compare byte by byte; the general loop takes over at the first other rune.
	i, n := 0, min(len(s), len(low))
	for i < n {
		c, d := s[i], low[i]
		if c|d >= utf8.RuneSelf {
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != d {
			return 0, false
		}
		i++
	}
	j := i
	for j < len(low) {
		if i >= len(s) {
			return 0, false
		}
		r, n := nextLower(s, i)
		q, m := next(low, j)
		if r != q {
			return 0, false
		}
		i, j = i+n, j+m
	}
	return i, true
}

// lowerEq reports whether strings.ToLower(s) == low.
func lowerEq(s, low string) bool {
	if s == low { // the common case: STIX types, identifiers and labels are lower case
		return true
	}
	n, ok := lowerPrefixLen(s, low)
	return ok && n == len(s)
}

// lowerHasPrefix reports whether strings.ToLower(s) starts with low.
func lowerHasPrefix(s, low string) bool {
	_, ok := lowerPrefixLen(s, low)
	return ok
}

// lowerHasSuffix reports whether strings.ToLower(s) ends with low.
func lowerHasSuffix(s, low string) bool {
	i, j := len(s), len(low)
	for j > 0 {
		if i == 0 {
			return false
		}
		r, n := utf8.DecodeLastRuneInString(s[:i])
		q, m := utf8.DecodeLastRuneInString(low[:j])
		if unicode.ToLower(r) != q {
			return false
		}
		i, j = i-n, j-m
	}
	return true
}

// lowerContains reports whether strings.ToLower(s) contains low.
func lowerContains(s, low string) bool {
	if low == "" {
		return true
	}
	for i := 0; i < len(s); {
		if _, ok := lowerPrefixLen(s[i:], low); ok {
			return true
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return false
}

// lowerCompare compares strings.ToLower(s) with low rune by rune, as < on UTF-8 strings does.
func lowerCompare(s, low string) int {
	i, j := 0, 0
	for i < len(s) && j < len(low) {
		r, n := nextLower(s, i)
		q, m := next(low, j)
		if r != q {
			if r < q {
				return -1
			}
			return 1
		}
		i, j = i+n, j+m
	}
	switch {
	case i < len(s):
		return 1
	case j < len(low):
		return -1
	}
	return 0
}
