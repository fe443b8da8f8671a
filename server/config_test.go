package server

import (
	"errors"
	"strings"
	"testing"
)

// TestConfigErrorsNameFileLineField: every mistake is reported with the file, the line
// and the field, unknown fields included, and all of them at once.
func TestConfigErrorsNameFileLineField(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error, each "file:line: field…"
	}{
		{"unknown field", "listen: :0\nhttp:\n  idle_timout: 5s\n",
			[]string{"hub.yaml:3: idle_timout: unknown field"}},
		{"wrong type", "listen: :0\nhttp:\n  max_connections: lots\n",
			[]string{"hub.yaml:3: ", "lots"}},
		{"invalid values, all reported", "listen: :0\nhttp:\n  idle_timeout: -5s\n  cors_origins: [\"not an origin\"]\naccess:\n  users:\n    - name: bob\n      groups: [nobody]\n",
			[]string{"hub.yaml:3: http.idle_timeout: must not be negative",
				"hub.yaml:4: http.cors_origins[0]: ",
				"hub.yaml:7: access.users[0]: user \"bob\" has neither",
				"hub.yaml:8: access.users[0].groups[0]: no group named \"nobody\""}},
		{"bad feed definition", "listen: :0\nfeeds:\n  streams:\n    - {\"id\": \"\", \"name\": \"x\"}\n",
			[]string{"hub.yaml:4: feeds.streams[0]: "}},
		{"missing listen", "title: x\n", []string{"hub.yaml:1: listen: required"}},
		{"source with two kinds", "listen: :0\ningest:\n  - name: a\n    files: [x]\n    stream: {url: \"http://h/stream/s\"}\n",
			[]string{"hub.yaml:3: ingest[0]: exactly one of files, taxii and stream"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("hub.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.File != "hub.yaml" || ce.Line == 0 {
				t.Errorf("not a *ConfigError with file and line: %#v", err)
			}
		})
	}
}

// TestConfigEngineCheckedByNew: a file may name an engine its host adds, so LoadConfig
// leaves the name to New, which refuses an unknown one naming the field.
func TestConfigEngineCheckedByNew(t *testing.T) {
	cfg, err := ParseConfig("hub.yaml", []byte("listen: :0\nstore: {engine: mongo}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "store.engine: unknown engine \"mongo\"") {
		t.Errorf("Validate: %v", err)
	}
}

// TestClassify: metrics labels come from a bounded set whatever the path.
func TestClassify(t *testing.T) {
	for path, want := range map[string][2]string{
		"/stream":                                {"stream", "list"},
		"/stream/x":                              {"stream", "stream"},
		"/taxii2/":                               {"taxii", "discovery"},
		"/api1/collections/":                     {"taxii", "collections"},
		"/a/b/collections/c/objects/":            {"taxii", "objects"},
		"/a/collections/c/objects/indicator--1/": {"taxii", "object"},
		"/a/collections/c/objects/i/versions/":   {"taxii", "versions"},
		"/a/collections/c/manifest/":             {"taxii", "manifest"},
		"/a/status/123/":                         {"taxii", "status"},
		"/feeds/x":                               {"csv", "feed"},
		"/admin/streams":                         {"admin", "streams"},
		"/admin/streams/x":                       {"admin", "streams"},
		"/admin/other":                           {"admin", "other"},
		"/api/v3/ioc_stream":                     {"ioc", "ioc_stream"},
		"/api/v3/ioc_stream_notifications/n1":    {"ioc", "ioc_stream_notifications"},
		"/api/v3/anything-at-all":                {"ioc", "other"},
		"/whatever/you/like":                     {"other", "other"},
	} {
		if f, e := classify(path); f != want[0] || e != want[1] {
			t.Errorf("classify(%q) = %s, %s; want %v", path, f, e, want)
		}
	}
}
