package stix

import (
	"encoding/json"
	"fmt"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Object is one parsed STIX object: its original JSON bytes plus the common properties read
// once at parse time. It is immutable; see the package documentation.
type Object struct {
	raw  []byte
	str  string // raw viewed as a string without copying (raw is never modified)
	id   ID
	typ  string
	spec string

	created, modified       time.Time
	createdRaw, modifiedRaw string

	createdBy  ID
	markings   []ID
	labels     []string
	revoked    bool
	confidence int
	hasConf    bool
	hasExt     bool
	ext        string // the extensions object's JSON, a slice of str (no copy)
	extIdx     int    // its offset in str
	refs       []Ref
}

// SyntaxError reports input that is not a STIX object at all: malformed JSON, not a JSON
// object, a duplicated property, or a missing or non-string `type` or `id`.
type SyntaxError struct {
	Msg string
}

func (e *SyntaxError) Error() string { return "stix: " + e.Msg }

// Parse parses one STIX object from its JSON. It copies data, so the caller may reuse it.
// Parse checks structure only (see [SyntaxError]); [Validate] checks the STIX rules.
func Parse(data []byte) (*Object, error) {
	raw := make([]byte, len(data))
	copy(raw, data)
	return parseOwned(raw)
}

// parseOwned parses raw, which the Object takes ownership of.
func parseOwned(raw []byte) (*Object, error) {
	o := &Object{raw: raw}
	if len(raw) > 0 {
		o.str = unsafe.String(&raw[0], len(raw))
	}
	if err := scan(o); err != nil {
		return nil, err
	}
	if o.typ == "" {
		return nil, &SyntaxError{Msg: `property "type" is missing or not a non-empty string`}
	}
	if o.id == "" {
		return nil, &SyntaxError{Msg: `property "id" is missing or not a non-empty string`}
	}
	return o, nil
}

// MustParse is Parse for data known to be valid, such as literals in tests and examples;
// it panics on error.
func MustParse(data string) *Object {
	o, err := Parse([]byte(data))
	if err != nil {
		panic(err)
	}
	return o
}

// readCommon records a top-level property the accessors serve without re-parsing.
func (o *Object) readCommon(key string, v gjson.Result) error {
	wantString := func() (string, error) {
		if v.Type != gjson.String {
			return "", &SyntaxError{Msg: fmt.Sprintf("property %q must be a string", key)}
		}
		return v.Str, nil
	}
	var err error
	switch key {
	case "type":
		o.typ, err = wantString()
	case "id":
		var s string
		s, err = wantString()
		o.id = ID(s)
	case "spec_version":
		o.spec = v.String()
	case "created":
		o.createdRaw = v.String()
		o.created, _ = ParseTime(o.createdRaw)
	case "modified":
		o.modifiedRaw = v.String()
		o.modified, _ = ParseTime(o.modifiedRaw)
	case "created_by_ref":
		o.createdBy = ID(v.String())
	case "object_marking_refs":
		o.markings = make([]ID, 0, 2)
		v.ForEach(func(_, m gjson.Result) bool {
			o.markings = append(o.markings, ID(m.String()))
			return true
		})
	case "labels":
		o.labels = make([]string, 0, 4)
		v.ForEach(func(_, l gjson.Result) bool {
			o.labels = append(o.labels, l.String())
			return true
		})
	case "revoked":
		o.revoked = v.Type == gjson.True
	case "confidence":
		if v.Type == gjson.Number {
			o.confidence, o.hasConf = int(v.Int()), true
		}
	case "extensions":
		if o.hasExt = v.IsObject(); o.hasExt {
			o.ext = v.Raw
		}
	}
	return err
}

// Raw returns the object's JSON exactly as it was parsed. The caller must not modify it.
func (o *Object) Raw() []byte { return o.raw }

// MarshalJSON returns the object's original JSON, so an Object embedded in other JSON is
// written byte for byte as it arrived.
func (o *Object) MarshalJSON() ([]byte, error) { return o.raw, nil }

// UnmarshalJSON parses data into o; it exists so that an Object can sit inside structures
// decoded with encoding/json. It must not be called on an Object that is in use.
func (o *Object) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*o = *p
	if len(o.raw) > 0 { // keep str pointing at this object's own bytes
		o.str = unsafe.String(&o.raw[0], len(o.raw))
	}
	return nil
}

var _ json.Marshaler = (*Object)(nil)

// ID returns the object's `id`.
func (o *Object) ID() ID { return o.id }

// Type returns the object's `type`.
func (o *Object) Type() string { return o.typ }

// SpecVersion returns `spec_version` ("" when absent, as on some SCOs of older producers).
func (o *Object) SpecVersion() string { return o.spec }

// Created returns `created`, or the zero time when absent or malformed.
func (o *Object) Created() time.Time { return o.created }

// Modified returns `modified`, or the zero time when absent or malformed.
func (o *Object) Modified() time.Time { return o.modified }

// CreatedRaw and ModifiedRaw return the timestamps exactly as written ("" when absent).
func (o *Object) CreatedRaw() string { return o.createdRaw }

// ModifiedRaw returns `modified` exactly as written ("" when absent).
func (o *Object) ModifiedRaw() string { return o.modifiedRaw }

// Version returns what identifies this version of the object together with its id:
// `modified`, else `created`, else the zero time (SCOs and other unversioned objects).
func (o *Object) Version() time.Time {
	if !o.modified.IsZero() {
		return o.modified
	}
	return o.created
}

// CreatedByRef returns `created_by_ref` ("" when absent).
func (o *Object) CreatedByRef() ID { return o.createdBy }

// ObjectMarkingRefs returns `object_marking_refs`. The caller must not modify the slice.
func (o *Object) ObjectMarkingRefs() []ID { return o.markings }

// Labels returns `labels`. The caller must not modify the slice.
func (o *Object) Labels() []string { return o.labels }

// Revoked reports `revoked` (false when absent).
func (o *Object) Revoked() bool { return o.revoked }

// Confidence returns `confidence` and whether it is present.
func (o *Object) Confidence() (int, bool) { return o.confidence, o.hasConf }

// Extensions returns the `extensions` dictionary (a non-existent result when absent).
func (o *Object) Extensions() gjson.Result {
	if !o.hasExt {
		return gjson.Result{}
	}
	// Kept at parse time: finding it again would walk every member before it.
	return gjson.Result{Type: gjson.JSON, Raw: o.ext, Index: o.extIdx}
}

// Extension returns the named extension's content, e.g. an extension-definition id or a
// predefined name such as "archive-ext" (a non-existent result when absent).
func (o *Object) Extension(name string) gjson.Result {
	if !o.hasExt {
		return gjson.Result{}
	}
	return o.Extensions().Get(gjson.Escape(name))
}

// Get returns the value at a gjson path, e.g. "hashes.SHA-256" or "kill_chain_phases.#.phase_name".
// Path characters that gjson treats specially must be escaped (see gjson.Escape).
func (o *Object) Get(path string) gjson.Result { return gjson.Get(o.str, path) }

// Has reports whether the object has the top-level property.
func (o *Object) Has(property string) bool {
	return gjson.Get(o.str, gjson.Escape(property)).Exists()
}

// String returns the object's JSON.
func (o *Object) String() string { return o.str }

// Category returns what kind of STIX object this is; see [CategoryOf]. A custom type (x-…)
// counts as a domain object when it has `created`, as an observable otherwise.
func (o *Object) Category() Category {
	c := CategoryOf(o.typ)
	if c == CategoryCustom {
		if o.createdRaw != "" {
			return CategorySDO
		}
		return CategorySCO
	}
	return c
}
