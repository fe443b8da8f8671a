package iocstream

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FilterKey is a key of the filter grammar.
type FilterKey string

// The keys of the filter grammar.
const (
	KeyDate            FilterKey = "date"
	KeyOrigin          FilterKey = "origin"
	KeyEntityID        FilterKey = "entity_id"
	KeyEntityType      FilterKey = "entity_type"
	KeySourceType      FilterKey = "source_type"
	KeySourceID        FilterKey = "source_id"
	KeyNotificationTag FilterKey = "notification_tag"
)

// setKeys are the keys whose values form a set (every key but date), in canonical order.
var setKeys = [...]FilterKey{KeyOrigin, KeyEntityID, KeyEntityType, KeySourceType, KeySourceID, KeyNotificationTag}

// MaxFilterLen bounds the length of a filter string, which bounds the work one request can ask for.
const MaxFilterLen = 8192

// FilterError reports a filter that is not in the grammar; Token is the offending
// `key:value` token (or the whole filter when its length is the problem).
type FilterError struct {
	Token string
	Msg   string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("invalid filter token %q: %s", e.Token, e.Msg)
}

// Query is a parsed filter, ready to match notifications. The zero Query, like the empty
// filter, matches every notification. A Query is immutable and safe for concurrent use.
//
// Different keys AND together; a key given more than once ORs its values; a date bound
// with `+` (at or after) and one with `-` (before) make a range. Of several bounds in the
// same direction, the widest wins (they OR).
type Query struct {
	from, before       int64 // Unix seconds; meaningful when hasFrom / hasBefore
	hasFrom, hasBefore bool
	sets               [len(setKeys)][]string // sorted, without duplicates; nil = any
	canon              string
}

// ParseFilter parses a filter string: space-separated `key:value` tokens with the keys
// date, origin, entity_id, entity_type, source_type, source_id and notification_tag. A date
// value is YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD in UTC followed by `+` (at or after) or `-`
// (before). Errors are *[FilterError]s naming the token.
func ParseFilter(s string) (*Query, error) {
	if len(s) > MaxFilterLen {
		return nil, &FilterError{Token: s[:32] + "…", Msg: fmt.Sprintf("the filter is longer than %d bytes", MaxFilterLen)}
	}
	q := &Query{}
	var fromTok, beforeTok string
	for _, tok := range strings.Fields(s) {
		key, val, ok := strings.Cut(tok, ":")
		if !ok {
			return nil, &FilterError{Token: tok, Msg: "want key:value"}
		}
		if val == "" {
			return nil, &FilterError{Token: tok, Msg: "the value is empty"}
		}
		if FilterKey(key) == KeyDate {
			t, after, err := parseDateBound(val)
			if err != nil {
				return nil, &FilterError{Token: tok, Msg: err.Error()}
			}
			if after {
				if !q.hasFrom || t < q.from {
					q.from, q.hasFrom, fromTok = t, true, tok
				}
			} else if !q.hasBefore || t > q.before {
				q.before, q.hasBefore, beforeTok = t, true, tok
			}
			continue
		}
		i := slices.Index(setKeys[:], FilterKey(key))
		if i < 0 {
			return nil, &FilterError{Token: tok, Msg: "unknown key; known keys are date, origin, entity_id, entity_type, source_type, source_id, notification_tag"}
		}
		if msg := checkValue(setKeys[i], val); msg != "" {
			return nil, &FilterError{Token: tok, Msg: msg}
		}
		q.sets[i] = append(q.sets[i], val)
	}
	if q.hasFrom && q.hasBefore && q.from >= q.before {
		return nil, &FilterError{Token: fromTok + " " + beforeTok, Msg: "the date range is empty"}
	}
	for i := range q.sets {
		if q.sets[i] != nil {
			slices.Sort(q.sets[i])
			q.sets[i] = slices.Compact(q.sets[i])
		}
	}
	q.canon = q.format()
	return q, nil
}

