package taxii

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		rule, raw string
		ep        endpoint
		param     string // the parameter a 400 names; "" = accepted
		check     func(*query) bool
	}{
		{"no parameters: default limit, latest version", "", kindObjects, "", func(q *query) bool { return q.limit == 10 && q.versions.onlyLast() }},
		{"limit above the maximum is capped", "limit=5000", kindObjects, "", func(q *query) bool { return q.limit == 100 }},
		{"a limit too large for int is capped too", "limit=123456789012345678901234567890", kindObjects, "", func(q *query) bool { return q.limit == 100 }},
		{"limit 0 is refused", "limit=0", kindObjects, "limit", nil},
		{"a signed limit is refused", "limit=%2B5", kindObjects, "limit", nil},
		{"a limit with leading zeros is refused", "limit=05", kindObjects, "limit", nil},
		{"an empty limit is refused", "limit=", kindObjects, "limit", nil},
		{"added_after is truncated to the microsecond", "added_after=2024-05-01T10:00:00.1234567Z", kindObjects, "", func(q *query) bool {
			return q.addedAfter.Equal(time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC))
		}},
		{"added_after must end in Z", "added_after=2024-05-01T10:00:00%2B02:00", kindObjects, "added_after", nil},
		{"repeated match values are ORed, sorted, deduplicated", "match[type]=malware,indicator&match[type]=malware", kindObjects, "", func(q *query) bool {
			return slices.Equal(q.types, []string{"indicator", "malware"})
		}},
		{"an empty value in a list is refused", "match[type]=indicator,", kindObjects, "match[type]", nil},
		{"match[version] combines keywords and timestamps", "match[version]=first,2024-01-01T00:00:00Z,all", kindObjects, "", func(q *query) bool {
			return q.versions.first && q.versions.all && !q.versions.last && len(q.versions.at) == 1
		}},
		{"match[version] is not allowed on versions", "match[version]=all", kindVersions, "match[version]", nil},
		{"match[id] is not allowed on one object", "match[id]=" + "indicator--1d4c2c1a-5b2e-4b0b-8a59-6a1e4a2f0a02", kindObject, "match[id]", nil},
		{"next is not allowed on DELETE", "next=abc", kindDelete, "next", nil},
		{"an unknown match field is refused", "match[foo]=1", kindObjects, "match[foo]", nil},
		{"a malformed match name is refused", "match[id=1", kindObjects, "match[id", nil},
		{"other parameters are ignored", "utm_source=x&page=2", kindObjects, "", func(q *query) bool { return q.limit == 10 }},
		{"a malformed query string is refused", "limit=%zz", kindObjects, "query", nil},
		{"next may not be empty", "next=", kindObjects, "next", nil},
		{"spec versions are digits.digits", "match[spec_version]=2.1,2.0", kindObjects, "", func(q *query) bool { return slices.Equal(q.specs, []string{"2.0", "2.1"}) }},
		{"a spec version without a dot is refused", "match[spec_version]=21", kindObjects, "match[spec_version]", nil},
	} {
		q, e := parseQuery(tc.raw, tc.ep, 10, 100)
		switch {
		case tc.param == "" && e != nil:
			t.Errorf("%s: %q refused: %v", tc.rule, tc.raw, e.Description)
		case tc.param == "" && !tc.check(q):
			t.Errorf("%s: %q parsed as %+v", tc.rule, tc.raw, q)
		case tc.param != "" && (e == nil || e.Details["parameter"] != tc.param || e.Status != 400):
			t.Errorf("%s: %q gave %+v, want a 400 naming %s", tc.rule, tc.raw, e, tc.param)
		}
	}
}

// encode writes q back as a query string (the inverse of parseQuery, up to order).
func (q *query) encode() string {
	v := url.Values{}
	if !q.addedAfter.IsZero() {
		v.Set("added_after", FormatTime(q.addedAfter))
	}
	v.Set("limit", strconv.Itoa(q.limit))
	var ids []string
	for _, id := range q.ids {
		ids = append(ids, string(id))
	}
	if len(ids) > 0 {
		v.Set("match[id]", strings.Join(ids, ","))
	}
	if len(q.types) > 0 {
		v.Set("match[type]", strings.Join(q.types, ","))
	}
	if len(q.specs) > 0 {
		v.Set("match[spec_version]", strings.Join(q.specs, ","))
	}
	var vs []string
	for _, k := range []struct {
		on   bool
		name string
	}{{q.versions.last, "last"}, {q.versions.first, "first"}, {q.versions.all, "all"}} {
		if k.on {
			vs = append(vs, k.name)
		}
	}
	for _, t := range q.versions.at {
		vs = append(vs, t.Format(time.RFC3339Nano))
	}
	v.Set("match[version]", strings.Join(vs, ","))
	return v.Encode()
}

