package stix_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ctifeed/ctifeed/stix"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(indicatorJSON))
	f.Add([]byte(`{"type":"x-a","id":"x-a--b","x":{"a_ref":"c--d","b_refs":["e--f",1,{"g_ref":"h--i"}]}}`))
	f.Add([]byte(`{"type":"x-a","id":"x-a--b","x":{"k":1,"k":2}}`))
	f.Add([]byte(`{"type":"x\u0041","id":"\"--","external_references":[{"x_ref":"a--b"}]}`))
	f.Add([]byte(strings.Repeat("[", 70)))
	for _, m := range stix.TLPMarkings() {
		f.Add(m.Raw())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		o, err := stix.Parse(data)
		if err != nil {
			return
		}
		if !utf8.Valid(in) || !json.Valid(in) {
			t.Fatalf("accepted %q, which is not valid UTF-8 JSON", in)
		}
		if !bytes.Equal(o.Raw(), in) {
			t.Fatalf("Raw() = %q, want the input %q", o.Raw(), in)
		}
		_ = stix.Validate(o) // must not panic
		_ = o.Category()
		_, _, _ = o.ExpectedID()
		again, err := stix.Parse(o.Raw())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if again.ID() != o.ID() || again.Type() != o.Type() || !slices.Equal(again.Refs(), o.Refs()) {
			t.Fatalf("re-parse differs: %s/%s vs %s/%s", again.ID(), again.Type(), o.ID(), o.Type())
		}
	})
}

func FuzzDecodeBundle(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + indicatorJSON + `]}`))
	f.Add([]byte(`{"objects":[{"type":"x-a","id":"x-a--b"}],"type":"bundle"}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"x-a","id":"x-a--b"},{"type":1}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		errs := 0
		for o, err := range stix.DecodeBundle(bytes.NewReader(data)) {
			if err != nil {
				errs++
				if o != nil {
					t.Fatal("object yielded with an error")
				}
				continue
			}
			if errs > 0 {
				t.Fatal("object yielded after an error")
			}
			if !bytes.Contains(data, o.Raw()) {
				t.Fatalf("object %q is not part of the input", o.Raw())
			}
		}
		if errs > 1 {
			t.Fatalf("%d errors yielded, want at most 1", errs)
		}
	})
}

// FuzzParseUTF8 checks that Parse refuses exactly the inputs that are not UTF-8 (before
// anything else) and names the offset of the first bad byte, and that no accepted input
// holds an unpaired surrogate escape.
func FuzzParseUTF8(f *testing.F) {
	f.Add([]byte(`{"type":"x-a","id":"x-a--b","name":"\xff"}`), 3, byte(0xff))
	f.Add([]byte(`{"type":"x-a","id":"x-a--b","name":"\ud83d\ude42"}`), 0, byte('a'))
	f.Add([]byte(`{"type":"x-a","id":"x-a--b","name":"\ud83d"}`), 40, byte(0xe2))
	f.Fuzz(func(t *testing.T, data []byte, at int, b byte) {
		if len(data) > 0 { // plant one byte somewhere, often a high one
			at = (at%len(data) + len(data)) % len(data)
			data = bytes.Clone(data)
			data[at] = b
		}
		o, err := stix.Parse(data)
		if !utf8.Valid(data) {
			off := firstInvalid(data)
			want := fmt.Sprintf("invalid UTF-8 at byte offset %d", off)
			var se *stix.SyntaxError
			if !errors.As(err, &se) || se.Msg != want {
				t.Fatalf("Parse(%q) = %v, want %q", data, err, want)
			}
			return
		}
		if err != nil {
			return
		}
		if s := unpaired(o.String()); s >= 0 {
			t.Fatalf("accepted %q with an unpaired surrogate escape at %d", data, s)
		}
	})
}

// firstInvalid is the test's own oracle: the offset of the first byte that does not start
// a valid UTF-8 sequence.
func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// unpaired returns the offset of a \u escape of a surrogate that is not half of a pair,
// or -1. It reads escapes only where a backslash is not itself escaped.
func unpaired(s string) int {
	hex := func(i int) int {
		var v int
		_, err := fmt.Sscanf(s[i:i+4], "%04x", &v)
		if err != nil {
			return -1
		}
		return v
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			continue
		}
		if s[i+1] != 'u' || i+6 > len(s) {
			i++ // an escaped character: skip it
			continue
		}
		v := hex(i + 2)
		switch {
		case v >= 0xD800 && v <= 0xDBFF:
			if i+12 > len(s) || s[i+6] != '\\' || s[i+7] != 'u' {
				return i
			}
			if w := hex(i + 8); w < 0xDC00 || w > 0xDFFF {
				return i
			}
			i += 11
		case v >= 0xDC00 && v <= 0xDFFF:
			return i
		default:
			i += 5
		}
	}
	return -1
}
