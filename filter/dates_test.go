package filter

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseInstant compares the allocation-free RFC 3339 reader with time.Parse: what it
// accepts, time.Parse accepts as the same instant; what time.Parse accepts with RFC 3339's
// upper-case T and Z, it accepts too.
func FuzzParseInstant(f *testing.F) {
	for _, s := range []string{"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123456789Z", "2024-02-29T23:59:59+01:00",
		"2023-02-29T00:00:00Z", "2024-05-01t10:00:00z", "0001-01-01T00:00:00-23:59", "2024-05-01T10:00:00.Z",
		"2024-05-01T24:00:00Z", "9999-12-31T23:59:59.999999999+00:00", "2024-05-01T10:00:00.1234567891Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseInstant(s)
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok {
			if err != nil {
				// time.Parse reads lower-case t and z only since they are RFC 3339's too;
				// compare on the upper-case spelling.
				want, err = time.Parse(time.RFC3339Nano, upperTZ(s))
			}
			if err != nil {
				t.Fatalf("parseInstant accepts %q, time.Parse refuses it: %v", s, err)
			}
			if got != instantOf(want) {
				t.Fatalf("%q: parseInstant %v, time.Parse %v", s, got.time(), want)
			}
			return
		}
		// time.Parse also takes one-digit fields and other spellings RFC 3339 does not;
		// within RFC 3339's shape, the two must agree.
		if err == nil && rfc3339Shape(s) {
			t.Fatalf("time.Parse accepts %q (%v), parseInstant refuses it", s, want)
		}
	})
}

// rfc3339Shape reports whether s has RFC 3339's fixed-width date and time fields.
func rfc3339Shape(s string) bool {
	if len(s) < 20 || !strings.ContainsRune(".Zz+-", rune(s[19])) { // not ISO 8601's comma
		return false
	}
	if n := len(s); n >= 6 && (s[n-6] == '+' || s[n-6] == '-') && (s[n-5:n-3] > "23" || s[n-2:] > "59") {
		return false // time.Parse takes offsets RFC 3339's time-numoffset does not
	}
	for i := 0; i < 19; i++ {
		switch i {
		case 4, 7:
			if s[i] != '-' {
				return false
			}
		case 10:
			if s[i] != 'T' {
				return false
			}
		case 13, 16:
			if s[i] != ':' {
				return false
			}
		default:
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
	}
	return true
}

func upperTZ(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 't' || c == 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// TestParseDateValue checks the grammar of date values: OpenCTI's relative expressions and
// nothing more, RFC 3339 date-times and dates.
func TestParseDateValue(t *testing.T) {
	ok := []string{"now", "now-7d", "now+2h", "now-1M/M", "now-1y/y", "now-3w/w", "now-15m/H", "now-100000s",
		"2024-05-01", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.5+02:00"}
	bad := []string{"", "now/d", "now-", "now-d", "now-7", "now-7x", "now-7d/", "now-7d/x", "now-7d/dd", "now-7d-1h",
		"now-100001d", "Now-7d", "now -7d", "2024-5-1", "2024-05-01T10:00:00", "2024-13-01", "yesterday", "1714557600"}
	for _, s := range ok {
		if _, valid := parseDateValue(s); !valid {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range bad {
		if _, valid := parseDateValue(s); valid {
			t.Errorf("%q accepted", s)
		}
	}
}
