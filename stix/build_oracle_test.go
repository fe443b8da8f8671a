package stix

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// This file keeps the builders' first implementation (a map marshalled by encoding/json and
// parsed back) as an oracle for the direct writer that replaced it for speed: the tests check
// that both write the same bytes, so objects built before the change equal those built after.

func oracleMarshal(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// oracleFormatTime is FormatTime as it was, before it wrote the digits itself.
func oracleFormatTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format(TimeLayout)
}

// oracleNewID is NewID as it was, before it read crypto/rand itself.
func oracleNewID(typ string) ID {
	u := uuid.New()
	var b strings.Builder
	b.Grow(len(typ) + 2 + 36)
	b.WriteString(typ)
	b.WriteString("--")
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b.WriteByte('-')
		}
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return ID(b.String())
}

// oracleNew is New as it was, minus the defaults (the tests give an id and a time).
func oracleNew(typ string, props map[string]any, c Common) []byte {
	m := map[string]any{
		"type": typ, "spec_version": "2.1", "id": c.ID,
		"created": oracleFormatTime(c.Created), "modified": oracleFormatTime(c.Modified),
	}
	if c.Modified.IsZero() {
		m["modified"] = m["created"]
	}
	if c.CreatedByRef != "" {
		m["created_by_ref"] = c.CreatedByRef
	}
	if len(c.Labels) > 0 {
		m["labels"] = c.Labels
	}
	if len(c.ObjectMarkingRefs) > 0 {
		m["object_marking_refs"] = c.ObjectMarkingRefs
	}
	for k, v := range props {
		m[k] = v
	}
	for k, v := range c.Extra {
		m[k] = v
	}
	return oracleMarshal(m)
}

func oracleNewIndicator(name, pattern string, validFrom time.Time, c Common) (*Object, error) {
	return parseOwned(oracleNew("indicator", map[string]any{
		"name": name, "pattern": pattern, "pattern_type": "stix", "valid_from": oracleFormatTime(validFrom),
	}, c))
}

// awkward holds strings that exercise every escape encoding/json makes without HTML escaping.
var awkward = []string{
	"plain", "", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnl\ncr\rbs\bff\f",
	"\x00\x01\x1f\x7f", "line\u2028para\u2029", "bad \xff utf8 \xc3", "ünïcödé ✓ 😀",
	"[ipv4-addr:value = '198.51.100.3']",
}

func TestBuildersWriteWhatEncodingJSONWrote(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)
	ids := []ID{"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff", "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}
	commons := []Common{
		{ID: "x--1", Created: t0},
		{ID: "x--2", Created: t0, Modified: t0.Add(time.Hour), CreatedByRef: ids[0], Labels: []string{"b", "a"}, ObjectMarkingRefs: []ID{TLP2Green}},
		{ID: "x--3", Created: t0, Extra: map[string]any{
			"name": "overridden", "x_n": 3.5, "x_map": map[string]any{"<k>": []any{1, "\u2028"}},
			"x_num": json.Number("12"), "x_nil": nil, "type": "x-retyped", "x_ids": []ID(nil),
		}},
	}
	for _, c := range commons {
		for _, s := range awkward {
			check := func(what string, got *Object, err error, want []byte) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s(%q): %v", what, s, err)
				}
				if !bytes.Equal(got.Raw(), want) {
					t.Errorf("%s(%q):\n got %s\nwant %s", what, s, got.Raw(), want)
				}
				// The builder fills the Object from what it wrote; parsing must agree.
				if parsed, err := Parse(got.Raw()); err != nil || !reflect.DeepEqual(got, parsed) {
					t.Errorf("%s(%q): built Object differs from the parsed one (%v):\n built  %#v\n parsed %#v", what, s, err, got, parsed)
				}
			}
			o, err := NewIndicator(s, s, t0, c)
			check("NewIndicator", o, err, oracleNew("indicator", map[string]any{"name": s, "pattern": s, "pattern_type": "stix", "valid_from": oracleFormatTime(t0)}, c))
			o, err = NewMalware(s, true, c)
			check("NewMalware", o, err, oracleNew("malware", map[string]any{"name": s, "is_family": true}, c))
			o, err = NewIdentity(s, s, c)
			check("NewIdentity", o, err, oracleNew("identity", map[string]any{"name": s, "identity_class": s}, c))
			o, err = NewRelationship(s, ids[0], ID(s), c)
			check("NewRelationship", o, err, oracleNew("relationship", map[string]any{"relationship_type": s, "source_ref": ids[0], "target_ref": ID(s)}, c))
			o, err = NewSighting(ID(s), ids, c)
			check("NewSighting", o, err, oracleNew("sighting", map[string]any{"sighting_of_ref": ID(s), "where_sighted_refs": ids}, c))
			o, err = NewSighting(ID(s), nil, c)
			check("NewSighting without where", o, err, oracleNew("sighting", map[string]any{"sighting_of_ref": ID(s)}, c))
			o, err = NewReport(s, t0, nil, c)
			check("NewReport with nil objects", o, err, oracleNew("report", map[string]any{"name": s, "published": oracleFormatTime(t0), "object_refs": []ID(nil)}, c))
			props := map[string]any{s: s, "x_list": []string{s, ""}, "x_empty": []string{}, "x_bool": false, "x_int": 7}
			o, err = New("x-acme-case", props, c)
			check("New", o, err, oracleNew("x-acme-case", props, c))
			// Only strings, booleans and lists: the builder reads its Object without a scan.
			props = map[string]any{"name": s, "x_of_ref": s, "x_to_refs": []string{s, "a"}, "x_ids_refs": ids,
				"x_nil_refs": []ID(nil), "x_bool_ref": true, "revoked": true, "labels": []ID{ID(s)},
				"object_marking_refs": []string{s}, "a.b*c?_ref": "x--1"}
			o, err = New("x-acme-case", props, c)
			check("New with references", o, err, oracleNew("x-acme-case", props, c))
			props = map[string]any{"created_by_ref": []string{s}, "revoked": "yes", "labels": "one", "confidence": "high"}
			o, err = New("x-acme-case", props, c)
			check("New with common properties of other kinds", o, err, oracleNew("x-acme-case", props, c))
		}
	}
}

