package stix_test

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

const bundleID = stix.ID("bundle--5d0092c5-5f74-4287-9642-33f4c354e56d")

func TestDecodeBundleStreams(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, `{"type":"bundle","id":"`+string(bundleID)+`","objects":[`+indicatorJSON)
		// The rest arrives only after the first object was yielded; an iterator that read
		// the whole bundle first would deadlock here.
	}()
	next, stop := iter.Pull2(stix.DecodeBundle(pr))
	defer stop()
	o, err, ok := next()
	if !ok || err != nil || string(o.Raw()) != indicatorJSON {
		t.Fatalf("first object = %v, %v, %v", o, err, ok)
	}
	go func() {
		io.WriteString(pw, `, {"type":"x-a","id":"x-a--3b2c1a4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"}]}`)
		pw.Close()
	}()
	o, err, ok = next()
	if !ok || err != nil || o.Type() != "x-a" {
		t.Fatalf("second object = %v, %v, %v", o, err, ok)
	}
	if _, _, ok := next(); ok {
		t.Error("iteration continued after the bundle ended")
	}
}

func TestDecodeBundleErrors(t *testing.T) {
	tests := []struct {
		rule    string
		json    string
		objects int // yielded before the error
		syntax  bool
	}{
		{"a bundle must be a JSON object", `[1]`, 0, false},
		{"type must be bundle", `{"type":"report","objects":[]}`, 0, false},
		{"type must be bundle even after the objects", `{"objects":[` + indicatorJSON + `],"type":"report"}`, 1, false},
		{"type is required", `{"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}`, 0, false},
		{"objects must be a list", `{"type":"bundle","objects":{}}`, 0, false},
		{"a broken object ends the iteration after the good ones", `{"type":"bundle","objects":[` + indicatorJSON + `,{"type":"x-a"}]}`, 1, true},
		{"truncated input", `{"type":"bundle","objects":[` + indicatorJSON, 1, true},
		{"malformed JSON", `{"type":"bundle","objects":[{"type":}]}`, 0, true},
	}
	for _, tt := range tests {
		n, errs := 0, 0
		var last error
		for o, err := range stix.DecodeBundle(strings.NewReader(tt.json)) {
			if err != nil {
				if o != nil {
					t.Errorf("%s: object yielded with the error", tt.rule)
				}
				errs++
				last = err
				continue
			}
			n++
		}
		if errs != 1 || n != tt.objects {
			t.Errorf("%s: %d objects and %d errors (%v), want %d and 1", tt.rule, n, errs, last, tt.objects)
		}
		var se *stix.SyntaxError
		if tt.syntax && !errors.As(last, &se) {
			t.Errorf("%s: error %v is not a *SyntaxError", tt.rule, last)
		}
	}
}

func TestDecodeBundleEarlyStop(t *testing.T) {
	r := &countingReader{r: strings.NewReader(`{"type":"bundle","objects":[` + indicatorJSON + `,` + indicatorJSON + `]}`)}
	n := 0
	for _, err := range stix.DecodeBundle(r) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 {
		t.Errorf("%d objects after break", n)
	}
	empty := 0
	for range stix.DecodeBundle(strings.NewReader(`{"type":"bundle","id":"` + string(bundleID) + `"}`)) {
		empty++
	}
	if empty != 0 {
		t.Errorf("a bundle without objects yielded %d items", empty)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestBundleEncoder(t *testing.T) {
	var buf bytes.Buffer
	e := stix.NewBundleEncoder(&buf, bundleID)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"bundle","id":"` + string(bundleID) + `"}`; buf.String() != want {
		t.Errorf("empty bundle = %s, want %s (STIX forbids an empty objects list)", buf.String(), want)
	}
	if got := string(stix.MarshalBundle(bundleID, nil)); got != buf.String() {
		t.Errorf("MarshalBundle(nil) = %s", got)
	}

	objs := []*stix.Object{stix.MustParse(indicatorJSON), stix.TLPMarkings()[1]}
	buf.Reset()
	e = stix.NewBundleEncoder(&buf, bundleID)
	for _, o := range objs {
		if err := e.Encode(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Encode(objs[0]); err == nil {
		t.Error("Encode after Close succeeded")
	}
	if !bytes.Equal(buf.Bytes(), stix.MarshalBundle(bundleID, objs)) {
		t.Errorf("encoder and MarshalBundle differ:\n%s\n%s", buf.Bytes(), stix.MarshalBundle(bundleID, objs))
	}
	i := 0
	for o, err := range stix.DecodeBundle(&buf) {
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(o.Raw(), objs[i].Raw()) {
			t.Errorf("object %d changed on the way through a bundle", i)
		}
		i++
	}
	if i != len(objs) {
		t.Errorf("decoded %d objects, want %d", i, len(objs))
	}
}
