package stix

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Problem is one way in which an object breaks a STIX 2.1 rule.
type Problem struct {
	// Path locates the offending property, e.g. "object_marking_refs[1]" or
	// "external_references[0].source_name"; "" for the object as a whole.
	Path string
	// Message says what is wrong.
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationError lists every problem Validate found in one object.
type ValidationError struct {
	ID       ID // the object's id as written
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("stix: invalid ")
	b.WriteString(string(e.ID))
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks o against the STIX 2.1 rules that the official JSON schemas express:
// the common properties (type name, spec_version, id format and agreement with type,
// timestamps in UTC with millisecond precision for created and modified, modified not before
// created, reference types, labels, external references, granular markings, confidence,
// extensions), the required properties and the shapes of the known properties of every STIX
// 2.1 type, the ends of relationships and sightings, and the names and values of custom
// properties. It returns nil or a *[ValidationError] listing every problem found.
//
// Objects of a type that is not defined by STIX 2.1 are custom objects: with `created` they
// are checked as custom domain objects, without as custom observables.
//
// Validate is stricter than the schemas in a few places the specification is clear about:
// spec_version must be "2.1" (the schemas also allow "2.0"), created and modified need
// millisecond precision on every type, a sighting_of_ref must not name an observable, and
// modified must not precede created.
func Validate(o *Object) error {
	v := validator{o: o}
	root := indexMembers(o.str)
	v.common(root)
	v.typed(root)
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{ID: o.id, Problems: v.problems}
}

type validator struct {
	o        *Object
	problems []Problem
}

func (v *validator) add(path, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	v.problems = append(v.problems, Problem{Path: path, Message: msg})
}

// reservedNames may not be used as top-level properties: STIX 2.1 reserves them.
var reservedNames = [...]string{"severity", "action", "username", "phone_numbers"}

func (v *validator) common(root *members) {
	o := v.o
	cat := o.Category()
	if cat == CategoryUnknown { // a custom type without the x- prefix, as STIX 2.1 allows
		cat = CategorySCO
		if o.createdRaw != "" {
			cat = CategorySDO
		}
	}
	if err := checkTypeName(o.typ); err != nil {
		v.add("type", "%v", err)
	}
	switch spec := root.Get("spec_version"); {
	case !spec.Exists():
		if cat != CategorySCO {
			v.add("spec_version", "required")
		}
	case spec.Type != gjson.String || spec.Str != "2.1":
		v.add("spec_version", `must be "2.1"`)
	}
	if err := o.id.Validate(); err != nil {
		v.add("id", "%v", err)
	} else if o.id.Type() != o.typ {
		v.add("id", "type part %q differs from the object's type %q", o.id.Type(), o.typ)
	}

	versioned := cat == CategorySDO || cat == CategorySRO ||
		o.typ == "language-content" || o.typ == "extension-definition"
	if versioned || o.typ == "marking-definition" {
		if !root.Get("created").Exists() {
			v.add("created", "required")
		}
	}
	if versioned && !root.Get("modified").Exists() {
		v.add("modified", "required")
	}
	created := v.millisTime(root, "created")
	modified := v.millisTime(root, "modified")
	if created && modified && o.modified.Before(o.created) {
		v.add("modified", "%s is before created %s", o.modifiedRaw, o.createdRaw)
	}

	for i, name := range root.keys {
		val := root.vals[i]
		v.propertyValue(name, name, val)
		if name != "id" && !isPropertyName(name) {
			v.add(name, "property names must be 3 to 250 characters of a-z, 0-9 and _")
		}
		for _, r := range reservedNames {
			if name == r {
				v.add(name, "reserved property name")
			}
		}
	}

	v.idProp(root, "created_by_ref", "identity")
	v.idList(root, "object_marking_refs", "marking-definition")
	v.strings(root, "labels")
	v.kind(root, "lang", kString)
	v.kind(root, "revoked", kBool)
	v.kind(root, "defanged", kBool)
	if c := root.Get("confidence"); c.Exists() {
		if !isInteger(c) || c.Int() < 0 || c.Int() > 100 {
			v.add("confidence", "must be an integer from 0 to 100")
		}
	}
	v.externalRefs(root.Get("external_references"))
	v.granularMarkings(root.Get("granular_markings"))
	v.extensions(root.Get("extensions"))
}

// millisTime checks a created or modified timestamp and reports whether it is well-formed.
func (v *validator) millisTime(root getter, name string) bool {
	t := root.Get(name)
	if !t.Exists() {
		return false
	}
	if !v.timestamp(name, t) {
		return false
	}
	if fractionDigits(t.Str) < 3 {
		v.add(name, "must be precise to the millisecond (e.g. 2024-05-01T10:00:00.000Z)")
		return false
	}
	return true
}

// timestamp checks an RFC 3339 UTC timestamp as the schemas' pattern describes it.
func (v *validator) timestamp(path string, t gjson.Result) bool {
	if t.Type != gjson.String || !isTimestamp(t.Str) {
		v.add(path, "must be an RFC 3339 timestamp in UTC ending in Z")
		return false
	}
	return true
}

// isTimestamp matches YYYY-MM-DDTHH:MM:SS[.fraction]Z with the ranges the schemas allow
// (a leap second 60 included).
func isTimestamp(s string) bool {
	if len(s) < 20 || s[len(s)-1] != 'Z' {
		return false
	}
	num := func(i, n int) (int, bool) {
		x := 0
		for j := i; j < i+n; j++ {
			if s[j] < '0' || s[j] > '9' {
				return 0, false
			}
			x = x*10 + int(s[j]-'0')
		}
		return x, true
	}
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return false
	}
	_, ok0 := num(0, 4)
	mo, ok1 := num(5, 2)
	d, ok2 := num(8, 2)
	h, ok3 := num(11, 2)
	mi, ok4 := num(14, 2)
	se, ok5 := num(17, 2)
	if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5) ||
		mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 {
		return false
	}
	rest := s[19 : len(s)-1]
	if rest == "" {
		return true
	}
	if rest[0] != '.' || len(rest) < 2 {
		return false
	}
	_, ok := num(20, len(rest)-1)
	return ok
}

