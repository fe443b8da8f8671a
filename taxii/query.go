package taxii

import (
	"crypto/sha256"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// endpoint is what a paged request lists; it decides which parameters are allowed.
type endpoint int

const (
	kindObjects  endpoint = iota + 1 // {collection}/objects/
	kindManifest                     // {collection}/manifest/
	kindObject                       // {collection}/objects/{id}/
	kindVersions                     // {collection}/objects/{id}/versions/
	kindDelete                       // DELETE {collection}/objects/{id}/
)

// allowed lists the parameters each endpoint takes (the standard's tables).
var allowedParams = [...][]string{
	kindObjects:  {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"},
	kindManifest: {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"},
	kindObject:   {"added_after", "limit", "next", "match[version]", "match[spec_version]"},
	kindVersions: {"added_after", "limit", "next", "match[spec_version]"},
	kindDelete:   {"match[version]", "match[spec_version]"},
}

// query is a parsed, normalized request: every list sorted and without duplicates, so
// that equal queries have equal fingerprints.
type query struct {
	addedAfter time.Time // zero: none; truncated to the microsecond
	limit      int
	next       string
	ids        []stix.ID
	types      []string
	versions   versionMatch
	specs      []string
}

// versionMatch is match[version]: any combination of last, first, all and timestamps.
type versionMatch struct {
	last, first, all bool
	at               []time.Time
}

// onlyLast reports whether the match is the default, the latest version only.
func (v versionMatch) onlyLast() bool { return v.last && !v.first && !v.all && len(v.at) == 0 }

// parseQuery parses the raw query string of a request to ep. Errors are 400 answers that
// name the parameter.
func parseQuery(raw string, ep endpoint, defLimit, maxLimit int) (*query, *Error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errParam("query", "malformed query string")
	}
	q := &query{limit: defLimit}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range vals {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		vs := vals[name]
		known := strings.HasPrefix(name, "match[") || name == "added_after" || name == "limit" || name == "next"
		if !known {
			continue // other parameters are not TAXII's; ignore them as the standard lets us
		}
		if !slices.Contains(allowedParams[ep], name) {
			return nil, errParam(name, "not supported on this endpoint")
		}
		if !strings.HasPrefix(name, "match[") && len(vs) > 1 {
			return nil, errParam(name, "given more than once")
		}
		var e *Error
		switch name {
		case "added_after":
			q.addedAfter, e = parseAddedAfter(vs[0])
		case "limit":
			q.limit, e = parseLimit(vs[0], maxLimit)
		case "next":
			if vs[0] == "" {
				e = errParam(name, "empty")
			}
			q.next = vs[0]
		case "match[id]":
			q.ids, e = parseList(name, vs, func(s string) (stix.ID, bool) { return stix.ID(s), stix.ID(s).Validate() == nil })
		case "match[type]":
			q.types, e = parseList(name, vs, func(s string) (string, bool) { return s, validType(s) })
		case "match[spec_version]":
			q.specs, e = parseList(name, vs, func(s string) (string, bool) { return s, validSpec(s) })
		case "match[version]":
			q.versions, e = parseVersions(vs)
		}
		if e != nil {
			return nil, e
		}
	}
	if !q.versions.last && !q.versions.first && !q.versions.all && len(q.versions.at) == 0 {
		q.versions.last = true
	}
	return q, nil
}

func parseAddedAfter(s string) (time.Time, *Error) {
	t, err := stix.ParseTime(s)
	if err != nil {
		return time.Time{}, errParam("added_after", "not a timestamp such as 2024-05-01T10:00:00.123456Z")
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

func parseLimit(s string, maxLimit int) (int, *Error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		if err != nil && len(s) > 0 && len(s) < 40 && allDigits(s) {
			return maxLimit, nil // a huge limit is capped like any other above the maximum
		}
		return 0, errParam("limit", "not a positive integer")
	}
	return min(n, maxLimit), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[0] != '0'
}

// parseList splits comma-separated values (repeated parameters add to the list), checks
// each, and returns them sorted without duplicates.
func parseList[T ~string](name string, vs []string, check func(string) (T, bool)) ([]T, *Error) {
	var out []T
	for _, v := range vs {
		for s := range strings.SplitSeq(v, ",") {
			t, ok := check(s)
			if !ok {
				return nil, errParam(name, strconv.Quote(truncate(s))+" is not valid")
			}
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// validType accepts a STIX type name: 3 to 250 lowercase ASCII letters, digits and hyphens.
func validType(s string) bool {
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validSpec accepts a spec version such as "2.1": digits, a dot, digits.
func validSpec(s string) bool {
	a, b, ok := strings.Cut(s, ".")
	return ok && len(a) > 0 && len(b) > 0 && len(s) <= 10 && allNum(a) && allNum(b)
}

func allNum(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseVersions(vs []string) (versionMatch, *Error) {
	var m versionMatch
	for _, v := range vs {
		for s := range strings.SplitSeq(v, ",") {
			switch s {
			case "last":
				m.last = true
			case "first":
				m.first = true
			case "all":
				m.all = true
			default:
				t, err := stix.ParseTime(s)
				if err != nil {
					return m, errParam("match[version]", strconv.Quote(truncate(s))+" is not last, first, all or a timestamp")
				}
				m.at = append(m.at, t.UTC())
			}
		}
	}
	slices.SortFunc(m.at, time.Time.Compare)
	m.at = slices.CompactFunc(m.at, time.Time.Equal)
	return m, nil
}

// fingerprint identifies what a query selects, everything but limit and next, for the
// endpoint and resource it was made for: a `next` token carries it so that reusing the
// token with other filters is detected.
func (q *query) fingerprint(resource string) [16]byte {
	var b strings.Builder
	b.WriteString("taxii query v1\x00")
	b.WriteString(resource)
	b.WriteString("\x00")
	if !q.addedAfter.IsZero() {
		b.WriteString(strconv.FormatInt(q.addedAfter.UnixNano(), 10))
	}
	b.WriteString("\x00")
	for _, id := range q.ids {
		b.WriteString(string(id) + ",")
	}
	b.WriteString("\x00")
	for _, t := range q.types {
		b.WriteString(t + ",")
	}
	b.WriteString("\x00")
	for _, s := range q.specs {
		b.WriteString(s + ",")
	}
	b.WriteString("\x00")
	b.WriteString(strconv.FormatBool(q.versions.last) + strconv.FormatBool(q.versions.first) + strconv.FormatBool(q.versions.all))
	for _, t := range q.versions.at {
		b.WriteString("," + strconv.FormatInt(t.UnixNano(), 10))
	}
	sum := sha256.Sum256([]byte(b.String()))
	return [16]byte(sum[:16])
}
