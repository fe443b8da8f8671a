package stix_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

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