// isPropertyName applies the STIX rule for property names: 3 to 250 characters of
// lower-case ASCII letters, digits and underscores.
func isPropertyName(s string) bool {
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// propertyValue applies the rules that hold for every property value: no null, no empty
// list, and the encodings that the _bin and _hex suffixes promise.
func (v *validator) propertyValue(path, name string, val gjson.Result) {
	switch {
	case val.Type == gjson.Null:
		v.add(path, "must not be null")
	case val.IsArray() && isEmptyArray(val):
		v.add(path, "must not be an empty list")
	case strings.HasSuffix(name, "_bin"):
		if val.Type != gjson.String || !isBase64(val.Str) {
			v.add(path, "must be base64")
		}
	case strings.HasSuffix(name, "_hex"):
		if val.Type != gjson.String || !isHexString(val.Str) {
			v.add(path, "must be an even number of hex digits")
		}
	}
}

func isEmptyArray(val gjson.Result) bool {
	empty := true
	val.ForEach(func(_, _ gjson.Result) bool { empty = false; return false })
	return empty
}

func isBase64(s string) bool {
	if len(s) == 0 || len(s)%4 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
		if c == '=' {
			ok = i >= len(s)-2 && (i == len(s)-1 || s[len(s)-1] == '=')
		}
		if !ok {
			return false
		}
	}
	return s != "====" && !strings.HasSuffix(s, "===")
}

