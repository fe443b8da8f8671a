package stix

import (
	"fmt"
	"strings"
	"time"
)

// TimeLayout is the STIX timestamp layout with millisecond precision, the precision the
// standard requires for `created` and `modified`.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime formats t in UTC with millisecond precision, as STIX `created` and `modified`
// require. Finer precision is truncated.
func FormatTime(t time.Time) string {
	var b [len(TimeLayout)]byte
	if out := appendTime(b[:0], t); len(out) == len(b) {
		return string(out)
	}
	return t.UTC().Truncate(time.Millisecond).Format(TimeLayout)
}

// appendTime appends FormatTime(t) to dst when t's year in UTC is 0 to 9999, the years
// TimeLayout writes in four digits, and returns dst unchanged otherwise. The builders write
// two or three timestamps per object, and time.Format, which interprets its layout every
// time, was a tenth of their cost.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return dst
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / int(time.Millisecond) // what Truncate(time.Millisecond) keeps, cheaper
	return append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// truncTime is t as FormatTime writes it and ParseTime reads it back: UTC, whole
// milliseconds, no monotonic clock reading. ok is false where appendTime writes nothing.
func truncTime(t time.Time) (_ time.Time, ok bool) {
	// As Truncate(time.Millisecond), which divides in general and cost more: UTC drops the
	// monotonic reading, and the nanoseconds within the second, never negative, lose their
	// sub-millisecond part.
	t = t.UTC()
	t = t.Add(-time.Duration(t.Nanosecond() % int(time.Millisecond)))
	year := t.Year()
	return t, year >= 0 && year <= 9999
}

// ParseTime parses a STIX timestamp: RFC 3339 in UTC, ending in "Z", with optional
// fractional seconds.
func ParseTime(s string) (time.Time, error) {
	if !strings.HasSuffix(s, "Z") || len(s) < len("2006-01-02T15:04:05Z") || s[10] != 'T' {
		return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339 in UTC ending in Z", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: %w", s, err)
	}
	return t, nil
}

// fractionDigits returns how many digits follow the seconds in a timestamp ("" → 0).
func fractionDigits(s string) int {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return 0
	}
	return len(s) - dot - 2 // minus the dot and the trailing Z
}