// Query parsing never panics, never yields a limit outside 1..max, and what it accepts
// means the same when written back and parsed again (same fingerprint).
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "limit=5", "added_after=2024-05-01T10:00:00.123456Z", "match[id]=indicator--1d4c2c1a-5b2e-4b0b-8a59-6a1e4a2f0a02,malware--3f6e4e3c-7d40-4d2d-8c7b-8c306c401c04",
		"match[type]=indicator&match[type]=malware", "match[version]=first,last,2024-01-01T00:00:00.000Z", "match[spec_version]=2.1", "next=abc&limit=99999",
		"match[version]=all&added_after=2024-01-01T00:00:00Z", "match%5Bid%5D=x", "limit=1&limit=2"} {
		f.Add(s, uint8(kindObjects))
	}
	f.Fuzz(func(t *testing.T, raw string, kind uint8) {
		ep := endpoint(kind%5 + 1)
		q, e := parseQuery(raw, ep, 10, 100)
		if e != nil {
			if e.Status != 400 || e.Details["parameter"] == "" {
				t.Fatalf("%q: error %+v does not name a parameter", raw, e)
			}
			return
		}
		if q.limit < 1 || q.limit > 100 {
			t.Fatalf("%q: limit %d", raw, q.limit)
		}
		if !slices.IsSorted(q.ids) || !slices.IsSorted(q.types) || !slices.IsSorted(q.specs) {
			t.Fatalf("%q: lists not normalized: %+v", raw, q)
		}
		for _, id := range q.ids {
			if id.Validate() != nil {
				t.Fatalf("%q: accepted id %q", raw, id)
			}
		}
		if ep != kindObjects && ep != kindManifest {
			return // encode writes every parameter; only these endpoints take them all
		}
		again, e := parseQuery(q.encode(), ep, 10, 100)
		if e != nil {
			t.Fatalf("%q: written back as %q, refused: %v", raw, q.encode(), e.Description)
		}
		if again.fingerprint("r") != q.fingerprint("r") || again.limit != q.limit {
			t.Fatalf("%q: written back as %q means something else", raw, q.encode())
		}
	})
}

func testHandler() *Handler {
	return &Handler{key: []byte("fuzz key")}
}

// Token decoding never panics; what decodes is exactly what the handler would have
// written (one spelling per token), for arbitrary text and for arbitrary payloads that
// carry a valid signature (which reach the parser behind the MAC check).
func FuzzNextToken(f *testing.F) {
	h := testHandler()
	fp := [16]byte{1, 2, 3}
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, p := range []position{
		{},
		{after: &key{t: at, id: "indicator--1d4c2c1a-5b2e-4b0b-8a59-6a1e4a2f0a02"}},
		{after: &key{t: at, id: "indicator--1d4c2c1a-5b2e-4b0b-8a59-6a1e4a2f0a02"}, skip: 3, skipID: "malware--3f6e4e3c-7d40-4d2d-8c7b-8c306c401c04", skipTime: at},
		{skip: 1, skipID: "malware--3f6e4e3c-7d40-4d2d-8c7b-8c306c401c04"},
	} {
		tok := h.encodeToken(fp, p)
		f.Add([]byte(tok))
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		f.Add(raw[:len(raw)-macLen])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(s string) {
			p, err := h.decodeToken(fp, s)
			if err != nil {
				if err != errTokenInvalid && err != errTokenQuery {
					t.Fatalf("%q: unexpected error %v", s, err)
				}
				return
			}
			if again := h.encodeToken(fp, p); again != s {
				t.Fatalf("%q decoded to %+v, which encodes as %q", s, p, again)
			}
			if p.after != nil && p.after.id.Validate() != nil || p.skip > 0 && stix.ID(p.skipID).Validate() != nil || p.skip < 0 {
				t.Fatalf("%q: accepted %+v", s, p)
			}
		}
		check(string(b))
		signed := append(append([]byte(nil), b...), h.mac(b)...)
		check(base64.RawURLEncoding.EncodeToString(signed))
	})
}

func TestTokenRoundTrip(t *testing.T) {
	h := testHandler()
	fp := [16]byte{9}
	at := time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)
	for _, p := range []position{
		{},
		{after: &key{t: at, id: "indicator--1d4c2c1a-5b2e-4b0b-8a59-6a1e4a2f0a02"}},
		{after: &key{t: at, id: "indicator--1d4c2c1a-5b2e-4b0b-8a59-6a1e4a2f0a02"}, skip: 7, skipID: "malware--3f6e4e3c-7d40-4d2d-8c7b-8c306c401c04", skipTime: at.Add(time.Second)},
	} {
		got, err := h.decodeToken(fp, h.encodeToken(fp, p))
		if err != nil || !samePosition(got, p) {
			t.Errorf("%+v came back as %+v, %v", p, got, err)
		}
		if _, err := h.decodeToken([16]byte{8}, h.encodeToken(fp, p)); err != errTokenQuery {
			t.Errorf("another query's token: %v, want errTokenQuery", err)
		}
		other := &Handler{key: []byte("another key")}
		if _, err := other.decodeToken(fp, h.encodeToken(fp, p)); err != errTokenInvalid {
			t.Errorf("another key's token: %v, want errTokenInvalid", err)
		}
	}
}

func samePosition(a, b position) bool {
	if (a.after == nil) != (b.after == nil) || a.after != nil && (!a.after.t.Equal(b.after.t) || a.after.id != b.after.id) {
		return false
	}
	return a.skip == b.skip && a.skipID == b.skipID && a.skipTime.Equal(b.skipTime)
}
