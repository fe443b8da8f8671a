package filter_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
)

// crowdStrike is the author of the seed's scenario.
const crowdStrike = "identity--b3d5e8c1-4a3f-4e0e-9f2a-8c7d6e5f4a3b"

// benchFilters are typical feed filters, three filters and one nested group each: the seed's
// scenario with a marking and an author-or-confidence group, all read from properties the
// parsed object caches; and the same with OpenCTI's score, read from its extension.
var benchFilters = []struct{ name, text string }{
	{"typical", `entity_type = Indicator and objectLabel = detection and objectMarking = ` +
		string(stix.TLP2Green) + ` and (createdBy = ` + crowdStrike + ` or confidence >= 80)`},
	{"score-in-extension", `entity_type = Indicator and objectLabel = detection and objectMarking = ` +
		string(stix.TLP2Green) + ` and (x_opencti_score >= 50 or confidence >= 80)`},
}

// benchObjects is a feed's mix as OpenCTI exports it: indicators that match and that fail at
// each filter, and other objects. want gives the outcome for each filter of benchFilters.
func benchObjects(tb testing.TB) (objs []string, want [][]bool) {
	tb.Helper()
	const ext = `"extensions":{"extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba":{` +
		`"extension_type":"property-extension","id":"7a1c5a28-8b3e-4d47-9b1a-3f3e1a9c0b11",` +
		`"type":"Indicator","created_at":"2024-05-01T10:00:00.000Z","updated_at":"2024-05-02T10:00:00.000Z",` +
		`"is_inferred":false,"creator_ids":["88ec0c6a-13ce-5e39-b486-354fe4a7084f"],` +
		`"main_observable_type":"IPv4-Addr","detection":true,"score":%d}}`
	indicator := func(n int, author, labels, marking string, score, confidence int) string {
		return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1",`+
			`"id":"indicator--%08d-2b1e-4c5d-9e8f-0a1b2c3d4e5f",`+
			`"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-02T10:00:00.000Z",`+
			`"created_by_ref":"%s",`+
			`"name":"198.51.100.%d","description":"C2 server seen in a phishing campaign delivering a loader",`+
			`"pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00.000Z",`+
			`"indicator_types":["malicious-activity"],"confidence":%d,"labels":%s,`+
			`"object_marking_refs":["%s"],`+
			`"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],`+
			`"external_references":[{"source_name":"vendor","url":"https://example.com/report/%d"}],`+ext+`}`,
			n, author, n, n, confidence, labels, marking, n, score)
	}
	const other = "identity--0e1d6c4a-5b7f-4c1a-8d2e-3f4a5b6c7d8e"
	green := string(stix.TLP2Green)
	add := func(obj string, typical, score bool) {
		objs = append(objs, obj)
		want = append(want, []bool{typical, score})
	}
	add(indicator(1, crowdStrike, `["detection","c2"]`, green, 80, 60), true, true) // author; score
	add(indicator(2, other, `["c2","detection"]`, green, 20, 90), true, true)       // confidence
	add(indicator(3, other, `["detection"]`, green, 20, 40), false, false)          // nested group
	add(indicator(4, crowdStrike, `["c2"]`, green, 90, 90), false, false)           // label
	add(indicator(5, crowdStrike, `["detection"]`, string(stix.TLP2Amber), 90, 90), false, false)
	add(`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",`+
		`"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z","name":"Emotet",`+
		`"description":"Banking trojan turned loader","is_family":true,"labels":["detection"],`+
		`"object_marking_refs":["`+green+`"]}`, false, false)
	add(`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",`+
		`"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z","relationship_type":"indicates",`+
		`"source_ref":"indicator--00000001-2b1e-4c5d-9e8f-0a1b2c3d4e5f",`+
		`"target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","confidence":90,`+
		`"object_marking_refs":["`+green+`"]}`, false, false)
	add(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",`+
		`"value":"198.51.100.3","extensions":{"extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82":`+
		`{"extension_type":"property-extension","score":70,"labels":["detection"]}}}`, false, false)
	return objs, want
}

func benchMatcher(tb testing.TB, text string) *filter.Matcher {
	tb.Helper()
	g, err := filter.ParseText(text)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := filter.Compile(g, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkMatch evaluates typical feed filters on pre-parsed objects; one op is one object
// of the mix.
func BenchmarkMatch(b *testing.B) {
	texts, _ := benchObjects(b)
	var objs []*stix.Object
	for _, s := range texts {
		objs = append(objs, stix.MustParse(s))
	}
	for _, bf := range benchFilters {
		m := benchMatcher(b, bf.text)
		b.Run(bf.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				m.Match(objs[i%len(objs)])
			}
		})
	}
}

