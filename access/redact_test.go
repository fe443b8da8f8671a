package access

import (
	"encoding/json"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/google/go-cmp/cmp"
)

// decode returns the object's JSON as a generic value, to compare objects regardless of
// member order and spacing.
func decode(t *testing.T, o *stix.Object) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(o.Raw(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRedact(t *testing.T) {
	v := mustVisibility(t, nil)
	reader := &Principal{UserID: "u"}
	manager := &Principal{Capabilities: []Capability{CapManageOrganizationSharing}}
	ext := `"` + OpenCTIExtension + `"`
	tests := []struct {
		rule string
		in   string
		want string // "" means: returned unchanged (the same *Object)
	}{
		{"an object without grants is returned as is", `{"type":"indicator","id":"indicator--1"}`, ""},
		{"the words granted_refs in a value change nothing",
			`{"type":"indicator","id":"indicator--1","description":"granted_refs"}`, ""},
		{"granted_refs is removed from the extension, other members kept",
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{"extension_type":"property-extension","granted_refs":["identity--a"],"score":50}},"name":"x"}`,
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{"extension_type":"property-extension","score":50}},"name":"x"}`},
		{"granted_refs as the last member takes the comma before it",
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{"extension_type":"property-extension" , "granted_refs" : [ "identity--a" ] }}}`,
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{"extension_type":"property-extension"  }}}`},
		{"granted_refs as the only member leaves an empty extension",
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{"granted_refs":["identity--a"]}}}`,
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{}}}`},
		{"top-level x_opencti_granted_refs is removed",
			`{"x_opencti_granted_refs":["identity--a"],"type":"indicator","id":"indicator--1"}`,
			`{"type":"indicator","id":"indicator--1"}`},
		{"both are removed",
			`{"type":"indicator","id":"indicator--1","x_opencti_granted_refs":["identity--b"],"extensions":{` + ext + `:{"granted_refs":["identity--a"],"k":1}}}`,
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{"k":1}}}`},
		{"a malformed grant (string) is removed too",
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{"granted_refs":"identity--a"}}}`,
			`{"type":"indicator","id":"indicator--1","extensions":{` + ext + `:{}}}`},
		{"an empty grant list is removed",
			`{"type":"indicator","id":"indicator--1","x_opencti_granted_refs":[]}`,
			`{"type":"indicator","id":"indicator--1"}`},
		{"an escaped property name is removed",
			`{"type":"indicator","id":"indicator--1","x_opencti_granted\u005frefs":["identity--a"]}`,
			`{"type":"indicator","id":"indicator--1"}`},
		{"an escaped extension name is found",
			`{"type":"indicator","id":"indicator--1","extensions":{"extension\u002ddefinition--ea279b3e-5c71-4632-ac08-831c66a786ba":{"granted_refs":["identity--a"]}}}`,
			`{"type":"indicator","id":"indicator--1","extensions":{"extension\u002ddefinition--ea279b3e-5c71-4632-ac08-831c66a786ba":{}}}`},
		{"granted_refs of another extension is kept",
			`{"type":"indicator","id":"indicator--1","extensions":{"extension-definition--00000000-0000-4000-8000-000000000000":{"granted_refs":["identity--a"]}}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			in := stix.MustParse(tt.in)
			if got := v.Redact(manager, in); got != in {
				t.Errorf("Redact for a manager of organization sharing changed the object: %s", got)
			}
			got := v.Redact(reader, in)
			if tt.want == "" {
				if got != in {
					t.Errorf("Redact returned a new object %s, want the same", got)
				}
				return
			}
			if got == nil {
				t.Fatal("Redact returned nil")
			}
			if diff := cmp.Diff(decode(t, stix.MustParse(tt.want)), decode(t, got)); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
			if string(got.Raw()) != tt.want {
				t.Errorf("Redact changed bytes it should keep:\n got %s\nwant %s", got.Raw(), tt.want)
			}
		})
	}
}

func TestRedactNil(t *testing.T) {
	v := mustVisibility(t, nil)
	if v.Redact(&Principal{}, nil) != nil {
		t.Error("Redact(nil object) != nil")
	}
	in := stix.MustParse(`{"type":"indicator","id":"indicator--1","x_opencti_granted_refs":["identity--a"]}`)
	if got := v.Redact(nil, in); got == nil || got.Has("x_opencti_granted_refs") {
		t.Errorf("Redact for a nil principal kept the grants: %v", got)
	}
}

func TestMayEscapeName(t *testing.T) {
	for s, want := range map[string]bool{
		`{"a":"plain"}`:                       false,
		`{"a":"caf\u00e9","b":1}`:             false,
		`{"a":["\u00e9"],"b":{"c":"\u00e9"}}`: false,
		`{"\u0061":1}`:                        true,
		`{"a\u0062" :1}`:                      true,
		`{"a":"x\u00e9\"y"}`:                  true, // an escaped quote: conservative
		`{"a":"\u00e9`:                        true, // unterminated: conservative
	} {
		if got := mayEscapeName(s); got != want {
			t.Errorf("mayEscapeName(%s) = %v, want %v", s, got, want)
		}
	}
}
