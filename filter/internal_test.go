package filter

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/stix"
)

// foldSamples mixes ASCII, runes whose lower case has another width, and invalid UTF-8.
var foldSamples = []string{
	"", "a", "A", "abc", "ABC", "aBc", "Detection", "DETECTION", "detection", "c2", " c2 ",
	"école", "ÉCOLE", "Straße", "STRASSE", "ǅ", "ǆ", "İstanbul", "istanbul", "K", "k", "Ω", "ω",
	"\xff", "a\xffb", "\xe2\x82", "日本", "日本語", "x-y_z", "indicator--8e2e2d2b",
}

// TestFold checks the allocation-free comparisons against strings.ToLower on every pair of
// samples and their substrings.
func TestFold(t *testing.T) {
	var parts []string
	for _, s := range foldSamples {
		for i := 0; i <= len(s); i++ {
			parts = append(parts, s[:i], s[i:])
		}
	}
	for _, s := range foldSamples {
		for _, p := range parts {
			checkFold(t, s, p)
		}
	}
}

func checkFold(t *testing.T, s, v string) {
	t.Helper()
	low, ls := strings.ToLower(v), strings.ToLower(s)
	if got, want := lowerEq(s, low), ls == low; got != want {
		t.Errorf("lowerEq(%q, %q) = %v", s, low, got)
	}
	if got, want := lowerHasPrefix(s, low), strings.HasPrefix(ls, low); got != want {
		t.Errorf("lowerHasPrefix(%q, %q) = %v", s, low, got)
	}
	if got, want := lowerHasSuffix(s, low), strings.HasSuffix(ls, low); got != want {
		t.Errorf("lowerHasSuffix(%q, %q) = %v", s, low, got)
	}
	if got, want := lowerContains(s, low), strings.Contains(ls, low); got != want {
		t.Errorf("lowerContains(%q, %q) = %v", s, low, got)
	}
	if got, want := lowerCompare(s, low), strings.Compare(ls, low); got != want {
		t.Errorf("lowerCompare(%q, %q) = %v, want %v", s, low, got, want)
	}
}

// FuzzFold compares the allocation-free comparisons with strings.ToLower on any input.
func FuzzFold(f *testing.F) {
	for i, s := range foldSamples {
		f.Add(s, foldSamples[(i+3)%len(foldSamples)])
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		checkFold(t, s, v)
		checkFold(t, s, s)
	})
}

// TestTypeBits checks the precomputed entity type names against the general path, for objects
// of every known type and filters of every operator.
func TestTypeBits(t *testing.T) {
	values := [][]string{
		{"Indicator"}, {"identity"}, {"Organization"}, {"Stix-Domain-Object"}, {"Container"},
		{"stix-core-relationship", "uses"}, {"Stix-Cyber-Observable", "StixFile"}, {"Hashed-Observable"},
		{"group"}, {"Sector", "Indicator"}, {"City"},
		{"Stix-Meta-Object", "Basic-Object"}, {"Case"}, {"x"}, {"Threat-Actor-Group"},
	}
	ops := []Operator{Eq, NotEq, Contains, NotContains, StartsWith, NotStartsWith, EndsWith, NotEndsWith, Search, Lt, Gte}
	variants := []string{
		`"relationship_type":"uses","identity_class":"organization","resource_level":"individual","x_opencti_location_type":"City"`,
		`"relationship_type":"indicator","identity_class":"group","x_opencti_location_type":"Indicator"`,
		`"relationship_type":"Stix-Domain-Object","identity_class":"class"`,
	}
	for i, typ := range knownTypes() {
		o := stix.MustParse(`{"type":"` + typ + `","id":"` + typ + `--6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0",` +
			`"created":"2024-05-01T10:00:00.000Z",` + variants[i%len(variants)] + `}`)
		for _, vals := range values {
			for _, op := range ops {
				for _, mode := range []Mode{And, Or} {
					cf := (&Matcher{}).compileFilter(Filter{Key: []string{"entity_type"}, Values: vals, Operator: op, Mode: mode}, nil)
					if cf.typeBits == nil {
						t.Fatal("entity_type filters precompute their type names")
					}
					v := view{o: o, typ: o.Type()}
					fast := cf.match(&v)
					cf.typeBits = nil
					v = view{o: o, typ: o.Type()}
					if slow := cf.match(&v); fast != slow {
						t.Errorf("%s: entity_type %s %v (%s): precomputed %v, general %v", typ, op, vals, mode, fast, slow)
					}
				}
			}
		}
	}
}

// TestKnownTypes checks that every precomputed type has a category, so its parents are right.
func TestKnownTypes(t *testing.T) {
	for _, typ := range knownTypes() {
		if c := categoryOf(typ); c == stix.CategoryUnknown || c == stix.CategoryCustom {
			t.Errorf("%s: category %v", typ, c)
		}
		if _, ok := stixTypeOf(typ); !ok {
			t.Errorf("%s: not known as a type name", typ)
		}
	}
}

// TestNeedle checks the names the matcher searches for before a lookup.
func TestNeedle(t *testing.T) {
	cases := map[string]string{
		"x_opencti_score": "x_opencti_score", "hashes.SHA-256": "hashes", "a*": "", "#": "",
		"kill_chain_phases.#.phase_name": "kill_chain_phases", "": "", `a\.b`: "",
	}
	for path, want := range cases {
		if got := needleOf(path); got != want {
			t.Errorf("needleOf(%q) = %q, want %q", path, got, want)
		}
	}
}

// FuzzTopMember checks the member finder against gjson on any JSON object.
func FuzzTopMember(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":"x\"y","c":{"d":[1,{"e":"}"}]},"e":true}`,
		`{ "type" : "relationship" , "description":"a \\\" b","relationship_type":"uses"}`,
		`{"\u0061":1,"a":2}`, `{"x":[],"y":{},"z":null,"w":-1.5e3}`, `{}`, `{"k":"\\\\"}`,
	} {
		f.Add(s, "a")
	}
	f.Fuzz(func(t *testing.T, s, extra string) {
		if !gjson.Valid(s) || !gjson.Parse(s).IsObject() {
			return
		}
		keys := []string{extra, "relationship_type", "a"}
		gjson.Parse(s).ForEach(func(k, _ gjson.Result) bool {
			keys = append(keys, k.Str)
			return true
		})
		for _, k := range keys {
			// Text after the object, as in a nested lookup, does not change the answer.
			if start, res := findMember(s+`,"`+k+`":0}`, k); res == memberFound {
				if want := gjson.Get(s, gjson.Escape(k)); !want.Exists() || !strings.HasPrefix(s[start:], want.Raw) {
					t.Fatalf("findMember(%q + text after, %q) at %d, gjson says %q", s, k, start, want.Raw)
				}
			}
			raw, res := topMember(s, k)
			want := gjson.Get(s, gjson.Escape(k))
			switch res {
			case memberFound:
				if !want.Exists() || raw != want.Raw {
					t.Fatalf("topMember(%q, %q) = %q, gjson says %q", s, k, raw, want.Raw)
				}
			case memberAbsent:
				if want.Exists() {
					t.Fatalf("topMember(%q, %q) absent, gjson says %q", s, k, want.Raw)
				}
			}
		}
	})
}

// FuzzLowerID: lowerID is strings.ToLower.
func FuzzLowerID(f *testing.F) {
	for _, s := range []string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "Indicator--8E2E", "x--é", "@[`{", "ZZZZZZZZa", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := lowerID(s), strings.ToLower(s); got != want {
			t.Fatalf("lowerID(%q) = %q, want %q", s, got, want)
		}
	})
}