func isHexString(s string) bool {
	if len(s) == 0 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isInteger(v gjson.Result) bool {
	if v.Type != gjson.Number {
		return false
	}
	return !strings.ContainsAny(v.Raw, ".eE") || v.Num == float64(int64(v.Num))
}

// idProp checks a reference property; types, when given, lists the allowed target types.
func (v *validator) idProp(root getter, name string, types ...string) {
	if val := root.Get(name); val.Exists() {
		v.checkID(name, val, types)
	}
}

func (v *validator) checkID(path string, val gjson.Result, types []string) {
	if val.Type != gjson.String {
		v.add(path, "must be an identifier string")
		return
	}
	id := ID(val.Str)
	if err := id.Validate(); err != nil {
		v.add(path, "%v", err)
		return
	}
	if len(types) > 0 && !hasType(types, id.Type()) {
		v.add(path, "must refer to %s, not %s", strings.Join(types, " or "), id.Type())
	}
}

func hasType(types []string, t string) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// idList checks a non-empty list of identifiers of the given types (any type when none).
func (v *validator) idList(root getter, name string, types ...string) {
	v.list(root, name, func(path string, e gjson.Result) { v.checkID(path, e, types) })
}

// refNot checks a reference that must not be of any of the excluded types.
func (v *validator) refNot(path string, val gjson.Result, excluded ...string) {
	v.checkID(path, val, nil)
	if t := ID(val.Str).Type(); val.Type == gjson.String && hasType(excluded, t) {
		v.add(path, "must not refer to a %s", t)
	}
}

// list checks that name, when present, is a non-empty list and calls each for its elements.
func (v *validator) list(root getter, name string, each func(path string, e gjson.Result)) {
	val := root.Get(name)
	if !val.Exists() {
		return
	}
	if !val.IsArray() {
		v.add(name, "must be a list")
		return
	}
	i := 0
	val.ForEach(func(_, e gjson.Result) bool {
		each(name+"["+strconv.Itoa(i)+"]", e)
		i++
		return true
	})
}

func (v *validator) strings(root getter, name string) {
	v.list(root, name, func(path string, e gjson.Result) {
		if e.Type != gjson.String {
			v.add(path, "must be a string")
		}
	})
}

type kind int

const (
	kString kind = iota
	kBool
	kInt
	kNumber
	kTime
)

func (v *validator) kind(root getter, name string, k kind) {
	val := root.Get(name)
	if !val.Exists() {
		return
	}
	v.kindOf(name, val, k)
}

func (v *validator) kindOf(path string, val gjson.Result, k kind) {
	switch k {
	case kString:
		if val.Type != gjson.String {
			v.add(path, "must be a string")
		}
	case kBool:
		if val.Type != gjson.True && val.Type != gjson.False {
			v.add(path, "must be true or false")
		}
	case kInt:
		if !isInteger(val) {
			v.add(path, "must be an integer")
		}
	case kNumber:
		if val.Type != gjson.Number {
			v.add(path, "must be a number")
		}
	case kTime:
		v.timestamp(path, val)
	}
}

// intRange checks an optional integer property against inclusive bounds.
func (v *validator) intRange(root getter, name string, lo, hi int64) {
	val := root.Get(name)
	if !val.Exists() {
		return
	}
	if !isInteger(val) || val.Int() < lo || val.Int() > hi {
		v.add(name, "must be an integer from %d to %d", lo, hi)
	}
}

func (v *validator) externalRefs(val gjson.Result) {
	if !val.Exists() {
		return
	}
	if !val.IsArray() {
		v.add("external_references", "must be a list")
		return
	}
	i := 0
	val.ForEach(func(_, e gjson.Result) bool {
		path := "external_references[" + strconv.Itoa(i) + "]"
		i++
		if !e.IsObject() {
			v.add(path, "must be an object")
			return true
		}
		src, ext := e.Get("source_name"), e.Get("external_id")
		if src.Type != gjson.String {
			v.add(path+".source_name", "required string")
		}
		if ext.Exists() && ext.Type != gjson.String {
			v.add(path+".external_id", "must be a string")
		}
		switch {
		case src.Str == "cve" && !isCVE(ext.Str):
			v.add(path+".external_id", "a cve reference needs an id like CVE-2024-1234")
		case src.Str == "capec" && !isCAPEC(ext.Str):
			v.add(path+".external_id", "a capec reference needs an id like CAPEC-163")
		case src.Str != "cve" && src.Str != "capec":
			if isCVE(ext.Str) || isCAPEC(ext.Str) {
				v.add(path+".external_id", "a CVE or CAPEC id needs source_name cve or capec")
			}
			if !ext.Exists() && !e.Get("description").Exists() && !e.Get("url").Exists() {
				v.add(path, "needs at least one of external_id, description and url")
			}
		}
		v.kind(e, "description", kString)
		v.kind(e, "url", kString)
		if h := e.Get("hashes"); h.Exists() {
			v.hashes(path+".hashes", h)
		}
		return true
	})
}

func isCVE(s string) bool {
	rest, ok := strings.CutPrefix(s, "CVE-")
	if !ok || len(rest) < 9 || rest[4] != '-' || !allDigits(rest[:4]) || !allDigits(rest[5:]) {
		return false
	}
	seq := rest[5:]
	return seq[0] == '0' && len(seq) == 4 || seq[0] != '0'
}

func isCAPEC(s string) bool {
	rest, ok := strings.CutPrefix(s, "CAPEC-")
	return ok && rest != "" && allDigits(rest)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// hashLengths gives the hex length of each hash algorithm the schemas constrain.
var hashLengths = map[string]int{
	"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-512": 128, "SHA3-256": 64, "SHA3-512": 128,
}

// hashes checks a hashes dictionary: non-empty, names of 3 to 250 of [a-zA-Z0-9_-], string
// values, and the right number of hex digits for the standard algorithms.
func (v *validator) hashes(path string, h gjson.Result) {
	if !h.IsObject() {
		v.add(path, "must be a dictionary")
		return
	}
	n := 0
	h.ForEach(func(k, val gjson.Result) bool {
		n++
		name := k.String()
		p := path + "." + name
		if !isDictKey(name) || len(name) < 3 {
			v.add(p, "hash names must be 3 to 250 characters of a-z, A-Z, 0-9, _ and -")
		}
		if val.Type != gjson.String {
			v.add(p, "must be a string")
			return true
		}
		if want, ok := hashLengths[name]; ok && (len(val.Str) != want || !isHexString(val.Str)) {
			v.add(p, "must be %d hex digits", want)
		}
		return true
	})
	if n == 0 {
		v.add(path, "must not be empty")
	}
}

func isDictKey(s string) bool {
	if len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// dictionary checks a STIX dictionary: non-empty, keys of [a-zA-Z0-9_-], no null or empty-list
// values.
func (v *validator) dictionary(root getter, name string) {
	d := root.Get(name)
	if !d.Exists() {
		return
	}
	if !d.IsObject() {
		v.add(name, "must be a dictionary")
		return
	}
	n := 0
	d.ForEach(func(k, val gjson.Result) bool {
		n++
		p := name + "." + k.String()
		if !isDictKey(k.String()) {
			v.add(p, "dictionary keys may hold only a-z, A-Z, 0-9, _ and -")
		}
		if val.Type == gjson.Null {
			v.add(p, "must not be null")
		} else if val.IsArray() && isEmptyArray(val) {
			v.add(p, "must not be an empty list")
		}
		return true
	})
	if n == 0 {
		v.add(name, "must not be empty")
	}
}

func (v *validator) granularMarkings(val gjson.Result) {
	v.list(gjson.Result{Type: gjson.JSON, Raw: `{"granular_markings":` + val.Raw + `}`}, "granular_markings",
		func(path string, g gjson.Result) {
			if !g.IsObject() {
				v.add(path, "must be an object")
				return
			}
			if m := g.Get("marking_ref"); m.Exists() {
				v.checkID(path+".marking_ref", m, []string{"marking-definition"})
			} else {
				v.add(path+".marking_ref", "required")
			}
			v.kind(g, "lang", kString)
			sel := g.Get("selectors")
			if !sel.IsArray() || isEmptyArray(sel) {
				v.add(path+".selectors", "required non-empty list")
				return
			}
			i := 0
			sel.ForEach(func(_, s gjson.Result) bool {
				if s.Type != gjson.String || !isSelector(s.Str) {
					v.add(path+".selectors["+strconv.Itoa(i)+"]", "must be a property selector such as description or external_references.[0].url")
				}
				i++
				return true
			})
		})
}

// isSelector matches a granular-marking selector: a property name followed by .name or .[n]
// steps.
func isSelector(s string) bool {
	if s == "id" {
		return true
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		switch {
		case i > 0 && len(p) > 2 && p[0] == '[' && p[len(p)-1] == ']' && allDigits(p[1:len(p)-1]):
		case i == 0 && len(p) >= 3 && len(p) <= 249 && isSelectorName(p):
		case i > 0 && len(p) >= 1 && len(p) <= 250 && isSelectorName(p):
		default:
			return false
		}
	}
	return true
}

func isSelectorName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// extensions checks the extensions dictionary: keys are predefined extension names (ending in
// -ext) or extension-definition ids; extension-definition entries state their extension_type.
func (v *validator) extensions(ext gjson.Result) {
	if !ext.Exists() {
		return
	}
	if !ext.IsObject() {
		v.add("extensions", "must be a dictionary")
		return
	}
	n := 0
	ext.ForEach(func(k, e gjson.Result) bool {
		n++
		name := k.String()
		path := "extensions." + name
		isDef := strings.HasPrefix(name, "extension-definition--") && ID(name).Validate() == nil
		isPredef := strings.HasSuffix(name, "-ext") && checkTypeName(name) == nil &&
			v.o.typ != "marking-definition"
		if !isDef && !isPredef {
			v.add(path, "extension names must be an extension-definition id or end in -ext")
		}
		if !e.IsObject() || isEmptyObject(e) {
			v.add(path, "must be a non-empty object")
			return true
		}
		if isDef {
			t := e.Get("extension_type")
			switch {
			case !t.Exists():
				v.add(path+".extension_type", "required")
			case t.Type != gjson.String || !hasType(extensionTypes[:], t.Str):
				v.add(path+".extension_type", "must be one of %s", strings.Join(extensionTypes[:], ", "))
			}
		}
		e.ForEach(func(pk, pv gjson.Result) bool {
			pn := pk.String()
			v.propertyValue(path+"."+pn, pn, pv)
			if pn != "id" && !isPropertyName(pn) {
				v.add(path+"."+pn, "property names must be 3 to 250 characters of a-z, 0-9 and _")
			}
			return true
		})
		return true
	})
	if n == 0 {
		v.add("extensions", "must not be empty")
	}
}

var extensionTypes = [...]string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}

func isEmptyObject(val gjson.Result) bool {
	empty := true
	val.ForEach(func(_, _ gjson.Result) bool { empty = false; return false })
	return empty
}

// required reports each named property that is absent.
func (v *validator) required(root getter, names ...string) {
	for _, n := range names {
		if !root.Get(n).Exists() {
			v.add(n, "required")
		}
	}
}

// anyOf reports when none of names is present.
func (v *validator) anyOf(root getter, names ...string) {
	for _, n := range names {
		if root.Get(n).Exists() {
			return
		}
	}
	v.add("", "needs at least one of %s", strings.Join(names, ", "))
}

// getter is what the checks read properties from: a gjson.Result, or the members of the
// object being validated.
type getter interface {
	Get(name string) gjson.Result
}

// members indexes the top-level properties of an object once, so that the many checks that
// look a property up do not each re-scan the whole object.
type members struct {
	keys []string
	vals []gjson.Result
}

func indexMembers(s string) *members {
	m := &members{keys: make([]string, 0, 24), vals: make([]gjson.Result, 0, 24)}
	gjson.Parse(s).ForEach(func(k, v gjson.Result) bool {
		m.keys = append(m.keys, k.String())
		m.vals = append(m.vals, v)
		return true
	})
	return m
}

// Get returns the top-level property name (a non-existent result when absent). Unlike a gjson
// path, name is matched literally.
func (m *members) Get(name string) gjson.Result {
	for i, k := range m.keys {
		if k == name {
			return m.vals[i]
		}
	}
	return gjson.Result{}
}