// BenchmarkGoStdlibMatch is the baseline: the same filters evaluated the straightforward way on
// objects decoded by encoding/json into map[string]any (decoding not timed).
func BenchmarkGoStdlibMatch(b *testing.B) {
	texts, _ := benchObjects(b)
	var objs []map[string]any
	for _, s := range texts {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			b.Fatal(err)
		}
		objs = append(objs, m)
	}
	for _, bf := range benchFilters {
		g, err := filter.ParseText(bf.text)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bf.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				stdlibMatch(g, objs[i%len(objs)])
			}
		})
	}
}

// TestBenchObjects checks that the benchmark's matcher and baseline agree with the outcome
// each object was built for, so the two benchmarks measure the same work.
func TestBenchObjects(t *testing.T) {
	texts, want := benchObjects(t)
	for j, bf := range benchFilters {
		m := benchMatcher(t, bf.text)
		g := m.Group()
		for i, s := range texts {
			var dec map[string]any
			if err := json.Unmarshal([]byte(s), &dec); err != nil {
				t.Fatal(err)
			}
			if got := m.Match(stix.MustParse(s)); got != want[i][j] {
				t.Errorf("%s, object %d: Match = %v, want %v", bf.name, i, got, want[i][j])
			}
			if got := stdlibMatch(g, dec); got != want[i][j] {
				t.Errorf("%s, object %d: baseline = %v, want %v", bf.name, i, got, want[i][j])
			}
		}
	}
}

// stdlibMatch is the baseline evaluator: it gathers each key's candidates from the decoded
// map as strings and compares lower-cased copies, as a direct port of OpenCTI's testers would.
// It knows the keys of the benchmark filter only.
func stdlibMatch(g filter.Group, m map[string]any) bool {
	if len(g.Filters) == 0 && len(g.FilterGroups) == 0 {
		return true
	}
	var results []bool
	for _, f := range g.Filters {
		results = append(results, stdlibFilter(f, m))
	}
	for _, sg := range g.FilterGroups {
		results = append(results, stdlibMatch(sg, m))
	}
	for _, r := range results {
		if r == (g.Mode == filter.Or) {
			return r
		}
	}
	return g.Mode != filter.Or
}

func stdlibCandidates(key string, m map[string]any) []string {
	ext, _ := m["extensions"].(map[string]any)
	octi, _ := ext["extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"].(map[string]any)
	octiSCO, _ := ext["extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"].(map[string]any)
	var out []string
	add := func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	switch key {
	case "entity_type":
		t, _ := m["type"].(string)
		add(t)
		switch t {
		case "indicator", "malware", "report":
			add([]any{"Stix-Domain-Object", "Stix-Core-Object", "Stix-Object", "Basic-Object"})
		case "relationship":
			add(m["relationship_type"])
			add([]any{"stix-core-relationship", "stix-relationship", "basic-relationship"})
		case "ipv4-addr":
			add([]any{"Stix-Cyber-Observable", "Stix-Core-Object", "Stix-Object", "Basic-Object"})
		}
	case "objectLabel":
		add(m["labels"])
		add(octiSCO["labels"])
	case "objectMarking":
		add(m["object_marking_refs"])
	case "createdBy":
		add(m["created_by_ref"])
	case "confidence":
		add(m["confidence"])
	case "x_opencti_score":
		for _, v := range []any{m["x_opencti_score"], octi["score"], octiSCO["score"]} {
			if v != nil {
				add(v)
				break
			}
		}
	}
	return out
}

func stdlibFilter(f filter.Filter, m map[string]any) bool {
	cands := stdlibCandidates(f.Key[0], m)
	for i := range cands {
		cands[i] = strings.ToLower(strings.TrimSpace(cands[i]))
	}
	pass := func(v string) bool {
		v = strings.ToLower(strings.TrimSpace(v))
		for _, c := range cands {
			switch f.Operator {
			case filter.Eq:
				if c == v {
					return true
				}
			case filter.Gte, filter.Gt, filter.Lte, filter.Lt:
				x, err1 := strconv.ParseFloat(c, 64)
				y, err2 := strconv.ParseFloat(v, 64)
				if err1 != nil || err2 != nil {
					continue
				}
				if f.Operator == filter.Gte && x >= y || f.Operator == filter.Gt && x > y ||
					f.Operator == filter.Lte && x <= y || f.Operator == filter.Lt && x < y {
					return true
				}
			}
		}
		return false
	}
	for _, v := range f.Values {
		if pass(v) == (f.Mode == filter.Or) {
			return f.Mode == filter.Or
		}
	}
	return f.Mode != filter.Or
}

// BenchmarkMatchObject breaks BenchmarkMatch down by object of the mix (numbered as in
// benchObjects), to show what each way of passing or failing costs.
func BenchmarkMatchObject(b *testing.B) {
	texts, _ := benchObjects(b)
	for _, bf := range benchFilters {
		m := benchMatcher(b, bf.text)
		for i, s := range texts {
			o := stix.MustParse(s)
			b.Run(fmt.Sprintf("%s/%d", bf.name, i), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.Match(o)
				}
			})
		}
	}
}
