package stix_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaSet is the official STIX 2.1 schemas, every file registered under its own $id so that
// their relative $refs resolve offline.
type schemaSet struct {
	base string // the $id prefix shared by every file, ending in "schemas/"
	c    *jsonschema.Compiler
	mu   sync.Mutex
	got  map[string]*jsonschema.Schema
}

func loadSchemas(t testing.TB) *schemaSet {
	t.Helper()
	dir := filepath.Join(sharedtest.SchemasDir(t), "schemas")
	s := &schemaSet{c: jsonschema.NewCompiler(), got: map[string]*jsonschema.Schema{}}
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return err
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		rel, _ := filepath.Rel(dir, path)
		if !strings.HasSuffix(id, "/schemas/"+filepath.ToSlash(rel)) {
			return errors.New(path + ": $id " + id + " does not end in its path")
		}
		s.base = strings.TrimSuffix(id, filepath.ToSlash(rel))
		n++
		return s.c.AddResource(id, doc)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 57 {
		t.Fatalf("registered only %d schema files from %s", n, dir)
	}
	return s
}

// schemaFor names the schema an object of type typ is judged by: its own type schema, or for
// custom types the core schema of objects with (core.json) or without (cyber-observable-core)
// `created`.
func schemaFor(o *stix.Object) string {
	switch stix.CategoryOf(o.Type()) {
	case stix.CategorySDO:
		return "sdos/" + o.Type() + ".json"
	case stix.CategorySRO:
		return "sros/" + o.Type() + ".json"
	case stix.CategorySCO:
		return "observables/" + o.Type() + ".json"
	case stix.CategoryMeta:
		return "common/" + o.Type() + ".json"
	}
	if o.Has("created") {
		return "common/core.json"
	}
	return "common/cyber-observable-core.json"
}

func (s *schemaSet) validate(t testing.TB, o *stix.Object) error {
	t.Helper()
	name := schemaFor(o)
	s.mu.Lock()
	sch, ok := s.got[name]
	if !ok {
		var err error
		sch, err = s.c.Compile(s.base + name)
		if err != nil {
			s.mu.Unlock()
			t.Fatalf("compiling %s: %v", name, err)
		}
		s.got[name] = sch
	}
	s.mu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(o.Raw()))
	if err != nil {
		t.Fatalf("%s: %v", o.ID(), err)
	}
	return sch.Validate(inst)
}

// realObjects returns every object of the official examples (bundles, or single objects) and
// of the ATT&CK bundle, each with where it came from.
func realObjects(t testing.TB) (objs []*stix.Object, from []string) {
	t.Helper()
	examples := filepath.Join(sharedtest.SchemasDir(t), "examples")
	var files []string
	err := filepath.WalkDir(examples, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, sharedtest.AttackBundle(t))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Type string }
		if err := json.Unmarshal(data, &head); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if head.Type != "bundle" {
			o, err := stix.Parse(data)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			objs, from = append(objs, o), append(from, path)
			continue
		}
		for o, err := range stix.DecodeBundle(bytes.NewReader(data)) {
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			objs, from = append(objs, o), append(from, path)
		}
	}
	return objs, from
}

// TestValidateAgreesOnRealData checks that every real object is accepted both by Validate
// and by the official schema of its type.
func TestValidateAgreesOnRealData(t *testing.T) {
	t.Parallel()
	s := loadSchemas(t)
	objs, from := realObjects(t)
	if len(objs) < 2148 {
		t.Fatalf("read only %d real objects", len(objs))
	}
	for i, o := range objs {
		if err := s.validate(t, o); err != nil {
			t.Errorf("%s %s: schema rejects: %v", from[i], o.ID(), err)
		}
		if err := stix.Validate(o); err != nil {
			t.Errorf("%s: Validate rejects: %v", from[i], err)
		}
	}
}

type brokenCase struct {
	line   int
	path   string // the property Validate must name
	reason string
	json   string
}

func readBroken(t *testing.T) []brokenCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "invalid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []brokenCase
	var pending *brokenCase
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "# ") && strings.Contains(line, " | "):
			path, reason, _ := strings.Cut(strings.TrimPrefix(line, "# "), " | ")
			pending = &brokenCase{line: i + 1, path: strings.TrimSpace(path), reason: reason}
		case strings.HasPrefix(line, "{"):
			if pending == nil {
				t.Fatalf("invalid.txt:%d: object without a reason line", i+1)
			}
			pending.json = line
			cases = append(cases, *pending)
			pending = nil
		}
	}
	return cases
}

