package stix_test

import (
	"bytes"
	"encoding/json"
	"github.com/tidwall/gjson"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
)

// objectSpans returns the exact bytes of every object in a bundle file, found with
// encoding/json offsets rather than with the decoder under test.
func objectSpans(t testing.TB, data []byte) [][]byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	var spans [][]byte
	depth := 0
	inObjects := false
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		case "objects":
			if depth == 1 {
				inObjects = true
			}
		}
		if !inObjects || tok != json.Delim('[') {
			continue
		}
		for d.More() {
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			end := int(d.InputOffset())
			spans = append(spans, data[end-len(raw):end])
		}
		inObjects = false
	}
	return spans
}

// TestRoundTripRealData checks that every real object leaves Parse, MarshalJSON and a bundle
// byte for byte as it arrived, whitespace and property order included.
func TestRoundTripRealData(t *testing.T) {
	t.Parallel()
	files := []string{sharedtest.AttackBundle(t)}
	ex, _ := filepath.Glob(filepath.Join(sharedtest.SchemasDir(t), "examples", "*", "*.json"))
	ex2, _ := filepath.Glob(filepath.Join(sharedtest.SchemasDir(t), "examples", "*.json"))
	files = append(append(files, ex...), ex2...)
	total := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		spans := objectSpans(t, data)
		if len(spans) == 0 { // a single object, not a bundle
			spans = [][]byte{bytes.TrimSpace(data)}
		} else {
			i := 0
			for o, err := range stix.DecodeBundle(bytes.NewReader(data)) {
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if !bytes.Equal(o.Raw(), spans[i]) {
					t.Errorf("%s: object %d from DecodeBundle differs from the file", path, i)
				}
				i++
			}
			if i != len(spans) {
				t.Errorf("%s: DecodeBundle gave %d objects, the file holds %d", path, i, len(spans))
			}
		}
		for _, span := range spans {
			o, err := stix.Parse(span)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			m, _ := o.MarshalJSON()
			if !bytes.Equal(o.Raw(), span) || !bytes.Equal(m, span) || o.String() != string(span) {
				t.Errorf("%s: %s does not round-trip", path, o.ID())
			}
			// Extensions is kept at parse time; it must be what a fresh lookup finds.
			if got, want := o.Extensions(), gjson.GetBytes(span, "extensions"); got.Raw != want.Raw || got.Index != want.Index || got.Exists() != want.IsObject() {
				t.Errorf("%s: %s: Extensions() = %q at %d, gjson finds %q at %d", path, o.ID(), got.Raw, got.Index, want.Raw, want.Index)
			}
			total++
		}
	}
	if total < 2148 {
		t.Errorf("round-tripped only %d objects", total)
	}
}
