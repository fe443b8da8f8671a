package server

import (
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Definition is a feed definition in OpenCTI's JSON. In a YAML file it may be written as
// JSON (pasted from OpenCTI) or as the equivalent YAML mapping.
type Definition struct {
	// JSON is the definition.
	JSON json.RawMessage
	// Line is where the definition starts in its file (0 for one built in Go).
	Line int
}

// UnmarshalYAML implements yaml.Unmarshaler: it keeps the mapping as JSON.
func (d *Definition) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a feed definition is a mapping (a JSON object)", n.Line)
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	d.JSON, d.Line = b, n.Line
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Definition) MarshalYAML() (any, error) {
	var v any
	err := json.Unmarshal(d.JSON, &v)
	return v, err
}