func TestNewVersionWritesWhatEncodingJSONWrote(t *testing.T) {
	o, err := NewIndicator("n", "[a:b = 'c']", time.Unix(0, 0), Common{ID: "indicator--x", Created: time.Unix(5, 0),
		Extra: map[string]any{"x_big": json.Number("12345678901234567890"), "x_f": 1e21, "x_s": awkward}})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := o.NewVersion(time.Unix(6, 0), func(m map[string]any) { m["x_new"] = "<&>" })
	if err != nil {
		t.Fatal(err)
	}
	m, err := o.props()
	if err != nil {
		t.Fatal(err)
	}
	m["x_new"], m["modified"] = "<&>", oracleFormatTime(time.Unix(6, 0))
	if want := oracleMarshal(m); !bytes.Equal(v2.Raw(), want) {
		t.Errorf("NewVersion:\n got %s\nwant %s", v2.Raw(), want)
	}
}

func TestNewSCOWritesWhatEncodingJSONWrote(t *testing.T) {
	for _, s := range awkward {
		o, err := NewSCO("domain-name", map[string]any{"value": s})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{"type": "domain-name", "spec_version": "2.1", "value": s}
		id, err := SCOID(oracleMarshal(m))
		if err != nil {
			t.Fatal(err)
		}
		m["id"] = id
		if want := oracleMarshal(m); !bytes.Equal(o.Raw(), want) {
			t.Errorf("NewSCO(%q):\n got %s\nwant %s", s, o.Raw(), want)
		}
	}
}

// FuzzEncodeMatchesEncodingJSON checks the direct writer against encoding/json on any key
// and string value, valid UTF-8 or not.
func FuzzEncodeMatchesEncodingJSON(f *testing.F) {
	for _, s := range awkward {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, val string) {
		props := map[string]any{key: val, "b" + key: []string{val, key}, "a": val}
		got, err := encodeMap(props)
		if err != nil {
			t.Fatal(err)
		}
		if want := oracleMarshal(props); !bytes.Equal(got, want) {
			t.Errorf("encodeMap(%q):\n got %s\nwant %s", props, got, want)
		}
		if !strings.HasPrefix(string(got), "{") {
			t.Errorf("not an object: %s", got)
		}
		// A built Object, read from its fields, equals the parse of its bytes.
		o, err := New("x-fuzz", map[string]any{key: val, key + "_ref": val, key + "_refs": []string{val, key}},
			Common{ID: "x-fuzz--1", Created: time.Unix(1, 0), Labels: []string{val}})
		if err != nil {
			if _, perr := Parse(oracleNew("x-fuzz", map[string]any{key: val, key + "_ref": val, key + "_refs": []string{val, key}},
				Common{ID: "x-fuzz--1", Created: time.Unix(1, 0), Labels: []string{val}})); perr == nil {
				t.Fatalf("New failed where the old builder did not: %v", err)
			}
			return
		}
		if parsed, err := Parse(o.Raw()); err != nil || !reflect.DeepEqual(o, parsed) {
			t.Errorf("built Object differs from the parsed one (%v):\n built  %#v\n parsed %#v", err, o, parsed)
		}
	})
}

var benchT = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func benchCommon() Common {
	return Common{Created: benchT, CreatedByRef: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
		ObjectMarkingRefs: []ID{TLP2Green}, Labels: []string{"malicious-activity"}}
}

