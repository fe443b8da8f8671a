package stream

import (
	"errors"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctifeed/ctifeed/store"
)

func TestParseParams(t *testing.T) {
	date := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	yes, no := true, false
	tests := []struct {
		rule    string
		query   string
		headers map[string]string
		want    params
		badName string // the parameter a 400 must name
	}{
		{"nothing: live from the log's end", "", nil, params{}, ""},
		{"from=0 is the start", "from=0", nil, params{hasFrom: true, from: whole(store.Position{})}, ""},
		{"from=0-0 is the start", "from=0-0", nil, params{hasFrom: true, from: whole(store.Position{})}, ""},
		{"a position resumes after it", "from=1700000000000-3", nil, params{hasFrom: true, from: whole(store.Position{Millis: 1700000000000, Seq: 3})}, ""},
		{"a mid-group id resumes after its base, without the frames up to its Seq", "from=1700000000000-12884901891", nil,
			params{hasFrom: true, from: resumePoint{pos: store.Position{Millis: 1700000000000, Seq: 3}, skip: 2}}, ""},
		{"a mid-group id of a position at the end of a millisecond", "from=1700000000000-12884901887", nil,
			params{hasFrom: true, from: resumePoint{pos: store.Position{Millis: 1700000000000, Seq: math.MaxUint64}, skip: 1}}, ""},
		{"a date starts at the first event at or after it", "from=2024-03-01T12:00:00Z", nil, params{hasFrom: true, fromDate: true, from: whole(store.PositionAt(date))}, ""},
		{"Last-Event-ID is read when from is absent", "", map[string]string{"Last-Event-ID": "5-1"}, params{hasFrom: true, from: whole(store.Position{Millis: 5, Seq: 1})}, ""},
		{"the query wins over the header", "from=7-0", map[string]string{"Last-Event-ID": "5-1"}, params{hasFrom: true, from: whole(store.Position{Millis: 7})}, ""},
		{"recover is a date", "recover=2024-03-01T12:00:00.000Z", nil, params{recover: date}, ""},
		{"the flags set the switches", "no-dependencies=true&listen-delete=false&with-inferences=true", nil,
			params{sw: Switches{NoDependencies: &yes, NoDeletions: &yes, WithInferences: &yes}}, ""},
		{"false flags set the switches off (over a default that is on)", "no-dependencies=false&listen-delete=true&with-inferences=false", nil,
			params{sw: Switches{NoDependencies: &no, NoDeletions: &no, WithInferences: &no}}, ""},
		{"flags may come as headers", "", map[string]string{"no-dependencies": "true", "listen-delete": "false"},
			params{sw: Switches{NoDependencies: &yes, NoDeletions: &yes}}, ""},
		{"a position with a leading zero is refused", "from=01-0", nil, params{}, "from"},
		{"a bare number other than 0 is refused", "from=17", nil, params{}, "from"},
		{"a bad header names the header", "", map[string]string{"Last-Event-ID": "x"}, params{}, "Last-Event-ID"},
		{"a bad recover names recover", "recover=2024-13-01", nil, params{}, "recover"},
		{"flags are strictly true or false", "with-inferences=1", nil, params{}, "with-inferences"},
		{"flags are case-sensitive", "listen-delete=FALSE", nil, params{}, "listen-delete"},
		{"a malformed query is refused", "from=%zz", nil, params{}, "query"},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/stream/s?"+tc.query, nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			got, err := parseParams(r)
			if tc.badName != "" {
				var pe *paramError
				if !errors.As(err, &pe) || pe.name != tc.badName {
					t.Fatalf("error %v, want one naming %s", err, tc.badName)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(params{}, resumePoint{}), cmpopts.IgnoreFields(params{}, "fromName", "fromRaw")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// whole is a resume point that skips nothing of the next group.
func whole(p store.Position) resumePoint { return resumePoint{pos: p, skip: -1} }

// Issue 15, item 8: an error never echoes more than about 100 bytes of what the client sent
// (a 900 KB Last-Event-ID used to come back whole in the 400).
func TestParamErrorsClipClientValues(t *testing.T) {
	for _, v := range []string{strings.Repeat("9", 900<<10), strings.Repeat("é", 300), "1-" + strings.Repeat("x", 500)} {
		r := httptest.NewRequest("GET", "/stream/s", nil)
		r.Header.Set("Last-Event-ID", v)
		_, err := parseParams(r)
		if err == nil {
			t.Fatalf("%.20q… accepted", v)
		}
		msg := err.Error()
		if len(msg) > 250 || !strings.Contains(msg, "Last-Event-ID") || !utf8.ValidString(msg) {
			t.Errorf("error of %d bytes for a %d-byte value: %.300q", len(msg), len(v), msg)
		}
	}
	r := httptest.NewRequest("GET", "/stream/s?"+strings.Repeat("%zz", 1000), nil)
	if _, err := parseParams(r); err == nil || len(err.Error()) > 250 {
		t.Errorf("a malformed query's error: %.300v", err)
	}
}
