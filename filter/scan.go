package filter

import "strings"

// A top-level member finder for the JSON of a parsed object (known to be valid: stix.Parse
// checked it). It jumps over strings with strings.IndexByte, which runs many bytes per step,
// where gjson reads them byte by byte; STIX objects are mostly long strings (descriptions,
// patterns, identifiers), so finding a member after them costs a fraction of a gjson lookup.

// memberResult says what topMember found.
type memberResult int

const (
	memberAbsent memberResult = iota
	memberFound
	memberUnsure // a member name before it holds escapes: the caller must ask gjson
)

// topMember returns the raw JSON value of the top-level member named key of the object in s.
func topMember(s, key string) (string, memberResult) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return "", memberAbsent
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
		start := i
		i = skipValue(s, i)
		if name == key {
			return s[start:i], memberFound
		}
		if strings.IndexByte(name, '\\') >= 0 {
			return "", memberUnsure // it might spell key with escapes
		}
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != ',' {
			break
		}
		i++
	}
	return "", memberAbsent
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
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return len(s)
		}
		k += j
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
