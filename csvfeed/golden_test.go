package csvfeed_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/internal/sharedtest"
	"github.com/ctifeed/ctifeed/stix"
)

// TestGolden renders typical feeds over the fixture's hour as a principal cleared up to
// TLP:AMBER. Each golden file was produced with -update and reviewed.
func TestGolden(t *testing.T) {
	s := fixture(t)
	vis := visibility(t)
	tests := []struct {
		file   string
		why    string
		def    string
		hidden []string // never in the file
	}{{
		file: "indicators.csv",
		why: "an indicator feed with a header: nested and list properties (labels joined with the " +
			"multi-match separator, kill chain phases read through an array), numbers, formula " +
			"neutralisation, quoting of separators, quotes, CR/LF and non-ASCII text; TLP:RED hidden",
		def: `{"id":"indicators","name":"Indicators","feed_types":["Indicator"],"include_header":true,
		  "feed_attributes":[
		    {"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"}]},
		    {"attribute":"pattern","mappings":[{"type":"Indicator","attribute":"pattern"}]},
		    {"attribute":"labels","multi_match_separator":"|","mappings":[{"type":"Indicator","attribute":"labels"}]},
		    {"attribute":"phases","mappings":[{"type":"Indicator","attribute":"kill_chain_phases.phase_name"}]},
		    {"attribute":"score","mappings":[{"type":"Indicator","attribute":"x_opencti_score"}]},
		    {"attribute":"description","mappings":[{"type":"Indicator","attribute":"description"}]}]}`,
		hidden: []string{"SECRET", "192.0.2.66"},
	}, {
		file: "observables.csv",
		why: "observables of three types in one feed, a per-type mapping for each column, hashes " +
			"read with OpenCTI's case-insensitive key (hashes.sha-256 finds SHA-256) and with a " +
			"dotted path; a type without a mapping gets an empty cell, never a shifted row",
		def: `{"id":"observables","name":"Observables","feed_types":["StixFile","IPv4-Addr","Domain-Name"],"include_header":true,
		  "feed_attributes":[
		    {"attribute":"type","mappings":[{"type":"StixFile","attribute":"type"},{"type":"IPv4-Addr","attribute":"type"},{"type":"Domain-Name","attribute":"type"}]},
		    {"attribute":"value","mappings":[{"type":"StixFile","attribute":"name"},{"type":"IPv4-Addr","attribute":"value"},{"type":"Domain-Name","attribute":"value"}]},
		    {"attribute":"md5","mappings":[{"type":"StixFile","attribute":"hashes.MD5"}]},
		    {"attribute":"sha256","mappings":[{"type":"StixFile","attribute":"hashes.sha-256"}]}]}`,
		hidden: []string{"red.bin", "ffffffff"},
	}, {
		file: "relationships.csv",
		why: "neighbour columns: the malware an indicator indicates (list and first), and for a " +
			"malware the indicators that indicate it (the other direction); neighbours reached " +
			"through a TLP:RED relationship (Dridex) or being TLP:RED (RedBot) never appear",
		def: `{"id":"related","name":"Related","feed_types":["Indicator","Malware"],"include_header":true,
		  "feed_attributes":[
		    {"attribute":"type","mappings":[{"type":"Indicator","attribute":"type"},{"type":"Malware","attribute":"type"}]},
		    {"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"},{"type":"Malware","attribute":"name"}]},
		    {"attribute":"related","multi_match_strategy":"list","multi_match_separator":" | ","mappings":[
		      {"type":"Indicator","attribute":"name","relationship_type":"indicates","target_entity_type":"Malware"},
		      {"type":"Malware","attribute":"name","relationship_type":"indicates","target_entity_type":"Indicator"}]},
		    {"attribute":"first_related","multi_match_strategy":"first","mappings":[
		      {"type":"Indicator","attribute":"name","relationship_type":"indicates","target_entity_type":"Malware"},
		      {"type":"Malware","attribute":"name","relationship_type":"indicates","target_entity_type":"Indicator"}]}]}`,
		hidden: []string{"RedBot", "SECRET", "Emotet,Dridex", "Emotet | Dridex"},
	}, {
		file: "separator.csv",
		why:  "a custom separator (;) without a header, and a filter: cells holding ; are quoted, commas are not",
		def: `{"id":"semicolon","name":"Semicolon","feed_types":["Indicator","Url"],"separator":";",
		  "filters":{"mode":"and","filters":[{"key":["pattern"],"values":["example"],"operator":"contains"}],"filterGroups":[]},
		  "feed_attributes":[
		    {"attribute":"name","mappings":[{"type":"Indicator","attribute":"name"}]},
		    {"attribute":"pattern","mappings":[{"type":"Indicator","attribute":"pattern"}]},
		    {"attribute":"description","mappings":[{"type":"Indicator","attribute":"description"}]}]}`,
		hidden: []string{"Emotet C2", "SECRET"},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := compile(t, tt.def)
			file, err := f.Generate(context.Background(), s, vis, amber(), windowAll())
			if err != nil {
				t.Fatal(err)
			}
			got := file.String()
			golden.Check(t, filepath.Join("testdata", tt.file), got, *update)
			for _, secret := range tt.hidden {
				if strings.Contains(got, secret) {
					t.Errorf("%q must not be in the file", secret)
				}
			}
			// Every file reads back as rectangular CSV with encoding/csv.
			r := csv.NewReader(strings.NewReader(got))
			if sep := f.Definition().Separator; sep != "" {
				r.Comma = rune(sep[0])
			}
			if _, err := r.ReadAll(); err != nil {
				t.Errorf("encoding/csv cannot read the file: %v", err)
			}
		})
	}
}

