package filter_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
)

// fuzzObjects are a few fixtures every fuzzed filter runs on.
func fuzzObjects(tb testing.TB) []*stix.Object {
	objs := fixtures(tb)
	return []*stix.Object{objs["ind"], objs["rel"], objs["sighting"], objs["ipv4"], objs["unicode"], objs["escaped"],
		objs["malware"], objs["report"], objs["observed"]}
}

// fuzzOpts let fuzzed groups use every key, with the tables' clock.
func fuzzOpts() *filter.CompileOptions {
	return &filter.CompileOptions{Relations: true, Clock: func() time.Time { return fixtureNow }}
}

// fuzzBind binds a fuzzed matcher to the fixtures' relationships.
func fuzzBind(t *testing.T, m *filter.Matcher, r filter.Resolver) *filter.Bound {
	t.Helper()
	b, err := m.Bind(context.Background(), filter.BindOptions{Resolver: r})
	if err != nil {
		t.Fatalf("Bind of a compiled matcher: %v", err)
	}
	return b
}

// fuzzSeeds are groups using the date and relationship keys, in both forms.
var fuzzSeeds = []string{
	`regardingOf = {id = ` + idMalware + `, relationship_type = (indicates or uses)} and created >= now-7d/d`,
	`connectedToId = (` + idMalware + ` and ` + idCrowd + `) or containers != ` + idReport + ` or sightedBy = ` + idCrowd,
	`modified within (now-1M/M or "2024-05-02T10:00:00+02:00") and valid_until > now+1y and created_at nil`,
	`updated_at <= 2024-05-01 or first_observed = "2024-04-28T08:00:00.5Z" or regardingOf != {id = ` + idCrowd + `}`,
}

// FuzzParse feeds arbitrary bytes to the JSON parser. Invalid input must give a *SyntaxError,
// never a panic; valid input must marshal to a canonical form that parses back to the same
// form, validate and compile without panicking, and, when valid, print as text that parses to
// a group matching exactly the same objects.
func FuzzParse(f *testing.F) {
	for _, doc := range canonicalJSON {
		f.Add([]byte(doc))
	}
	f.Add([]byte(`{"filters":[{"key":"entity_type","values":["Indicator",5,true]}]}`))
	f.Add([]byte(`{"filters":[{"key":["x"],"values":[null]}]}`))
	f.Add([]byte(nested(5)))
	f.Add([]byte(`{"mode":"or","filters":[{"key":["objectLabel"],"values":["a b","\u00e9"],"operator":"search"}],"filterGroups":[{"filters":[{"key":["confidence"],"values":["50"],"operator":"gt"}]}]}`))
	for _, s := range fuzzSeeds {
		g, err := filter.ParseText(s)
		if err != nil {
			f.Fatal(err)
		}
		data, _ := g.MarshalJSON()
		f.Add(data)
	}
	f.Add([]byte(`{"filters":[{"key":["regardingOf"],"values":[{"key":"id","values":["x"],"mode":"and","operator":"gt","z":1},{"key":["a","b"],"values":[]}]}]}`))
	objs := fuzzObjects(f)
	res := fixtureResolver(fixtures(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := filter.Parse(data)
		if err != nil {
			var se *filter.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError: %v", err, err)
			}
			return
		}
		out, err := g.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		g2, err := filter.Parse(out)
		if err != nil {
			t.Fatalf("canonical JSON does not parse: %v\n%s", err, out)
		}
		out2, _ := g2.MarshalJSON()
		if !bytes.Equal(out, out2) {
			t.Fatalf("canonical JSON is not stable:\n%s\n%s", out, out2)
		}
		m, err := filter.Compile(g, fuzzOpts())
		if err != nil {
			return // invalid groups are errors, not matches
		}
		g.EntityTypes()
		text := g.String()
		gt, err := filter.ParseText(text)
		if err != nil {
			t.Fatalf("the text of a valid group does not parse: %v\n%s", err, text)
		}
		mt, err := filter.Compile(gt, fuzzOpts())
		if err != nil {
			t.Fatalf("the text of a valid group does not compile: %v\n%s", err, text)
		}
		b, bt := fuzzBind(t, m, res), fuzzBind(t, mt, res)
		for _, o := range objs {
			if m.Match(o) != mt.Match(o) || b.Match(o, filter.Times{}) != bt.Match(o, filter.Times{}) {
				t.Fatalf("JSON and text forms disagree on %s:\n%s\n%s", o.ID(), out, text)
			}
		}
	})
}

// FuzzParseText feeds arbitrary text to the text parser. Invalid input must give a
// *SyntaxError, never a panic; valid input must print canonically (text → Group → text is
// stable and gives back the same Group) and survive JSON.
func FuzzParseText(f *testing.F) {
	for _, s := range canonicalText {
		f.Add(s)
	}
	for _, bf := range benchFilters {
		f.Add(bf.text)
	}
	f.Add(`a = (x or y) and (b nil or c >= 5)`)
	f.Add(`"k\x00" = "\u00e9\t" or x contains "a b"`)
	f.Add(nestedText(4))
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(`r = {} and s = {a = "x,}", b = (c and d)} and t = "{"`)
	objs := fuzzObjects(f)
	res := fixtureResolver(fixtures(f))
	f.Fuzz(func(t *testing.T, s string) {
		g, err := filter.ParseText(s)
		if err != nil {
			var se *filter.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError: %v", err, err)
			}
			if se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("offset %d outside the input", se.Offset)
			}
			return
		}
		text := g.String()
		g2, err := filter.ParseText(text)
		if err != nil {
			t.Fatalf("String output does not parse: %v\n%q", err, text)
		}
		if diff := cmp.Diff(g, g2); diff != "" {
			t.Fatalf("text → Group → text → Group differs (-first +second):\n%s", diff)
		}
		if text2 := g2.String(); text2 != text {
			t.Fatalf("String is not stable: %q then %q", text, text2)
		}
		data, err := g.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := filter.Parse(data); err != nil {
			t.Fatalf("the JSON of a text group does not parse: %v", err)
		}
		if m, err := filter.Compile(g, fuzzOpts()); err == nil {
			b := fuzzBind(t, m, res)
			for _, o := range objs {
				m.Match(o)
				b.Match(o, filter.Times{CreatedAt: fixtureNow})
			}
		}
	})
}