// BenchmarkNewIndicator is the builder; BenchmarkNewIndicatorOld is the map round trip it
// replaced, on the same input (both draw a random id).
func BenchmarkNewIndicator(b *testing.B) {
	c := benchCommon()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := NewIndicator("bad ip", "[ipv4-addr:value = '198.51.100.3']", benchT, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewIndicatorOld(b *testing.B) {
	c := benchCommon()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		c.ID = oracleNewID("indicator")
		if _, err := oracleNewIndicator("bad ip", "[ipv4-addr:value = '198.51.100.3']", benchT, c); err != nil {
			b.Fatal(err)
		}
	}
}

// edgeTimes are times whose timestamps FormatTime writes differently (years outside 0 to
// 9999), that time.Time holds in its other encoding (before 1885, after 2157, a monotonic
// reading), in another zone, or that round down across a second or a year.
func edgeTimes() []time.Time {
	est := time.FixedZone("EST", -5*3600)
	return []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(1884, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1885, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2157, 12, 31, 23, 59, 59, 999500000, time.UTC), time.Date(2158, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 500, time.UTC), time.Date(2024, 12, 31, 20, 0, 0, 123999999, est),
		time.Now(), time.Unix(0, -1), time.Date(-200000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestBuildersWriteTimesAsBefore(t *testing.T) {
	times := edgeTimes()
	for i, created := range times {
		modified := times[(i+3)%len(times)]
		for _, c := range []Common{{ID: "x--1", Created: created}, {ID: "x--2", Created: created, Modified: modified}} {
			check := func(what string, got *Object, err error, want []byte) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s(%v, %v): %v", what, created, modified, err)
				}
				if !bytes.Equal(got.Raw(), want) {
					t.Errorf("%s(%v, %v):\n got %s\nwant %s", what, created, modified, got.Raw(), want)
				}
				if parsed, err := Parse(got.Raw()); err != nil || !reflect.DeepEqual(got, parsed) {
					t.Errorf("%s(%v, %v): built Object differs from the parsed one (%v):\n built  %#v\n parsed %#v", what, created, modified, err, got, parsed)
				}
			}
			o, err := NewIndicator("n", "p", modified, c)
			check("NewIndicator", o, err, oracleNew("indicator", map[string]any{"name": "n", "pattern": "p", "pattern_type": "stix", "valid_from": oracleFormatTime(modified)}, c))
			o, err = NewReport("r", modified, []ID{"x--1"}, c)
			check("NewReport", o, err, oracleNew("report", map[string]any{"name": "r", "published": oracleFormatTime(modified), "object_refs": []ID{"x--1"}}, c))
			// created and modified given as strings override the builder's times.
			extra := Common{ID: c.ID, Created: c.Created, Extra: map[string]any{"created": oracleFormatTime(modified), "modified": "not a time"}}
			o, err = NewMalware("m", false, extra)
			check("NewMalware with created and modified in Extra", o, err, oracleNew("malware", map[string]any{"name": "m", "is_family": false}, extra))
		}
	}
}

func TestFormatTimeWritesWhatTimeFormatWrote(t *testing.T) {
	times := edgeTimes()
	for i := range 2000 {
		// Spread over years -100 to 10100, with arbitrary nanoseconds.
		sec := int64(i)*160_000_000 - 65_000_000_000 + int64(i*i*7919)
		times = append(times, time.Unix(sec, int64(i)*499_999_999%1_000_000_000))
	}
	for _, tm := range times {
		if got, want := FormatTime(tm), oracleFormatTime(tm); got != want {
			t.Errorf("FormatTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

// TestBuildersDrawIDs covers the builders writing a new id straight into the object: the
// bytes are those the old builder wrote with that id, and the Object is the parse of them.
func TestBuildersDrawIDs(t *testing.T) {
	for _, typ := range []string{"indicator", "x-acme-case", `x-"quoted"`, "x-ünï", "x-\xff", ""} {
		c := Common{Created: time.Unix(1, 0), Labels: []string{"l"}, ObjectMarkingRefs: []ID{TLP2Green}}
		props := map[string]any{"name": "n", "x_to_ref": "x--1"}
		o, err := New(typ, props, c)
		if typ == "" {
			if err == nil {
				t.Errorf("New with an empty type and no id succeeded: %s", o.Raw())
			}
			continue
		}
		if err != nil {
			t.Fatalf("New(%q): %v", typ, err)
		}
		// Invalid UTF-8 in the type reads back as U+FFFD, in the type and in the id.
		if o.ID().Type() != o.Type() || !isCanonicalUUID(o.ID().UUID()) || o.ID().UUID()[14] != '4' {
			t.Errorf("New(%q) drew id %q", typ, o.ID())
		}
		c.ID = ID(typ + "--" + o.ID().UUID())
		if want := oracleNew(typ, props, c); !bytes.Equal(o.Raw(), want) {
			t.Errorf("New(%q):\n got %s\nwant %s", typ, o.Raw(), want)
		}
		if parsed, err := Parse(o.Raw()); err != nil || !reflect.DeepEqual(o, parsed) {
			t.Errorf("New(%q): built Object differs from the parsed one (%v):\n built  %#v\n parsed %#v", typ, err, o, parsed)
		}
	}
}

// FuzzBuildersMatchOracle checks the builders against the old ones on any type, text and
// time, drawing the id themselves: the same bytes (with the id drawn), an Object equal to
// the parse of them, and an error exactly where the old builder's output did not parse.
func FuzzBuildersMatchOracle(f *testing.F) {
	f.Add("indicator", "[ipv4-addr:value = '198.51.100.3']", int64(1714557600), int64(123456789))
	f.Add("x-\xff", "\u2028\"\\", int64(-62167219200), int64(-1))
	f.Add("", "", int64(253402300800), int64(999999999))
	f.Fuzz(func(t *testing.T, typ, s string, sec, nsec int64) {
		tm := time.Unix(sec, nsec)
		c := Common{Created: tm, Modified: tm.Add(time.Duration(nsec)), CreatedByRef: ID(s), Labels: []string{s}}
		props := map[string]any{"name": s, "x_" + s + "_refs": []string{s}, "valid_from": oracleFormatTime(tm)}
		o, err := New(typ, props, c)
		if err != nil {
			c.ID = "x--1"
			if _, perr := parseOwned(oracleNew(typ, props, c)); perr == nil {
				t.Fatalf("New failed where the old builder did not: %v", err)
			}
			return
		}
		drawn := string(o.ID())
		if len(drawn) < 36 || !isCanonicalUUID(drawn[len(drawn)-36:]) {
			t.Fatalf("New(%q) drew id %q", typ, drawn)
		}
		c.ID = ID(typ + "--" + drawn[len(drawn)-36:]) // "-" + "--" + uuid: UUID() would cut early
		if want := oracleNew(typ, props, c); !bytes.Equal(o.Raw(), want) {
			t.Errorf("New(%q):\n got %s\nwant %s", typ, o.Raw(), want)
		}
		if parsed, err := Parse(o.Raw()); err != nil || !reflect.DeepEqual(o, parsed) {
			t.Errorf("built Object differs from the parsed one (%v):\n built  %#v\n parsed %#v", err, o, parsed)
		}
		o, err = NewIndicator(s, s, tm, c)
		if err != nil {
			t.Fatal(err)
		}
		want := oracleNew("indicator", map[string]any{"name": s, "pattern": s, "pattern_type": "stix", "valid_from": oracleFormatTime(tm)}, c)
		if !bytes.Equal(o.Raw(), want) {
			t.Errorf("NewIndicator(%q, %v):\n got %s\nwant %s", s, tm, o.Raw(), want)
		}
		if parsed, err := Parse(o.Raw()); err != nil || !reflect.DeepEqual(o, parsed) {
			t.Errorf("built Object differs from the parsed one (%v):\n built  %#v\n parsed %#v", err, o, parsed)
		}
	})
}

// TestBuiltListsAreFull checks that the lists a builder's Object returns, kept in room
// beside it, have no spare capacity: a caller appending to one must get a copy, not write
// over the list beside it.
func TestBuiltListsAreFull(t *testing.T) {
	for _, c := range []Common{
		{Created: time.Unix(1, 0), CreatedByRef: "identity--1", Labels: []string{"a"}, ObjectMarkingRefs: []ID{TLP2Green}},
		{Created: time.Unix(1, 0), Labels: []string{"a", "b", "c"}, ObjectMarkingRefs: []ID{TLP2Green, TLP2Red}},
	} {
		o, err := NewRelationship("indicates", "indicator--1", "malware--1", c)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Labels()) != cap(o.Labels()) || len(o.ObjectMarkingRefs()) != cap(o.ObjectMarkingRefs()) || len(o.Refs()) != cap(o.Refs()) {
			t.Errorf("lists with spare capacity: labels %d/%d, markings %d/%d, refs %d/%d", len(o.Labels()), cap(o.Labels()),
				len(o.ObjectMarkingRefs()), cap(o.ObjectMarkingRefs()), len(o.Refs()), cap(o.Refs()))
		}
		refs := slices.Clone(o.Refs())
		_ = append(o.Labels(), "x")
		_ = append(o.ObjectMarkingRefs(), "x--1")
		if !slices.Equal(o.Refs(), refs) || !slices.Equal(o.Labels(), c.Labels) || !slices.Equal(o.ObjectMarkingRefs(), c.ObjectMarkingRefs) {
			t.Errorf("appending to a returned list changed the Object: %v %v %v", o.Refs(), o.Labels(), o.ObjectMarkingRefs())
		}
	}
}
