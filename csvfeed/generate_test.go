package csvfeed_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
)

// ipFeed lists ipv4-addr values, newest first.
const ipFeed = `{"id":"ips","name":"IPs","feed_types":["IPv4-Addr"],
  "feed_attributes":[{"attribute":"value","mappings":[{"type":"IPv4-Addr","attribute":"value"}]}]}`

func ip(n int) *stix.Object {
	return stix.MustParse(fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%08x-0000-4000-8000-000000000000","value":"10.%d.%d.%d"}`,
		n, n>>16&255, n>>8&255, n&255))
}

func ipValue(n int) string { return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255) }

func rows(tb testing.TB, f *csvfeed.File) []string {
	tb.Helper()
	recs, err := csv.NewReader(f.Reader()).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = strings.Join(r, "|")
	}
	return out
}

// TestCap: of 10,000 matching objects (interleaved with 10,000 that do not match), the
// file holds exactly the 5,000 newest, newest first, and says it was truncated.
func TestCap(t *testing.T) {
	s := newStore()
	for i := range 10_000 {
		at := t0.Add(time.Duration(i) * time.Second)
		s.putAt(t, at, ip(i))
		dom := must[*stix.Object](t)(stix.NewSCO("domain-name", map[string]any{"value": fmt.Sprintf("d%d.example", i)}))
		s.putAt(t, at.Add(500*time.Millisecond), dom)
	}
	f := compile(t, ipFeed)
	file, err := f.Generate(context.Background(), s, visibility(t), amber(), csvfeed.Window{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 9_999; i >= 5_000; i-- {
		want = append(want, ipValue(i))
	}
	if diff := cmp.Diff(want, rows(t, file)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if file.Rows != 5000 || !file.Truncated {
		t.Errorf("Rows = %d, Truncated = %t; want 5000, true", file.Rows, file.Truncated)
	}

	// Exactly the cap matching: nothing is cut.
	small := compile(t, strings.Replace(ipFeed, `"id":"ips"`, `"id":"ips","max_rows":3`, 1))
	w := csvfeed.Window{Since: t0.Add(9_997 * time.Second), Until: t0.Add(10_000 * time.Second)}
	file, err = small.Generate(context.Background(), s, visibility(t), amber(), w)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rows(t, file), []string{ipValue(9999), ipValue(9998), ipValue(9997)}; !slices.Equal(got, want) || file.Truncated {
		t.Errorf("rows %v truncated %t; want %v, false", got, file.Truncated, want)
	}
}

// TestCapCountsVisibleRows: hidden objects do not use up the cap; the file still holds the
// newest visible ones.
func TestCapCountsVisibleRows(t *testing.T) {
	s := newStore()
	for i := range 20 {
		o := ip(i)
		if i%2 == 1 { // odd ones are TLP:RED
			o = stix.MustParse(strings.Replace(string(o.Raw()), `"value"`, `"object_marking_refs":["`+string(stix.TLP2Red)+`"],"value"`, 1))
		}
		s.putAt(t, t0.Add(time.Duration(i)*time.Second), o)
	}
	f := compile(t, strings.Replace(ipFeed, `"id":"ips"`, `"id":"ips","max_rows":4`, 1))
	file := must[*csvfeed.File](t)(f.Generate(context.Background(), s, visibility(t), amber(), csvfeed.Window{}))
	if got, want := rows(t, file), []string{ipValue(18), ipValue(16), ipValue(14), ipValue(12)}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}

// TestWindowBoundaries: a window is [Since, Until): an object stamped exactly at Since is
// in, one stamped exactly at Until is out (it belongs to the next window), and consecutive
// windows therefore never share or lose an object.
func TestWindowBoundaries(t *testing.T) {
	s := newStore()
	for i, off := range []time.Duration{-time.Millisecond, 0, time.Millisecond, time.Hour - time.Millisecond, time.Hour, time.Hour + time.Millisecond} {
		s.putAt(t, t0.Add(off), ip(i))
	}
	f := compile(t, ipFeed)
	gen := func(w csvfeed.Window) []string {
		return rows(t, must[*csvfeed.File](t)(f.Generate(context.Background(), s, visibility(t), amber(), w)))
	}
	tests := []struct {
		rule string
		w    csvfeed.Window
		want []string
	}{
		{"Since is inclusive, Until exclusive", csvfeed.Window{Since: t0, Until: t0.Add(time.Hour)},
			[]string{ipValue(3), ipValue(2), ipValue(1)}},
		{"the next window starts where the previous ended", csvfeed.Window{Since: t0.Add(time.Hour), Until: t0.Add(2 * time.Hour)},
			[]string{ipValue(5), ipValue(4)}},
		{"an empty window selects nothing", csvfeed.Window{Since: t0, Until: t0}, nil},
		{"a zero Since is open", csvfeed.Window{Until: t0.Add(time.Millisecond)}, []string{ipValue(1), ipValue(0)}},
		{"a zero Until is open", csvfeed.Window{Since: t0.Add(time.Hour)}, []string{ipValue(5), ipValue(4)}},
	}
	for _, tt := range tests {
		if got := gen(tt.w); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.rule, got, tt.want)
		}
	}
	_, err := f.Generate(context.Background(), s, visibility(t), amber(), csvfeed.Window{Since: t0.Add(time.Second), Until: t0})
	if !errors.Is(err, csvfeed.ErrInvalid) {
		t.Errorf("reversed window: err = %v, want ErrInvalid", err)
	}
}

// TestDateAttribute: updated_at (the default) selects objects modified in the window even
// if created before it; created_at selects by when they first arrived.
func TestDateAttribute(t *testing.T) {
	s := newStore()
	old := must[*stix.Object](t)(stix.NewMalware("Old", true, common("malware", 1)))
	s.putAt(t, t0.Add(-time.Hour), old) // before the window
	s.putAt(t, t0.Add(time.Minute), must[*stix.Object](t)(stix.NewMalware("New", true, common("malware", 2))))
	s.putAt(t, t0.Add(2*time.Minute), must[*stix.Object](t)(old.NewVersion(old.Created().Add(time.Hour), func(m map[string]any) { m["name"] = "Old, renamed" })))
	def := `{"id":"m","name":"m","feed_types":["Malware"],%s"feed_attributes":[{"attribute":"name","mappings":[{"type":"Malware","attribute":"name"}]}]}`
	for _, tt := range []struct {
		attr string
		want []string
	}{
		{``, []string{"Old, renamed", "New"}},
		{`"feed_date_attribute":"updated_at",`, []string{"Old, renamed", "New"}},
		{`"feed_date_attribute":"created_at",`, []string{"New"}},
	} {
		f := compile(t, fmt.Sprintf(def, tt.attr))
		got := rows(t, must[*csvfeed.File](t)(f.Generate(context.Background(), s, visibility(t), amber(), windowAll())))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.attr, got, tt.want)
		}
	}
}

