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
