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
	m := make(map[string]any, len(props)+8)
	m["type"] = typ
	m["spec_version"] = "2.1"
	id := c.ID
	if id == "" {
		id = NewID(typ)
	}
	m["id"] = id
	created := c.Created
	if created.IsZero() {
		created = time.Now()
	}
	modified := c.Modified
	if modified.IsZero() {
		modified = created
	}
	m["created"] = FormatTime(created)
	m["modified"] = FormatTime(modified)
	if c.CreatedByRef != "" {
		m["created_by_ref"] = c.CreatedByRef
	}
	if len(c.Labels) > 0 {
		m["labels"] = c.Labels
	}
	if len(c.ObjectMarkingRefs) > 0 {
		m["object_marking_refs"] = c.ObjectMarkingRefs
	}
	for k, v := range props {
		m[k] = v
	}
	for k, v := range c.Extra {
		m[k] = v
	}
	return fromMap(m)
}

// NewIndicator builds an indicator with a STIX pattern.
func NewIndicator(name, pattern string, validFrom time.Time, c Common) (*Object, error) {
	return New("indicator", map[string]any{
		"name": name, "pattern": pattern, "pattern_type": "stix", "valid_from": FormatTime(validFrom),
	}, c)
}

// NewMalware builds a malware object.
func NewMalware(name string, isFamily bool, c Common) (*Object, error) {
	return New("malware", map[string]any{"name": name, "is_family": isFamily}, c)
}

// NewIdentity builds an identity; identityClass is e.g. "organization" or "individual".
func NewIdentity(name, identityClass string, c Common) (*Object, error) {
	return New("identity", map[string]any{"name": name, "identity_class": identityClass}, c)
}

// NewRelationship builds a relationship of relType from source to target.
func NewRelationship(relType string, source, target ID, c Common) (*Object, error) {
	return New("relationship", map[string]any{
		"relationship_type": relType, "source_ref": source, "target_ref": target,
	}, c)
}

// NewSighting builds a sighting of sightingOf, seen where whereSighted says (may be empty).
func NewSighting(sightingOf ID, whereSighted []ID, c Common) (*Object, error) {
	props := map[string]any{"sighting_of_ref": sightingOf}
	if len(whereSighted) > 0 {
		props["where_sighted_refs"] = whereSighted
	}
	return New("sighting", props, c)
}

// NewReport builds a report that contains objects.
func NewReport(name string, published time.Time, objects []ID, c Common) (*Object, error) {
	return New("report", map[string]any{
		"name": name, "published": FormatTime(published), "object_refs": objects,
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
	raw, err := marshal(m)
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
	raw, err := marshal(m)
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
