package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigError is a configuration mistake: the file (empty for a Config built in Go), the
// line (0 when unknown), the field's path (such as "http.idle_timeout" or
// "access.users[2].groups") and what is wrong.
type ConfigError struct {
	File  string
	Line  int
	Field string
	Err   error
}

// Error says "file:line: field: problem".
func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the problem.
func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads a YAML configuration. Unknown fields, wrong types and invalid values
// are errors naming the file, line and field; all of them are reported (errors.Join).
// The store engine's name is checked by [New], which knows the host's engines.
// Relative paths in the file (bundle files, TLS files, the store path) are relative to
// the file's directory.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := ParseConfig(path, data)
	if err != nil {
		return nil, err
	}
	cfg.resolvePaths(dirOf(path))
	return cfg, nil
}

// ParseConfig parses a YAML configuration read from file (which names it in errors) and
// validates it.
func ParseConfig(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(file, err)
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlErrors(file, err)
	}
	if _, err := cfg.compile(nil); err != nil {
		var out []error
		for _, fe := range unjoin(err) {
			var ce *ConfigError
			if errors.As(fe, &ce) {
				ce.File = file
				if ce.Line == 0 {
					ce.Line = lineOf(&root, ce.Field)
				}
			}
			out = append(out, fe)
		}
		return nil, errors.Join(out...)
	}
	return &cfg, nil
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlErrors turns yaml.v3's messages ("line 5: field foo not found in type …") into
// ConfigErrors, one per problem.
func yamlErrors(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var out []error
	for _, m := range msgs {
		ce := &ConfigError{File: file}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			ce.Line, _ = strconv.Atoi(g[1])
			m = g[2]
		}
		m = strings.ReplaceAll(m, "server.", "")
		if i := strings.Index(m, "field "); i == 0 {
			if j := strings.Index(m, " not found in type "); j > 0 {
				ce.Field = m[len("field "):j]
				m = "unknown field (in " + m[j+len(" not found in type "):] + ")"
			}
		}
		ce.Err = errors.New(m)
		out = append(out, ce)
	}
	return errors.Join(out...)
}

// lineOf finds the line of a field path such as "feeds.streams[1].id" in a parsed
// document; it returns the line of the deepest part it found.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			name = part[:i]
			idx, _ = strconv.Atoi(part[i+1 : len(part)-1])
		}
		next := child(n, name)
		if next == nil {
			return line
		}
		n, line = next, next.Line
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
