package filter

import "strings"

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
func findMember(s, key string) (int, memberResult) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return 0, memberAbsent
	}
	i++
	for {
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != '"' {
			break // "}" or malformed: no more members
		}
		end := skipString(s, i)
		name := s[i+1 : end-1]
		i = skipSpace(s, end)
		if i >= len(s) || s[i] != ':' {
			break
		}
		i = skipSpace(s, i+1)
		if strings.IndexByte(name, '\\') >= 0 {
			return 0, memberUnsure // escaped: it might spell key, or spell something else like it
		}
		if name == key {
			return i, memberFound
		}
		i = skipSpace(s, skipValue(s, i))
		if i >= len(s) || s[i] != ',' {
			break
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
// JSON are short, so it looks at a few bytes itself before paying for IndexByte's set-up,
// which then crosses long ones (descriptions, patterns) many bytes at a time.
func indexQuote(s string, j int) int {
	end := min(j+16, len(s))
	for n := j; n < end; n++ {
		if s[n] == '"' {
			return n
		}
	}
	if end == len(s) {
		return -1
	}
	k := strings.IndexByte(s[end:], '"')
	if k < 0 {
		return -1
	}
	return end + k
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
