package stream

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Every message survives encoding to OpenCTI's data and decoding back; the data is one line.
func TestWireRoundTrip(t *testing.T) {
	ind := indicator(1)
	pretty := stix.MustParse("{\n  \"type\": \"malware\",\n  \"spec_version\": \"2.1\",\n  \"id\": \"malware--00000000-0000-4000-8000-000000000009\",\n" +
		"  \"created\": \"2024-01-01T00:00:00.000Z\",\n  \"modified\": \"2024-01-01T00:00:00.000Z\",\n  \"name\": \"Emotet\",\n  \"is_family\": true\n}")
	pos := store.Position{Millis: 1704067200123, Seq: 4}
	tests := []struct {
		rule string
		m    Message
	}{
		{"a create", Message{Type: Create, Object: ind}},
		{"a dependency keeps its origin", Message{Type: Create, Object: ind, Dependency: true}},
		{"an update keeps both patches", Message{Type: Update, Object: ind,
			Patch: json.RawMessage(`[{"op":"add","path":"/labels","value":["x"]}]`), ReversePatch: json.RawMessage(`[{"op":"remove","path":"/labels"}]`)}},
		{"a merge keeps its sources", Message{Type: Merge, Object: ind, Sources: []*stix.Object{indicator(2), indicator(3)}}},
		{"a delete", Message{Type: Delete, Object: ind, Dependency: true}},
		{"a pretty-printed object is sent on one line", Message{Type: Create, Object: pretty}},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			data, err := appendData(nil, tc.m, false)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(string(data), "\r\n") || !json.Valid(data) {
				t.Fatalf("data is not one line of JSON: %s", data)
			}
			got, err := decodeData(string(tc.m.Type), pos.String(), data)
			if err != nil {
				t.Fatal(err)
			}
			w := tc.m
			if got.Type != w.Type || got.Dependency != w.Dependency || got.Object.ID() != w.Object.ID() ||
				!jsonEqual(got.Object.Raw(), w.Object.Raw()) || !jsonEqual(got.Patch, w.Patch) || !jsonEqual(got.ReversePatch, w.ReversePatch) ||
				len(got.Sources) != len(w.Sources) || got.Pos != pos || !got.Time.Equal(pos.Time()) {
				t.Errorf("decoded %+v, want %+v at %s", got, w, pos)
			}
			for i := range w.Sources {
				if got.Sources[i].ID() != w.Sources[i].ID() {
					t.Errorf("source %d: %s, want %s", i, got.Sources[i].ID(), w.Sources[i].ID())
				}
			}
		})
	}
}

func jsonEqual(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// The human message reads like OpenCTI's.
func TestWireMessageText(t *testing.T) {
	rel, _ := stix.NewRelationship("indicates", indicator(1).ID(), "malware--00000000-0000-4000-8000-000000000009", stix.Common{Created: t0})
	ap, _ := stix.New("attack-pattern", map[string]any{"name": "Phishing"}, stix.Common{Created: t0})
	tests := []struct {
		rule string
		m    Message
		want string
	}{
		{"create names the type and the name", Message{Type: Create, Object: indicator(1)}, "creates a Indicator `ind-1`"},
		{"types are capitalized per word", Message{Type: Update, Object: ap}, "updates a Attack-Pattern `Phishing`"},
		{"delete", Message{Type: Delete, Object: indicator(2)}, "deletes a Indicator `ind-2`"},
		{"a relationship names its type and ends", Message{Type: Create, Object: rel},
			"creates the relation indicates from `" + string(indicator(1).ID()) + "` to `malware--00000000-0000-4000-8000-000000000009`"},
		{"merge names the sources", Message{Type: Merge, Object: indicator(1), Sources: []*stix.Object{indicator(2)}}, "merges Indicator `ind-2` into `ind-1`"},
	}
	for _, tc := range tests {
		if got := messageText(tc.m); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.rule, got, tc.want)
		}
	}
}

// Data that is not an OpenCTI change is refused with ErrBadFrame, never a panic.
func TestWireDecodeRefuses(t *testing.T) {
	good, _ := appendData(nil, Message{Type: Create, Object: indicator(1)}, false)
	tests := []struct {
		rule, event, data string
	}{
		{"an event that is not a change", "heartbeat", string(good)},
		{"data that is not JSON", "create", "{"},
		{"data without an object", "create", `{"version":"4","type":"create"}`},
		{"an object that is not STIX", "create", `{"type":"create","data":{"id":"x"}}`},
		{"a type that contradicts the event", "delete", string(good)},
		{"a merge source that is not STIX", "merge", `{"type":"merge","data":` + string(indicator(1).Raw()) + `,"context":{"sources":[{}]}}`},
	}
	for _, tc := range tests {
		if _, err := decodeData(tc.event, "1-0", []byte(tc.data)); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: error %v, want ErrBadFrame", tc.rule, err)
		}
	}
	if _, err := appendData(nil, Message{Type: Create}, false); err == nil {
		t.Error("a message without an object was encoded")
	}
}
