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
	// escape in a member name, so without either there is nothing to remove.
	if !strings.Contains(s, "granted_refs") && !mayEscapeName(s) {
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

// removeRefs returns o without the top-level references for which drop reports true: a
// single reference property is removed, a list keeps its other entries (in order, an
// emptied list stays as []). It returns nil if o could not be rewritten, or if a dropped
// reference survived (fail closed).
func removeRefs(o *stix.Object, drop func(stix.Ref) bool) *stix.Object {
	var b strings.Builder
	b.Grow(len(o.Raw()))
	b.WriteByte('{')
	n := 0
	root := gjson.Result{Type: gjson.JSON, Raw: o.String()}
	root.ForEach(func(k, v gjson.Result) bool {
		path := gjson.Escape(k.String())
		single := v.Type == gjson.String && strings.HasSuffix(k.String(), "_ref")
		list := v.IsArray() && strings.HasSuffix(k.String(), "_refs")
		if single && drop(stix.Ref{Path: path, Index: -1, ID: stix.ID(v.Str)}) {
			return true
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(k.Raw)
		b.WriteByte(':')
		if !list {
			b.WriteString(v.Raw)
			return true
		}
		b.WriteByte('[')
		i, kept := 0, 0
		v.ForEach(func(_, e gjson.Result) bool {
			if e.Type != gjson.String || !drop(stix.Ref{Path: path, Index: i, ID: stix.ID(e.Str)}) {
				if kept > 0 {
					b.WriteByte(',')
				}
				b.WriteString(e.Raw)
				kept++
			}
			i++
			return true
		})
		b.WriteByte(']')
		return true
	})
	b.WriteByte('}')
	r, err := stix.Parse([]byte(b.String()))
	if err != nil || r.ID() != o.ID() {
		return nil // fail closed: never emit what could not be cleaned
	}
	for _, ref := range r.Refs() {
		if drop(ref) {
			return nil
		}
	}
	return r
}

// mayEscapeName reports whether the JSON text s may hold a member name written with a \u
// escape. It is conservative (a \u in a string value followed by an escaped quote counts),
// and cheap: \u escapes in values, common in prose, are told from names by what follows
// the closing quote.
func mayEscapeName(s string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], `\u`)
		if j < 0 {
			return false
		}
		k := i + j + 2
		for k < len(s) && s[k] != '"' {
			if s[k] == '\\' {
				if k+1 < len(s) && s[k+1] == '"' {
					return true // an escaped quote: do not guess where the string ends
				}
				k++
			}
			k++
		}
		m := k + 1
		for m < len(s) && isSpace(s[m]) {
			m++
		}
		if m >= len(s) || s[m] == ':' {
			return true
		}
		i = m
	}
}