// checkValue returns why val is not allowed for key, or "".
func checkValue(key FilterKey, val string) string {
	switch key {
	case KeyOrigin:
		if !validOrigin(val) {
			return "origin must be one of " + originList
		}
	case KeyEntityType:
		if !validEntityType(val) {
			return "entity_type must be one of " + entityTypeList
		}
	case KeySourceType:
		if !validSourceType(val) {
			return "source_type must be one of " + sourceTypeList
		}
	}
	return ""
}

const (
	dateTimeLayout = "2006-01-02T15:04:05"
	dateLayout     = "2006-01-02"
)

// parseDateBound parses `<date><+|->` into Unix seconds and whether it is a lower bound.
func parseDateBound(v string) (int64, bool, error) {
	suffix := v[len(v)-1]
	if suffix != '+' && suffix != '-' {
		return 0, false, fmt.Errorf("a date must end in + (at or after) or - (before); in a URL, write + as %%2B")
	}
	d := v[:len(v)-1]
	layout := dateLayout
	if len(d) > len(dateLayout) {
		layout = dateTimeLayout
	}
	t, err := time.ParseInLocation(layout, d, time.UTC)
	if err != nil || len(d) != len(layout) {
		return 0, false, fmt.Errorf("want YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD (UTC) before the + or -")
	}
	return t.Unix(), suffix == '+', nil
}

// Match reports whether n satisfies q.
func (q *Query) Match(n *Notification) bool {
	if q == nil {
		return true
	}
	if d := n.Date.Unix(); q.hasFrom && d < q.from || q.hasBefore && d >= q.before {
		return false
	}
	for i, set := range q.sets {
		if set != nil && !q.matchKey(setKeys[i], set, n) {
			return false
		}
	}
	return true
}

func (q *Query) matchKey(key FilterKey, set []string, n *Notification) bool {
	has := func(v string) bool { _, ok := slices.BinarySearch(set, v); return ok }
	switch key {
	case KeyOrigin:
		return has(string(n.Origin))
	case KeyEntityID:
		return has(n.Entity.ID)
	case KeyEntityType:
		return has(string(n.Entity.Type))
	case KeySourceType:
		return slices.ContainsFunc(n.Sources, func(s Source) bool { return has(string(s.Type)) })
	case KeySourceID:
		return slices.ContainsFunc(n.Sources, func(s Source) bool { return has(s.ID) })
	case KeyNotificationTag:
		return slices.ContainsFunc(n.Tags, has)
	}
	return false
}

// Values returns the values a set key (any key but date) must take, one of them at least,
// sorted and without duplicates; nil when the filter does not name the key.
// The caller must not modify the slice.
func (q *Query) Values(key FilterKey) []string {
	if q == nil {
		return nil
	}
	if i := slices.Index(setKeys[:], key); i >= 0 {
		return q.sets[i]
	}
	return nil
}

// From returns the earliest date a notification may have (the filter's `+` bound) and
// whether there is one.
func (q *Query) From() (time.Time, bool) {
	if q == nil || !q.hasFrom {
		return time.Time{}, false
	}
	return time.Unix(q.from, 0).UTC(), true
}

// Before returns the date every notification must precede (the filter's `-` bound) and
// whether there is one.
func (q *Query) Before() (time.Time, bool) {
	if q == nil || !q.hasBefore {
		return time.Time{}, false
	}
	return time.Unix(q.before, 0).UTC(), true
}

// String returns the filter in canonical form: the tokens in a fixed key order, values
// sorted, duplicates and redundant date bounds dropped. Parsing it gives an equal Query.
func (q *Query) String() string {
	if q == nil {
		return ""
	}
	return q.canon
}

func (q *Query) format() string {
	var toks []string
	if q.hasFrom {
		toks = append(toks, "date:"+time.Unix(q.from, 0).UTC().Format(dateTimeLayout)+"+")
	}
	if q.hasBefore {
		toks = append(toks, "date:"+time.Unix(q.before, 0).UTC().Format(dateTimeLayout)+"-")
	}
	for i, set := range q.sets {
		for _, v := range set {
			toks = append(toks, string(setKeys[i])+":"+v)
		}
	}
	return strings.Join(toks, " ")
}