// TestSegregation: whatever the columns ask for, a cell never holds a value of an object
// the principal may not see — not the row's, not a neighbour's, not through a hidden
// relationship — and granted organizations are stripped before paths are read.
func TestSegregation(t *testing.T) {
	s := fixture(t)
	org := "identity--00000000-0000-4000-8000-0000000000aa"
	ext := `"extensions":{"` + access.OpenCTIExtension + `":{"extension_type":"property-extension","granted_refs":["` + org + `"]}}`
	granted := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"` + string(id("indicator", 99)) +
		`","created":"2023-01-01T00:00:00.000Z","modified":"2023-01-01T00:00:00.000Z","name":"granted","pattern":"[x:y = 'z']","pattern_type":"stix","valid_from":"2023-01-01T00:00:00.000Z",` + ext + `}`)
	s.putAt(t, t0.Add(50*time.Minute), granted)
	// Every column that could reach a hidden value.
	f := compile(t, `{"id":"all","name":"all","feed_types":["Stix-Core-Object","indicates","uses"],"feed_attributes":[
	  {"attribute":"name","mappings":[{"type":"Stix-Core-Object","attribute":"name"}]},
	  {"attribute":"raw","mappings":[{"type":"Stix-Core-Object","attribute":"extensions"}]},
	  {"attribute":"indicates","mappings":[{"type":"Stix-Core-Object","attribute":"name","relationship_type":"indicates","target_entity_type":"Stix-Core-Object"}]},
	  {"attribute":"uses","mappings":[{"type":"Stix-Core-Object","attribute":"name","relationship_type":"uses","target_entity_type":"Malware"}]}]}`)
	vis := visibility(t)
	tests := []struct {
		who    string
		p      *access.Principal
		hidden []string
	}{
		{"amber", amber(), []string{"RedBot", "SECRET", "red.bin", "Emotet C2,Dridex", "Dridex,Emotet", "granted_refs", org}},
		{"nobody cleared", &access.Principal{}, []string{"Emotet", "RedBot", "SECRET", "granted_refs"}},
		{"nil principal", nil, []string{"Emotet", "Dridex", "CrowdStrike", "granted"}},
	}
	for _, tt := range tests {
		file := must[*csvfeed.File](t)(f.Generate(context.Background(), s, vis, tt.p, windowAll()))
		for _, h := range tt.hidden {
			if strings.Contains(file.String(), h) {
				t.Errorf("%s: %q is in the file:\n%s", tt.who, h, file)
			}
		}
	}
	// The bypass principal sees all of it, which shows the columns do reach those values.
	all := must[*csvfeed.File](t)(f.Generate(context.Background(), s, vis, &access.Principal{Capabilities: []access.Capability{access.CapBypass}}, windowAll()))
	for _, v := range []string{"RedBot", "SECRET", "Dridex", "granted_refs"} {
		if !strings.Contains(all.String(), v) {
			t.Errorf("bypass: %q missing, so the test shows nothing:\n%s", v, all)
		}
	}
}

