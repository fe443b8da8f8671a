package stix_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

func ExampleDecodeBundle() {
	bundle := `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
	  {"type": "identity", "spec_version": "2.1", "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
	   "created": "2016-04-06T20:03:00.000Z", "modified": "2016-04-06T20:03:00.000Z", "name": "ACME"},
	  {"type": "malware", "spec_version": "2.1", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
	   "created": "2016-04-06T20:07:09.000Z", "modified": "2016-04-06T20:07:09.000Z", "name": "Poison Ivy", "is_family": true},
	  {"type": "relationship", "spec_version": "2.1", "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
	   "created": "2016-04-06T20:06:37.000Z", "modified": "2016-04-06T20:06:37.000Z",
	   "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
	   "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
	   "relationship_type": "uses", "source_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
	   "target_ref": "attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5"}
	]}`
	byType := map[string]int{}
	var rel *stix.Object
	for o, err := range stix.DecodeBundle(strings.NewReader(bundle)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		byType[o.Type()]++
		if o.Type() == "relationship" {
			rel = o
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(byType)) {
		fmt.Println(typ, byType[typ])
	}
	for _, r := range rel.Refs() {
		fmt.Println(r)
	}
	// Output:
	// identity 1
	// malware 1
	// relationship 1
	// created_by_ref -> identity--f431f809-377b-45e0-aa1c-6a4751cae5ff
	// object_marking_refs[0] -> marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da
	// source_ref -> malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b
	// target_ref -> attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5
}

func ExampleNewIndicator() {
	created := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	ind, err := stix.NewIndicator("C2 server", "[ipv4-addr:value = '198.51.100.3']", created, stix.Common{
		ID:                "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		Created:           created,
		ObjectMarkingRefs: []stix.ID{stix.TLP2Green},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	v2, err := ind.WithLabel("detection", created.Add(time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v2.ID() == ind.ID(), v2.CreatedRaw(), v2.ModifiedRaw(), v2.Labels())
	fmt.Println(stix.Validate(v2))
	// Output:
	// true 2024-05-01T10:00:00.000Z 2024-05-01T11:00:00.000Z [detection]
	// <nil>
}

func ExampleSCOID() {
	id, err := stix.SCOID([]byte(`{"type":"domain-name","spec_version":"2.1","value":"example.com"}`))
	fmt.Println(id, err)
	// Output:
	// domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7 <nil>
}

func ExampleValidate() {
	o := stix.MustParse(`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
	  "created":"2016-04-06T20:06:37Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"uses",
	  "source_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","object_marking_refs":["TLP:GREEN"]}`)
	fmt.Println(stix.Validate(o))
	// Output:
	// stix: invalid relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad: created: must be precise to the millisecond (e.g. 2024-05-01T10:00:00.000Z); object_marking_refs[0]: identifier "TLP:GREEN": missing "--" between type and UUID; target_ref: required
}