// TestValidateAgreesOnBrokenObjects checks that every deliberately broken object is rejected
// both by Validate, naming the broken property, and by the official schema of its type.
func TestValidateAgreesOnBrokenObjects(t *testing.T) {
	s := loadSchemas(t)
	cases := readBroken(t)
	if len(cases) < 40 {
		t.Fatalf("only %d broken objects", len(cases))
	}
	for _, c := range cases {
		o, err := stix.Parse([]byte(c.json))
		if err != nil {
			t.Errorf("invalid.txt:%d (%s): Parse: %v", c.line, c.reason, err)
			continue
		}
		if s.validate(t, o) == nil {
			t.Errorf("invalid.txt:%d (%s): the schema accepts it", c.line, c.reason)
		}
		err = stix.Validate(o)
		var ve *stix.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("invalid.txt:%d (%s): Validate = %v, want a *ValidationError", c.line, c.reason, err)
			continue
		}
		found := false
		for _, p := range ve.Problems {
			found = found || p.Path == c.path
		}
		if !found {
			t.Errorf("invalid.txt:%d (%s): no problem at %q in %v", c.line, c.reason, c.path, err)
		}
	}
}

// TestValidateDiffersFromSchema records, and so keeps honest, every known disagreement
// between Validate and the official schemas: the upstream defects named in the schemas'
// UPSTREAM note, and the places where Validate applies a rule of the specification that the
// schemas do not express. A few rows pin agreements that are easy to break: custom types.
func TestValidateDiffersFromSchema(t *testing.T) {
	s := loadSchemas(t)
	const ind = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"`
	tests := []struct {
		why          string
		json         string
		schemaAccept bool // what the schema says
		ourAccept    bool // what Validate says
	}{
		{"UPSTREAM defect: the ipv6-addr pattern lost its backslashes, so an IPv4-mapped address fails it",
			`{"type":"ipv6-addr","spec_version":"2.1","id":"ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1","value":"::ffff:192.0.2.128"}`, false, true},
		{"spec: STIX 2.1 objects have spec_version 2.1; the schemas also allow 2.0",
			strings.Replace(ind, `"2.1"`, `"2.0"`, 1) + `}`, true, false},
		{"spec: modified must not precede created, which a schema cannot express",
			strings.Replace(ind, `"modified":"2016-04-06T20:03:48.000Z"`, `"modified":"2015-04-06T20:03:48.000Z"`, 1) + `}`, true, false},
		{"spec: created_by_ref refers to an identity; the schemas accept any identifier",
			ind + `,"created_by_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}`, true, false},
		{"spec: property names hold only a-z, 0-9 and _; the schemas' name pattern is unanchored",
			ind + `,"abc-def":"x"}`, true, false},
		{"spec: a sighting is of a domain object; the schemas accept an observable",
			`{"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8428623c75","created":"2016-04-06T20:08:31.000Z","modified":"2016-04-06T20:08:31.000Z","sighting_of_ref":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}`, true, false},
		{"agreement: a custom type without the x- prefix that has created needs modified, like any SDO",
			`{"type":"case-incident","spec_version":"2.1","id":"case-incident--3b2c1a4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d","created":"2016-04-06T20:03:48.000Z","name":"c"}`, false, false},
		{"agreement: a custom type without created is an observable and needs no spec_version",
			`{"type":"acme-sensor","id":"acme-sensor--3b2c1a4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d","x_serial":"a1"}`, true, true},
		{"spec: created has millisecond precision; the marking-definition schema does not say so",
			`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--a7c8d3c1-f1a8-4c6b-9a1a-8cd3b6b7b3c1","created":"2016-08-01T00:00:00Z","definition_type":"statement","definition":{"statement":"Copyright 2016"}}`, true, false},
	}
	for _, tt := range tests {
		o, err := stix.Parse([]byte(tt.json))
		if err != nil {
			t.Fatalf("%s: %v", tt.why, err)
		}
		if got := s.validate(t, o) == nil; got != tt.schemaAccept {
			t.Errorf("%s: schema accepts = %v, want %v (has upstream changed?)", tt.why, got, tt.schemaAccept)
		}
		if err := stix.Validate(o); (err == nil) != tt.ourAccept {
			t.Errorf("%s: Validate = %v, want accept = %v", tt.why, err, tt.ourAccept)
		}
	}
}

// TestBundleSchemaOmitsTypes records the UPSTREAM defect of common/bundle.json: it lists the
// object types it accepts and leaves out grouping, location, note and others, so a bundle of
// valid objects fails it. The differential tests therefore validate each object against its
// own type schema.
func TestBundleSchemaOmitsTypes(t *testing.T) {
	s := loadSchemas(t)
	g := stix.MustParse(`{"type":"grouping","spec_version":"2.1","id":"grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb4","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","context":"suspicious-activity","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}`)
	if err := stix.Validate(g); err != nil {
		t.Fatal(err)
	}
	if err := s.validate(t, g); err != nil {
		t.Fatalf("grouping schema: %v", err)
	}
	bundle := stix.MarshalBundle("bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", []*stix.Object{g})
	sch, err := s.c.Compile(s.base + "common/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	if sch.Validate(inst) == nil {
		t.Error("bundle.json accepts a bundle holding a grouping: the upstream defect is fixed, so the differential tests could validate bundles as a whole")
	}
}
