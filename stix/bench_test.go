package stix_test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
)

// attackObjects returns the exact bytes of every object of the ATT&CK bundle.
func attackObjects(b *testing.B) (spans [][]byte, size int64) {
	b.Helper()
	data, err := os.ReadFile(sharedtest.AttackBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	spans = objectSpans(b, data)
	for _, s := range spans {
		size += int64(len(s))
	}
	return spans, size
}

// BenchmarkParseRefs parses every ATT&CK object and lists its references.
func BenchmarkParseRefs(b *testing.B) {
	spans, size := attackObjects(b)
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, s := range spans {
			o, err := stix.Parse(s)
			if err != nil {
				b.Fatal(err)
			}
			n += len(o.Refs())
		}
	}
	if n == 0 {
		b.Fatal("no references found")
	}
}

// BenchmarkGoStdlibParseRefs is the baseline: encoding/json into map[string]any, then a walk
// collecting the same references, with the same exclusions, as Refs.
func BenchmarkGoStdlibParseRefs(b *testing.B) {
	spans, size := attackObjects(b)
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, s := range spans {
			var m map[string]any
			if err := json.Unmarshal(s, &m); err != nil {
				b.Fatal(err)
			}
			n += len(stdlibRefs(m, "", nil))
		}
	}
	if n == 0 {
		b.Fatal("no references found")
	}
}

// TestStdlibBaselineAgrees keeps the baseline honest: on the ATT&CK data it finds exactly the
// references Refs finds.
func TestStdlibBaselineAgrees(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(sharedtest.AttackBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range objectSpans(t, data) {
		o, err := stix.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(s, &m); err != nil {
			t.Fatal(err)
		}
		got := map[stix.Ref]bool{}
		for _, r := range stdlibRefs(m, "", nil) {
			got[r] = true
		}
		if len(got) != len(o.Refs()) {
			t.Fatalf("%s: baseline found %d refs, Refs %d", o.ID(), len(got), len(o.Refs()))
		}
		for _, r := range o.Refs() {
			if !got[r] {
				t.Fatalf("%s: baseline misses %v", o.ID(), r)
			}
		}
	}
}

func stdlibRefs(v any, prefix string, out []stix.Ref) []stix.Ref {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			path := prefix + escapePath(k)
			switch {
			case k == "external_references" || k == "kill_chain_phases":
				continue
			case strings.HasSuffix(k, "_ref"):
				if s, ok := e.(string); ok {
					out = append(out, stix.Ref{Path: path, Index: -1, ID: stix.ID(s)})
					continue
				}
			case strings.HasSuffix(k, "_refs"):
				if l, ok := e.([]any); ok {
					for i, x := range l {
						if s, ok := x.(string); ok {
							out = append(out, stix.Ref{Path: path, Index: i, ID: stix.ID(s)})
						}
					}
					continue
				}
			}
			out = stdlibRefs(e, path+".", out)
		}
	case []any:
		for i, e := range v {
			out = stdlibRefs(e, prefix+strconv.Itoa(i)+".", out)
		}
	}
	return out
}

func escapePath(k string) string {
	if !strings.ContainsAny(k, `.*?|#@\!=<>%"`) {
		return k
	}
	var b strings.Builder
	for _, c := range k {
		if strings.ContainsRune(`.*?|#@\!=<>%"`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
