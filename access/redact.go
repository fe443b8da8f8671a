package access

import (
	"strings"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/tidwall/gjson"
)

// Redact returns o as p may receive it: without the organizations it is shared with
// (granted_refs in [OpenCTIExtension] and a top-level x_opencti_granted_refs), unless p
// holds [CapManageOrganizationSharing], as OpenCTI does. Everything else is kept byte for
// byte. When nothing needs removing Redact returns o itself without allocating.
//
// Redact does not decide visibility: call [Visibility.CanSee] first. It returns nil, and
// the object must then not be emitted, only if o is nil or could not be redacted, which
// does not happen for an object that [stix.Parse] accepted.
func (v *Visibility) Redact(p *Principal, o *stix.Object) *stix.Object {
	if o == nil {
		return nil
	}
	if p.Has(CapManageOrganizationSharing) {
		return o
	}
	s := o.String()
	// The property name can only be spelled without the literal text if it uses a \u
	// escape, so without either there is nothing to remove.
	if !strings.Contains(s, "granted_refs") && !strings.Contains(s, `\u`) {
		return o
	}
	out, changed := stripGranted(s)
	if !changed {
		return o
	}
	r, err := stix.Parse([]byte(out))
	if err != nil || r.ID() != o.ID() || carriesGrants(r) {
		return nil // fail closed: never emit what could not be cleaned
	}
	return r
}

// carriesGrants reports whether o still holds any granted organizations property.
func carriesGrants(o *stix.Object) bool {
	for _, r := range o.Refs() {
		if r.Path == grantedExtPath || r.Path == grantedTopPath {
			return true
		}
	}
	return hasGrantedProperty(o)
}

// stripGranted removes the granted organizations properties from the JSON object s. The
// parser rejects duplicate names, so each property occurs at most once.
func stripGranted(s string) (string, bool) {
	changed := false
	root := gjson.Result{Type: gjson.JSON, Raw: s}
	if ext, ok := member(root, "extensions"); ok && ext.IsObject() {
		if octi, ok := member(ext, OpenCTIExtension); ok && octi.IsObject() {
			if out, ok := removeMember(s, octi, "granted_refs"); ok {
				s, changed = out, true
			}
		}
	}
	root = gjson.Result{Type: gjson.JSON, Raw: s}
	if out, ok := removeMember(s, root, grantedTopPath); ok {
		s, changed = out, true
	}
	return s, changed
}

// member returns the value of obj's member named name (compared after unescaping).
func member(obj gjson.Result, name string) (gjson.Result, bool) {
	var found gjson.Result
	ok := false
	obj.ForEach(func(k, v gjson.Result) bool {
		if k.String() == name {
			found, ok = v, true
			return false
		}
		return true
	})
	return found, ok
}

// removeMember cuts obj's member named name, with one adjoining comma, out of s. obj must
// come from s with absolute offsets (Index), as gjson gives them.
func removeMember(s string, obj gjson.Result, name string) (string, bool) {
	start, end := -1, -1
	obj.ForEach(func(k, v gjson.Result) bool {
		if k.String() == name {
			start, end = k.Index, v.Index+len(v.Raw)
			return false
		}
		return true
	})
	if start < 0 || end > len(s) || start >= end || s[start] != '"' {
		return s, false
	}
	// Prefer the comma after the member; the last member takes the one before it.
	j := end
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if j < len(s) && s[j] == ',' {
		end = j + 1
	} else {
		i := start - 1
		for i >= 0 && isSpace(s[i]) {
			i--
		}
		if i >= 0 && s[i] == ',' {
			start = i
		}
	}
	return s[:start] + s[end:], true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// removeRefs returns o with the string entries of its top-level list property name for
// which drop reports true removed, or nil if o could not be rewritten.
func removeRefs(o *stix.Object, name string, drop func(stix.ID) bool) *stix.Object {
	s := o.String()
	list, ok := member(gjson.Result{Type: gjson.JSON, Raw: s}, name)
	if !ok || !list.IsArray() || list.Index <= 0 || list.Index+len(list.Raw) > len(s) {
		return nil
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:list.Index])
	b.WriteByte('[')
	n := 0
	list.ForEach(func(_, e gjson.Result) bool {
		if e.Type == gjson.String && drop(stix.ID(e.Str)) {
			return true
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.Raw)
		n++
		return true
	})
	b.WriteByte(']')
	b.WriteString(s[list.Index+len(list.Raw):])
	r, err := stix.Parse([]byte(b.String()))
	if err != nil || r.ID() != o.ID() {
		return nil // fail closed: never emit what could not be cleaned
	}
	for _, ref := range r.Refs() {
		if ref.Path == name && drop(ref.ID) {
			return nil
		}
	}
	return r
}
