package pgstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

const (
	markA   = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" // TLP:GREEN
	markB   = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" // TLP:AMBER
	authorA = "identity--11111111-1111-4111-8111-111111111111"
	authorB = "identity--22222222-2222-4222-8222-222222222222"
	octiExt = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
	scoExt  = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"
)

// pushdownData is a mix that exercises every candidate the push-down reads: labels in
// mixed case and with spaces, labels and authors in the observable extension, scores at
// the top level, in the extension, as strings, confidence present or not.
func pushdownData(t *testing.T, n int) []*stix.Object {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	labels := []string{"detection", "Detection ", "c2", "phishing", "C2"}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []*stix.Object
	for i := range n {
		extra := map[string]any{}
		c := stix.Common{Created: at}
		for range r.IntN(3) {
			c.Labels = append(c.Labels, pick(labels))
		}
		if r.IntN(2) == 0 {
			c.ObjectMarkingRefs = []stix.ID{stix.ID(pick([]string{markA, markB}))}
		}
		if r.IntN(2) == 0 {
			c.CreatedByRef = stix.ID(pick([]string{authorA, authorB}))
		}
		if r.IntN(2) == 0 {
			extra["confidence"] = r.IntN(101)
		}
		ext := map[string]any{"id": fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)}
		extra["extensions"] = map[string]any{octiExt: ext}
		switch r.IntN(4) {
		case 0:
			extra["x_opencti_score"] = r.IntN(101)
		case 1:
			extra["x_opencti_score"] = fmt.Sprint(r.IntN(101))
		case 2:
			ext["score"] = r.IntN(101)
		}
		c.Extra = extra
		var o *stix.Object
		var err error
		switch i % 3 {
		case 0:
			o, err = stix.NewIndicator(fmt.Sprint("i", i), "[ipv4-addr:value = '203.0.113.1']", at, c)
		case 1:
			o, err = stix.New("malware", map[string]any{"name": fmt.Sprint("m", i), "is_family": false}, c)
		default:
			o, err = stix.New("ipv4-addr", map[string]any{"value": fmt.Sprintf("198.51.100.%d", i%250),
				"extensions": map[string]any{scoExt: map[string]any{"labels": []string{pick(labels)}, "created_by_ref": authorA, "score": r.IntN(101)}}},
				stix.Common{})
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// ScanFilter returns exactly what the scan with Match returns, page by page, for filters
// it pushes down; filters with nothing to push down are ErrUnsupported.
func TestScanFilterEqualsMatch(t *testing.T) {
	s, _ := open(t, nil)
	objs := pushdownData(t, 300)
	for i := 0; i < len(objs); i += 100 { // several transactions: several date_added
		if _, err := s.PutMany(t.Context(), objs[i:i+100]); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		text        string
		unsupported bool
	}{
		{text: "entity_type = Indicator"},
		{text: "entity_type = Indicator and objectLabel = detection"},
		{text: "objectLabel = DETECTION"},
		{text: "objectLabel = (detection and c2)"},
		{text: "objectLabel = (detection or phishing)"},
		{text: "objectMarking = " + markA},
		{text: "createdBy = " + authorA},
		{text: "ids = 00000007-0000-4000-8000-000000000000"},
		{text: "confidence >= 50"},
		{text: "confidence < 20 and objectLabel = c2"},
		{text: "x_opencti_score > 40"},
		{text: "x_opencti_score <= 10 and entity_type = (Indicator or IPv4-Addr)"},
		{text: "objectLabel = detection and (confidence > 90 or x_opencti_score > 90)"},
		{text: "entity_type = Malware or objectLabel = detection", unsupported: true},
		{text: "objectLabel != detection", unsupported: true},
	} {
		t.Run(tc.text, func(t *testing.T) {
			g, err := filter.ParseText(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			m, err := filter.Compile(g, nil)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			for _, order := range []store.Order{store.ByDateAdded, store.ByUpdated} {
				for _, desc := range []bool{false, true} {
					opts := store.ScanOptions{Order: order, Descending: desc, Limit: 7, Match: m.Match, Filter: raw}
					pushed, err := pages(t, func(o store.ScanOptions) (store.Page, error) { return s.ScanFilter(t.Context(), o) }, opts)
					if tc.unsupported {
						if !errors.Is(err, errors.ErrUnsupported) {
							t.Errorf("ScanFilter: %v, want ErrUnsupported", err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					opts.Filter = nil
					scanned, err := pages(t, func(o store.ScanOptions) (store.Page, error) { return s.Scan(t.Context(), o) }, opts)
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(pushed) != fmt.Sprint(scanned) {
						t.Errorf("%s desc=%t: ScanFilter gave %d records %v, Scan with Match %d %v", order, desc, len(pushed), pushed, len(scanned), scanned)
					}
					if len(scanned) == 0 {
						t.Errorf("%s: the data has no match, so the comparison proves nothing", tc.text)
					}
				}
			}
		})
	}
}

// pages returns the ids of every page of a scan.
func pages(t *testing.T, scan func(store.ScanOptions) (store.Page, error), opts store.ScanOptions) ([]stix.ID, error) {
	t.Helper()
	var ids []stix.ID
	for range 1000 {
		p, err := scan(opts)
		if err != nil {
			return nil, err
		}
		if len(p.Records) > opts.Limit {
			t.Fatalf("a page of %d records, limit %d", len(p.Records), opts.Limit)
		}
		for _, r := range p.Records {
			ids = append(ids, r.Object.ID())
		}
		if p.Next == "" {
			return ids, nil
		}
		opts.After = p.Next
	}
	t.Fatal("the scan does not end")
	return nil, nil
}
