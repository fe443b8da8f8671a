package server

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeListsEveryField: the README's configuration reference names every field of
// Config, so that a new field cannot go undocumented there.
func TestReadmeListsEveryField(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "### Configuration reference")
	if i < 0 {
		t.Fatal("README has no configuration reference")
	}
	ref := string(b[i:])
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[Definition]() {
			return
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			// The tag as a name in the table: `tag`, `a.tag`, `tag.b`, `tag[]`, `.tag`.
			if !regexp.MustCompile("[`.]" + regexp.QuoteMeta(tag) + "[`.\\[]").MatchString(ref) {
				t.Errorf("README's configuration reference lacks %s%s", prefix, tag)
			}
			walk(prefix+tag+".", f.Type)
		}
	}
	walk("", reflect.TypeFor[Config]())
}