// windowAll covers the fixture's hour.
func windowAll() csvfeed.Window { return csvfeed.Window{Since: t0, Until: t0.Add(time.Hour)} }

// TestGoldenAttack renders a feed over real data, MITRE ATT&CK for Mobile: the 25 most
// recently stored malware with their ATT&CK id, platforms and the techniques they use
// (neighbours through "uses" relationships). Every object carries MITRE's statement
// marking, which a principal must be cleared for explicitly; without it the file is empty.
func TestGoldenAttack(t *testing.T) {
	path := sharedtest.AttackBundle(t)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	s := newStore()
	at := t0
	for o, err := range stix.DecodeBundle(fh) {
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Millisecond)
		s.putAt(t, at, o)
	}
	f := compile(t, `{"id":"attack","name":"ATT&CK malware","feed_types":["Malware"],"include_header":true,"max_rows":25,
	  "feed_attributes":[
	    {"attribute":"name","mappings":[{"type":"Malware","attribute":"name"}]},
	    {"attribute":"attack_id","multi_match_strategy":"first","mappings":[{"type":"Malware","attribute":"external_references.external_id"}]},
	    {"attribute":"platforms","multi_match_separator":"|","mappings":[{"type":"Malware","attribute":"x_mitre_platforms"}]},
	    {"attribute":"techniques","multi_match_separator":"|","mappings":[{"type":"Malware","attribute":"name",
	      "relationship_type":"uses","target_entity_type":"Attack-Pattern"}]}]}`)
	mitre := stix.ID("marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168")
	cleared := &access.Principal{Name: "mitre", Markings: access.Clearance{Markings: []stix.ID{mitre}}}
	file := must[*csvfeed.File](t)(f.Generate(context.Background(), s, visibility(t), cleared, csvfeed.Window{}))
	if file.Rows != 25 || !file.Truncated {
		t.Errorf("Rows %d Truncated %t, want 25 of 117", file.Rows, file.Truncated)
	}
	golden.Check(t, filepath.Join("testdata", "attack-malware.csv"), file.String(), *update)

	none := must[*csvfeed.File](t)(f.Generate(context.Background(), s, visibility(t), amber(), csvfeed.Window{}))
	if none.Rows != 0 {
		t.Errorf("a principal not cleared for MITRE's marking got %d rows", none.Rows)
	}
}
