package server

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeStream: the admin API's body decoder never panics, and a definition it
// accepts (and that validates) decodes again, from its own JSON, to the same definition,
// so what GET answers can be PUT back unchanged.
func FuzzDecodeStream(f *testing.F) {
	for _, s := range []string{
		`{"id": "x", "name": "X", "stream_live": true}`,
		`{"id": "x", "filters": ` + filterOn("alpha") + `}`,
		`{"id": "x", "filters": "{\"mode\": \"or\", \"filters\": [], \"filterGroups\": []}"}`,
		`{"id": "x", "authorized_members": [{"kind": "group", "id": "g"}], "defaults": {"cache_ttl": "1m", "no_dependencies": true}}`,
		`{"id": "x", "filters": ""}`, `[]`, `null`, `{"stream_live": "yes"}`, `{"defaults": {"x": 1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		def, fields := decodeStream(body)
		if fields != nil || validateStream(def) != nil {
			return
		}
		again, err := json.Marshal(adminDefinition{Definition: def, Source: "run_time"})
		if err != nil {
			t.Fatalf("an accepted definition does not encode: %v", err)
		}
		def2, fields := decodeStream(again)
		if fields != nil {
			t.Fatalf("%s: its own JSON %s is refused: %+v", body, again, fields)
		}
		if !reflect.DeepEqual(def, def2) && !sameDefinition(def, def2) {
			t.Fatalf("%s: round trip changed it:\n%+v\n%+v", body, def, def2)
		}
	})
}
