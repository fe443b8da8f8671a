package stream_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ctifeed/ctifeed/internal/seedscenario"
	"github.com/ctifeed/ctifeed/stream"
)

// FuzzParseDefinition: any input either fails with an error wrapping ErrInvalid, or gives a
// definition whose encoding parses back to the same encoding; never a panic.
func FuzzParseDefinition(f *testing.F) {
	f.Add([]byte(definitionJSON))
	f.Add([]byte(`{"id":"s","filters":` + seedscenario.FiltersJSON + `,"defaults":{"cache_ttl":"1h","cache_size":3}}`))
	f.Add([]byte(`{"id":"s","authorized_members":[{"kind":"user","id":"u"}],"stream_public":true}`))
	f.Add([]byte(`{"id":"","defaults":{"cache_ttl":"-5m","cache_size":-1}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := stream.ParseDefinition(data, nil)
		if err != nil {
			if !errors.Is(err, stream.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		enc, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("a valid definition does not encode: %v", err)
		}
		d2, err := stream.ParseDefinition(enc, nil)
		if err != nil {
			t.Fatalf("the encoding %s of a valid definition does not parse: %v", enc, err)
		}
		enc2, err := json.Marshal(d2)
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("round trip changed the encoding:\n%s\n%s", enc, enc2)
		}
	})
}
