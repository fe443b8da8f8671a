package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAdminStreamBadInput: every malformed request is answered in the API's problem
// shape with the right status, names the member at fault, and stores nothing.
func TestAdminStreamBadInput(t *testing.T) {
	hub := startAdminHub(t, writeAdminConfig(t, t.TempDir(), "{engine: memory}", configuredStream))
	base := hub.base + "/admin/streams"
	for _, c := range []struct {
		name, method, path, body string
		header                   []string
		status                   int
		field                    string // the first field named, "" for none
	}{
		{"not JSON", http.MethodPut, "/x", `{"name": `, nil, 400, "definition"},
		{"not an object", http.MethodPut, "/x", `["x"]`, nil, 400, "definition"},
		{"null", http.MethodPut, "/x", `null`, nil, 400, "definition"},
		{"invalid UTF-8", http.MethodPut, "/x", "{\"name\": \"\xff\"}", nil, 400, "definition"},
		{"unknown filter key", http.MethodPut, "/x", `{"stream_live": true, "filters": {"mode": "and", "filters": [{"key": ["no_such_key"], "values": ["v"]}], "filterGroups": []}}`, nil, 400, "filters"},
		{"malformed filters", http.MethodPut, "/x", `{"filters": {"mode": 3}}`, nil, 400, "filters"},
		{"malformed filters string", http.MethodPut, "/x", `{"filters": "{\"mode\": "}`, nil, 400, "filters"},
		{"live not a boolean", http.MethodPut, "/x", `{"stream_live": "yes"}`, nil, 400, "stream_live"},
		{"member without kind", http.MethodPut, "/x", `{"authorized_members": [{"id": "admin"}]}`, nil, 400, "authorized_members"},
		{"member of unknown kind", http.MethodPut, "/x", `{"authorized_members": [{"kind": "robot", "id": "r"}]}`, nil, 400, "authorized_members"},
		{"negative cache size", http.MethodPut, "/x", `{"defaults": {"cache_size": -1}}`, nil, 400, "defaults.cache_size"},
		{"unknown option", http.MethodPut, "/x", `{"defaults": {"cache_tll": "1m"}}`, nil, 400, "defaults"},
		{"ids differ", http.MethodPut, "/x", `{"id": "y"}`, nil, 400, "id"},
		{"control character in the id", http.MethodPut, "/a%01b", `{}`, nil, 400, "id"},
		{"id too long", http.MethodPut, "/" + strings.Repeat("i", 201), `{}`, nil, 400, "id"},
		{"blank id in a POST", http.MethodPost, "", `{"id": " "}`, nil, 400, "id"},
		{"text body", http.MethodPut, "/x", `{}`, []string{"Content-Type", "text/plain"}, 415, ""},
		{"no content type", http.MethodPost, "", `{}`, []string{"Content-Type", ""}, 415, ""},
		{"huge body", http.MethodPut, "/x", `{"name": "` + strings.Repeat("n", maxDefinitionBytes) + `"}`, nil, 413, ""},
		{"PATCH", http.MethodPatch, "/x", `{}`, nil, 405, ""},
		{"POST to a stream", http.MethodPost, "/x", `{}`, nil, 405, ""},
		{"DELETE the list", http.MethodDelete, "", "", nil, 405, ""},
		{"POST of an existing id", http.MethodPost, "", `{"id": "configured"}`, nil, 409, "id"},
		{"nested path", http.MethodGet, "/x/y", "", nil, 404, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, h, body := call(t, c.method, base+c.path, adminToken, c.body, c.header...)
			p := problemOf(t, h, body)
			if code != c.status || p.Status != c.status {
				t.Errorf("status %d (document %d), want %d: %s", code, p.Status, c.status, body)
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Errorf("errors %+v, want the first to name %q", p.Errors, c.field)
			}
			if code == 405 && h.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	if code, h, body := call(t, http.MethodGet, hub.base+"/admin/users", adminToken, ""); code != 404 || problemOf(t, h, body).Status != 404 {
		t.Errorf("an unknown admin resource: %d %s", code, body)
	}
	var list []adminDefinition
	if err := json.Unmarshal([]byte(mustCall(t, 200, http.MethodGet, base, adminToken, "")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Errorf("bad requests stored streams: %+v", list)
	}

	// What OpenCTI exports is accepted: filters as a string holding the JSON, members it
	// has and we do not know ignored, the id taken from the path; a POST without an id
	// gets a generated one.
	mustCall(t, http.StatusCreated, http.MethodPut, base+"/exported", adminToken,
		`{"name": "Exported", "stream_live": true, "entity_type": "StreamCollection", "filters": "`+
			strings.ReplaceAll(filterOn("alpha"), `"`, `\"`)+`"}`)
	code, h, body := call(t, http.MethodPost, base, adminToken, `{"name": "Posted", "stream_live": true}`)
	var posted adminDefinition
	if err := json.Unmarshal([]byte(body), &posted); code != http.StatusCreated || err != nil || posted.ID == "" ||
		h.Get("Location") != "/admin/streams/"+posted.ID {
		t.Fatalf("POST: %d, Location %q: %s", code, h.Get("Location"), body)
	}
	if code, _ := connect(t, hub.base+"/stream/"+posted.ID, readerToken); code != http.StatusOK {
		t.Errorf("the posted stream answers %d", code)
	}
}
