package stix_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/tidwall/gjson"
)

const indicatorJSON = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.123Z","created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","labels":["malicious-activity"],"confidence":80,"revoked":false,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","x_acme_score":7}`

func TestParseAccessors(t *testing.T) {
	o, err := stix.Parse([]byte(indicatorJSON))
	if err != nil {
		t.Fatal(err)
	}
	if o.ID() != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" || o.Type() != "indicator" || o.SpecVersion() != "2.1" {
		t.Errorf("id/type/spec = %s %s %s", o.ID(), o.Type(), o.SpecVersion())
	}
	if o.ModifiedRaw() != "2016-04-06T20:03:48.123Z" || o.Version() != o.Modified() || o.Modified().Nanosecond() != 123e6 {
		t.Errorf("modified = %q, version %v", o.ModifiedRaw(), o.Version())
	}
	if o.CreatedByRef() != "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff" {
		t.Errorf("created_by_ref = %s", o.CreatedByRef())
	}
	if c, ok := o.Confidence(); c != 80 || !ok {
		t.Errorf("confidence = %d, %v", c, ok)
	}
	if len(o.Labels()) != 1 || o.Labels()[0] != "malicious-activity" || len(o.ObjectMarkingRefs()) != 1 {
		t.Errorf("labels %v markings %v", o.Labels(), o.ObjectMarkingRefs())
	}
	if o.Get("x_acme_score").Int() != 7 || !o.Has("x_acme_score") || o.Has("x_other") {
		t.Error("custom property not readable by path")
	}
	if o.Category() != stix.CategorySDO || string(o.Raw()) != indicatorJSON {
		t.Error("category or raw bytes wrong")
	}
	if err := stix.Validate(o); err != nil {
		t.Error(err)
	}
}

func TestParseCopiesInput(t *testing.T) {
	buf := []byte(indicatorJSON)
	o, err := stix.Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = ' '
	}
	if string(o.Raw()) != indicatorJSON || o.ID().Type() != "indicator" {
		t.Error("object changed when the caller reused its buffer")
	}
}

func TestParseRejects(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64)
	many := `{"type":"x-a","id":"x-a--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`
	for i := range 40 {
		many += `,"p` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":1`
	}
	tests := []struct {
		rule string
		json string
	}{
		{"input must be JSON", `{"type":`},
		{"input must be a JSON object", `["indicator"]`},
		{"type is required", `{"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`},
		{"type must be a string", `{"type":1,"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`},
		{"id is required", `{"type":"indicator"}`},
		{"a top-level property may not appear twice", `{"type":"indicator","id":"a--b","type":"malware"}`},
		{"a nested property may not appear twice", `{"type":"x-a","id":"x-a--b","x_b":[{"k":1,"k":2}]}`},
		{"duplicates are found among many properties too", many + `,"pbb":2}`},
		{"nesting is bounded", `{"type":"x-a","id":"x-a--b","x":` + deep + `}`},
		{"trailing garbage is not JSON", `{"type":"x-a","id":"x-a--b"} x`},
	}
	for _, tt := range tests {
		_, err := stix.Parse([]byte(tt.json))
		var se *stix.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: Parse = %v, want a *SyntaxError", tt.rule, err)
		}
	}
	ok := `{"type":"x-a","id":"x-a--b","x":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`
	if _, err := stix.Parse([]byte(ok)); err != nil {
		t.Errorf("64 levels of nesting are allowed: %v", err)
	}
	if _, err := stix.Parse([]byte(many + "}")); err != nil {
		t.Errorf("many distinct properties: %v", err)
	}
}

