package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Common holds the properties that the builders set on every object they make.
type Common struct {
	ID                ID        // default: a new random identifier of the object's type
	Created           time.Time // default: now
	Modified          time.Time // default: Created
	CreatedByRef      ID
	Labels            []string
	ObjectMarkingRefs []ID
	// Extra holds any other property, custom ones included. It is applied last and may
	// override what the builder set.
	Extra map[string]any
}

// New builds a versioned object (an SDO, SRO, or custom object with `created`) of type typ
// from the given type-specific properties and c.
func New(typ string, props map[string]any, c Common) (*Object, error) {
	var buf [16]field
	fields := buf[:0]
	for k, v := range props {
		fields = append(fields, anyField(k, v))
	}
	return build(typ, fields, c)
}

// build writes a versioned object: the common properties, then fields, then c.Extra, each
// overriding what came before it under the same key.
func build(typ string, fields []field, c Common) (*Object, error) {
	idField := strField("id", string(c.ID))
	if c.ID == "" {
		if isPlain(typ) {
			// Written straight into the object, which the Object's id then points into:
			// one allocation fewer than NewID.
			idField = field{key: "id", kind: kindNewID, s: typ}
		} else {
			idField.s = string(NewID(typ))
		}
	}
	created := c.Created
	if created.IsZero() {
		created = time.Now()
	}
	modified := c.Modified
	if modified.IsZero() {
		modified = created
	}
	// Room for every builder's fields on the stack; a longer list (many Extra) moves to the
	// heap. The common properties come in key order, as each builder gives its own, so that
	// sorting finds them nearly sorted.
	var buf [20]field
	all := append(buf[:0], timeField("created", created))
	if c.CreatedByRef != "" {
		all = append(all, strField("created_by_ref", string(c.CreatedByRef)))
	}
	all = append(all, idField)
	if len(c.Labels) > 0 {
		all = append(all, field{key: "labels", kind: kindStrings, ss: c.Labels})
	}
	all = append(all, timeField("modified", modified))
	if len(c.ObjectMarkingRefs) > 0 {
		all = append(all, idsField("object_marking_refs", c.ObjectMarkingRefs))
	}
	all = append(all, strField("spec_version", "2.1"), strField("type", typ))
	all = append(all, fields...)
	for k, v := range c.Extra {
		all = append(all, anyField(k, v))
	}
	var orderBuf [len(buf)]int
	order := sortFields(all, orderBuf[:0])
	var spanBuf [len(buf)]span
	var spans []span
	if len(order) <= len(spanBuf) {
		spans = spanBuf[:len(order)]
	} else {
		spans = make([]span, len(order))
	}
	raw, valid, err := encodeFields(all, order, spans)
	if err != nil {
		return nil, err
	}
	return objectOf(raw, valid, all, order, spans)
}

// NewIndicator builds an indicator with a STIX pattern.
func NewIndicator(name, pattern string, validFrom time.Time, c Common) (*Object, error) {
	return build("indicator", []field{
		strField("name", name), strField("pattern", pattern), strField("pattern_type", "stix"),
		timeField("valid_from", validFrom),
	}, c)
}

// NewMalware builds a malware object.
func NewMalware(name string, isFamily bool, c Common) (*Object, error) {
	return build("malware", []field{{key: "is_family", kind: kindBool, b: isFamily}, strField("name", name)}, c)
}

// NewIdentity builds an identity; identityClass is e.g. "organization" or "individual".
func NewIdentity(name, identityClass string, c Common) (*Object, error) {
	return build("identity", []field{strField("identity_class", identityClass), strField("name", name)}, c)
}

// NewRelationship builds a relationship of relType from source to target.
func NewRelationship(relType string, source, target ID, c Common) (*Object, error) {
	return build("relationship", []field{
		strField("relationship_type", relType), strField("source_ref", string(source)),
		strField("target_ref", string(target)),
	}, c)
}

// NewSighting builds a sighting of sightingOf, seen where whereSighted says (may be empty).
func NewSighting(sightingOf ID, whereSighted []ID, c Common) (*Object, error) {
	fields := []field{strField("sighting_of_ref", string(sightingOf))}
	if len(whereSighted) > 0 {
		fields = append(fields, idsField("where_sighted_refs", whereSighted))
	}
	return build("sighting", fields, c)
}

// NewReport builds a report that contains objects.
func NewReport(name string, published time.Time, objects []ID, c Common) (*Object, error) {
	return build("report", []field{
		strField("name", name), idsField("object_refs", objects), timeField("published", published),
	}, c)
}

// NewSCO builds a cyber-observable of type typ; its id is the deterministic one of [SCOID].
func NewSCO(typ string, props map[string]any) (*Object, error) {
	if CategoryOf(typ) != CategorySCO {
		return nil, fmt.Errorf("stix: %q is not a STIX 2.1 cyber-observable type", typ)
	}
	m := make(map[string]any, len(props)+3)
	for k, v := range props {
		m[k] = v
	}
	m["type"] = typ
	m["spec_version"] = "2.1"
	raw, err := encodeMap(m)
	if err != nil {
		return nil, err
	}
	id, err := SCOID(raw)
	if err != nil {
		return nil, err
	}
	m["id"] = id
	return fromMap(m)
}

// NewVersion returns the next version of a versioned object: a copy with edit applied to its
// properties and `modified` set to modified, which must be later than the current version.
// Edits to type, id and created are undone: they identify the object across its versions.
func (o *Object) NewVersion(modified time.Time, edit func(props map[string]any)) (*Object, error) {
	if o.createdRaw == "" {
		return nil, fmt.Errorf("stix: %s has no created property, so it has no versions", o.id)
	}
	if !modified.Truncate(time.Millisecond).After(o.Version()) {
		return nil, fmt.Errorf("stix: new modified %s is not after the current version %s of %s",
			FormatTime(modified), FormatTime(o.Version()), o.id)
	}
	m, err := o.props()
	if err != nil {
		return nil, err
	}
	if edit != nil {
		edit(m)
	}
	// A version shares its object's identity, whatever edit did.
	m["type"], m["id"], m["created"] = o.typ, o.id, o.createdRaw
	m["modified"] = FormatTime(modified)
	return fromMap(m)
}

// WithLabel returns the next version with label added (unchanged labels if already present).
func (o *Object) WithLabel(label string, modified time.Time) (*Object, error) {
	return o.NewVersion(modified, func(m map[string]any) {
		labels := slices.Clone(o.labels)
		if !slices.Contains(labels, label) {
			labels = append(labels, label)
		}
		m["labels"] = labels
	})
}

// WithoutLabel returns the next version with label removed (the property goes when empty).
func (o *Object) WithoutLabel(label string, modified time.Time) (*Object, error) {
	return o.NewVersion(modified, func(m map[string]any) {
		labels := slices.DeleteFunc(slices.Clone(o.labels), func(l string) bool { return l == label })
		if len(labels) == 0 {
			delete(m, "labels")
			return
		}
		m["labels"] = labels
	})
}

// props decodes the object into a map, keeping numbers exact.
func (o *Object) props() (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(o.raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("stix: decoding %s: %w", o.id, err)
	}
	return m, nil
}

func fromMap(m map[string]any) (*Object, error) {
	raw, err := encodeMap(m)
	if err != nil {
		return nil, err
	}
	return parseOwned(raw)
}

// marshal writes JSON without HTML escaping, so patterns and text read as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, fmt.Errorf("stix: encoding object: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

var errNotBundle = errors.New(`stix: input is not a STIX bundle (type "bundle" with an "objects" list)`)
