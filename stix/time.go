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
	return t.UTC().Truncate(time.Millisecond).Format(TimeLayout)
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
