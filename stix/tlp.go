package stix

import "sync"

// The identifiers of the TLP marking definitions, fixed by the standard (TLP 1.0) and by the
// TLP 2.0 extension definition.
const (
	TLPWhite        ID = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLPGreen        ID = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLPAmber        ID = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLPRed          ID = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
	TLP2Clear       ID = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       ID = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       ID = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict ID = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         ID = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// tlp2Extension is the extension definition that TLP 2.0 markings use.
const tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

func tlp1(id ID, color string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + string(id) +
		`","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:` +
		upper(color) + `","definition":{"tlp":"` + color + `"}}`
}

func tlp2(id ID, name, value string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + string(id) +
		`","created":"2022-10-01T00:00:00.000Z","name":"` + name + `","extensions":{"` +
		tlp2Extension + `":{"extension_type":"property-extension","tlp_2_0":"` + value + `"}}}`
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// tlpObjects is computed once; the objects are immutable, so sharing them is safe.
var tlpObjects = sync.OnceValue(func() []*Object {
	srcs := []string{
		tlp1(TLPWhite, "white"), tlp1(TLPGreen, "green"), tlp1(TLPAmber, "amber"), tlp1(TLPRed, "red"),
		tlp2(TLP2Clear, "TLP:CLEAR", "clear"), tlp2(TLP2Green, "TLP:GREEN", "green"),
		tlp2(TLP2Amber, "TLP:AMBER", "amber"), tlp2(TLP2AmberStrict, "TLP:AMBER+STRICT", "amber+strict"),
		tlp2(TLP2Red, "TLP:RED", "red"),
	}
	objs := make([]*Object, len(srcs))
	for i, s := range srcs {
		objs[i] = MustParse(s)
	}
	return objs
})

// TLPMarkings returns the TLP 1.0 (white, green, amber, red) and TLP 2.0 (clear, green,
// amber, amber+strict, red) marking definitions, in that order. The caller must not modify
// the slice.
func TLPMarkings() []*Object { return tlpObjects() }

// TLPMarking returns the TLP marking definition with the given id.
func TLPMarking(id ID) (*Object, bool) {
	for _, o := range tlpObjects() {
		if o.id == id {
			return o, true
		}
	}
	return nil, false
}