// TestColumns checks the column rules one by one on a single object.
func TestColumns(t *testing.T) {
	s := newStore()
	o := stix.MustParse(`{"type":"x-thing","spec_version":"2.1","id":"x-thing--00000000-0000-4000-8000-000000000001",
	  "created":"2023-01-01T00:00:00.000Z","modified":"2023-01-01T00:00:00.000Z",
	  "list":["a","","b"],"nums":[1,2.5],"flag":true,"nested":{"deep":{"v":"x"}},"obj":{"k": [1, 2]},
	  "arr":[{"v":"p"},{"v":"q"},{"w":"r"}],"dotted.key":"dk","null":null,"matrix":[["m1","m2"],["m3"]]}`)
	s.putAt(t, t0, o)
	tests := []struct {
		rule, attr, strategy, want string
	}{
		{"a list is joined with the separator, empty values dropped", "list", "", "a,b"},
		{"first keeps the first value", "list", "first", "a"},
		{"numbers as written", "nums", "", "1,2.5"},
		{"booleans as true/false", "flag", "", "true"},
		{"nested properties", "nested.deep.v", "", "x"},
		{"an object as compact JSON", "obj", "", `{"k":[1,2]}`},
		{"arrays are read element by element", "arr.v", "", "p,q"},
		{`\. escapes a dot in a name`, `dotted\.key`, "", "dk"},
		{"names match ignoring case when not exact", "NESTED.Deep.V", "", "x"},
		{"missing is empty", "nope.nope", "", ""},
		{"null is empty", "null", "", ""},
		{"nested arrays are flattened", "matrix", "", "m1,m2,m3"},
		{"a path through a string finds nothing", "flag.x", "", ""},
	}
	for _, tt := range tests {
		def := fmt.Sprintf(`{"id":"c","name":"c","feed_types":["x-thing"],"feed_attributes":[{"attribute":"c","multi_match_strategy":%q,"mappings":[{"type":"x-thing","attribute":%q}]}]}`,
			tt.strategy, tt.attr)
		file := must[*csvfeed.File](t)(compile(t, def).Generate(context.Background(), s, visibility(t), amber(), csvfeed.Window{}))
		recs, err := csv.NewReader(file.Reader()).ReadAll()
		if err != nil || len(recs) != 1 {
			t.Fatalf("%s: %q: %v", tt.rule, file, err)
		}
		if recs[0][0] != tt.want {
			t.Errorf("%s: %s gives %q, want %q", tt.rule, tt.attr, recs[0][0], tt.want)
		}
	}
}

// TestGenerateErrors: missing collaborators are errors, not panics; a cancelled context
// stops generation with the context's error.
func TestGenerateErrors(t *testing.T) {
	s := fixture(t)
	f := compile(t, ipFeed)
	if _, err := f.Generate(context.Background(), nil, visibility(t), amber(), csvfeed.Window{}); !errors.Is(err, csvfeed.ErrInvalid) {
		t.Errorf("nil source: %v", err)
	}
	if _, err := f.Generate(context.Background(), s, nil, amber(), csvfeed.Window{}); !errors.Is(err, csvfeed.ErrInvalid) {
		t.Errorf("nil visibility: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Generate(ctx, s, visibility(t), amber(), csvfeed.Window{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