func TestIDs(t *testing.T) {
	tests := []struct {
		rule string
		id   string
		ok   bool
	}{
		{"type and v4 UUID", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", true},
		{"v5 UUIDs of observables", "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7", true},
		{"upper-case hex is allowed", "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F", true},
		{"the separator is two hyphens", "indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", false},
		{"version nibble 1 to 5", "indicator--8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f", false},
		{"RFC 4122 variant", "indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f", false},
		{"hyphens in place", "indicator--8e2e2d2b17d4-4cbf-938f-98ee46b3cd3f-", false},
		{"type is lower case", "Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", false},
		{"type at least 3 characters", "ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", false},
		{"no empty UUID", "indicator--", false},
	}
	for _, tt := range tests {
		id, err := stix.ParseID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("%s: ParseID(%q) error = %v, want ok %v", tt.rule, tt.id, err, tt.ok)
		}
		if tt.ok && (id.Type()+"--"+id.UUID() != tt.id) {
			t.Errorf("%s: Type/UUID split %q as %q and %q", tt.rule, tt.id, id.Type(), id.UUID())
		}
	}
	n := stix.NewID("malware")
	if n.Type() != "malware" || n.Validate() != nil || n == stix.NewID("malware") {
		t.Errorf("NewID gave %s", n)
	}
	if stix.ID("nodashes").Type() != "" || stix.ID("nodashes").UUID() != "" {
		t.Error("an id without -- has no type or UUID part")
	}
}

func TestTLPMarkingsAreValid(t *testing.T) {
	ms := stix.TLPMarkings()
	if len(ms) != 9 {
		t.Fatalf("%d TLP markings, want 9", len(ms))
	}
	for _, m := range ms {
		if err := stix.Validate(m); err != nil {
			t.Error(err)
		}
		if got, ok := stix.TLPMarking(m.ID()); !ok || got != m {
			t.Errorf("TLPMarking(%s) not found", m.ID())
		}
	}
	for _, id := range []stix.ID{stix.TLPWhite, stix.TLPGreen, stix.TLPAmber, stix.TLPRed, stix.TLP2Clear,
		stix.TLP2Green, stix.TLP2Amber, stix.TLP2AmberStrict, stix.TLP2Red} {
		if _, ok := stix.TLPMarking(id); !ok {
			t.Errorf("no marking for %s", id)
		}
	}
	if _, ok := stix.TLPMarking(stix.NewID("marking-definition")); ok {
		t.Error("found a TLP marking for a random id")
	}
}

func TestValidationErrorNamesEveryProblem(t *testing.T) {
	o := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"],"pattern":"[x]","pattern_type":"stix"}`)
	err := stix.Validate(o)
	var ve *stix.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	want := []stix.Problem{
		{Path: "object_marking_refs[1]", Message: "must refer to marking-definition, not identity"},
		{Path: "valid_from", Message: "required"},
	}
	if len(ve.Problems) != len(want) {
		t.Fatalf("problems = %v, want %v", ve.Problems, want)
	}
	for i := range want {
		if ve.Problems[i] != want[i] {
			t.Errorf("problem %d = %v, want %v", i, ve.Problems[i], want[i])
		}
	}
	if !strings.Contains(err.Error(), "object_marking_refs[1]: must refer") || !strings.Contains(err.Error(), "; valid_from: required") {
		t.Errorf("Error() = %q", err)
	}
}

// Extensions is recorded while parsing; it must be exactly what a lookup of the member
// finds, wherever the member stands and however it is spaced.
func TestExtensionsKeptAtParse(t *testing.T) {
	const ext = `{"extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba":{"extension_type":"property-extension","score":70}}`
	head := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"`
	inputs := []string{
		head + `,"extensions":` + ext + `}`,
		`{"extensions" : ` + ext + ` ,` + head[1:] + `}`,
		head + `,"x_nested":{"extensions":{"not":"this one"}},"extensions":` + ext + `}`,
		head + `,"extensions":"not an object"}`,
		head + `}`,
	}
	for _, m := range stix.TLPMarkings() {
		inputs = append(inputs, string(m.Raw()))
	}
	for _, in := range inputs {
		o, err := stix.Parse([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got, want := o.Extensions(), gjson.Get(in, "extensions")
		if !want.IsObject() {
			want = gjson.Result{} // only a dictionary counts
		}
		if got.Raw != want.Raw || got.Index != want.Index || got.Type != want.Type {
			t.Errorf("%s:\nExtensions() = %q at %d, want %q at %d", in, got.Raw, got.Index, want.Raw, want.Index)
		}
	}
}
