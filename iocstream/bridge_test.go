package iocstream_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/google/go-cmp/cmp"
)

// Digests of the empty input, so that the expected ids below can be checked by anyone.
const (
	emptyMD5    = "d41d8cd98f00b204e9800998ecf8427e"
	emptySHA1   = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func sco(typ, props string) *stix.Object {
	return stix.MustParse(fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":"%s--6ba7b810-9dad-51d1-80b4-00c04fd430c8",%s}`, typ, typ, props))
}

func indicator(pattern string) *stix.Object {
	p, _ := json.Marshal(pattern)
	return stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2023-02-07T10:00:00.000Z","modified":"2023-02-07T10:00:00.000Z","pattern_type":"stix","valid_from":"2023-02-07T10:00:00Z","pattern":` + string(p) + `}`)
}

type entity struct {
	Type  iocstream.EntityType
	ID    string
	Attrs string
}

func simplify(es []iocstream.Entity) []entity {
	var out []entity
	for _, e := range es {
		out = append(out, entity{e.Type, e.ID, string(e.Attributes)})
	}
	return out
}

func TestEntitiesFromSTIX(t *testing.T) {
	tests := []struct {
		rule string
		obj  *stix.Object
		want []entity
	}{
		{"a file is identified by its SHA-256 when it has one", sco("file", `"hashes":{"MD5":"`+emptyMD5+`","SHA-1":"`+emptySHA1+`","SHA-256":"`+emptySHA256+`"},"size":0,"name":"empty.txt"`),
			[]entity{{iocstream.EntityFile, emptySHA256, `{"md5":"` + emptyMD5 + `","names":["empty.txt"],"sha1":"` + emptySHA1 + `","sha256":"` + emptySHA256 + `","size":0}`}}},
		{"else by its SHA-1", sco("file", `"hashes":{"MD5":"`+emptyMD5+`","SHA-1":"`+emptySHA1+`"}`),
			[]entity{{iocstream.EntityFile, emptySHA1, `{"md5":"` + emptyMD5 + `","sha1":"` + emptySHA1 + `"}`}}},
		{"else by its MD5", sco("file", `"hashes":{"MD5":"`+emptyMD5+`","SHA-512":"00"}`),
			[]entity{{iocstream.EntityFile, emptyMD5, `{"md5":"` + emptyMD5 + `"}`}}},
		{"hash names and hex digits in any case; ids are lower-case", sco("file", `"hashes":{"sha256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}`),
			[]entity{{iocstream.EntityFile, emptySHA256, `{"sha256":"` + emptySHA256 + `"}`}}},
		{"a URL is identified by its unpadded base64url (VirusTotal's documented example)", sco("url", `"value":"http://www.virustotal.com"`),
			[]entity{{iocstream.EntityURL, "aHR0cDovL3d3dy52aXJ1c3RvdGFsLmNvbQ", `{"url":"http://www.virustotal.com"}`}}},
		{"a domain is lower-cased and loses a trailing dot", sco("domain-name", `"value":"Evil.Example."`), []entity{{iocstream.EntityDomain, "evil.example", ""}}},
		{"an IPv4 address is itself", sco("ipv4-addr", `"value":"198.51.100.7"`), []entity{{iocstream.EntityIPAddress, "198.51.100.7", ""}}},
		{"a /32 is a single IPv4 address", sco("ipv4-addr", `"value":"198.51.100.7/32"`), []entity{{iocstream.EntityIPAddress, "198.51.100.7", ""}}},
		{"an IPv6 address takes its canonical form", sco("ipv6-addr", `"value":"2001:DB8:0::1"`), []entity{{iocstream.EntityIPAddress, "2001:db8::1", ""}}},
		{"an indicator naming a domain", indicator("[domain-name:value = 'evil.example']"), []entity{{iocstream.EntityDomain, "evil.example", ""}}},
		{"an indicator naming a file by a quoted hash name", indicator("[file:hashes.'SHA-256' = '" + emptySHA256 + "']"),
			[]entity{{iocstream.EntityFile, emptySHA256, `{"sha256":"` + emptySHA256 + `"}`}}},
		{"an indicator naming a file by an unquoted hash name", indicator("[file:hashes.MD5 = '" + emptyMD5 + "']"),
			[]entity{{iocstream.EntityFile, emptyMD5, `{"md5":"` + emptyMD5 + `"}`}}},
		{"hashes joined by AND describe one file, named by the strongest", indicator("[file:hashes.MD5 = '" + emptyMD5 + "' AND file:hashes.'SHA-256' = '" + emptySHA256 + "' AND file:name = 'x.exe']"),
			[]entity{{iocstream.EntityFile, emptySHA256, `{"md5":"` + emptyMD5 + `","sha256":"` + emptySHA256 + `"}`}}},
		{"OR inside and between observations names several IoCs, each once", indicator("[url:value = 'http://a.example/' OR ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'b.example'] OR [ipv4-addr:value = '198.51.100.7']"),
			[]entity{{iocstream.EntityURL, "aHR0cDovL2EuZXhhbXBsZS8", `{"url":"http://a.example/"}`}, {iocstream.EntityIPAddress, "198.51.100.7", ""}, {iocstream.EntityDomain, "b.example", ""}}},
		{"escaped quotes and backslashes in values", indicator(`[url:value = 'http://a.example/it\'s\\']`),
			[]entity{{iocstream.EntityURL, "aHR0cDovL2EuZXhhbXBsZS9pdCdzXA", `{"url":"http://a.example/it's\\"}`}}},
		{"white space around tokens", indicator(" [ domain-name:value='c.example' ] "), []entity{{iocstream.EntityDomain, "c.example", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := iocstream.EntitiesFromSTIX(tt.obj)
			if err != nil {
				t.Fatalf("EntitiesFromSTIX: %v", err)
			}
			if diff := cmp.Diff(tt.want, simplify(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEntitiesFromSTIXUnsupported(t *testing.T) {
	tests := []struct {
		rule string
		obj  *stix.Object
	}{
		{"objects of other types", stix.MustParse(`{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2023-02-07T10:00:00.000Z","modified":"2023-02-07T10:00:00.000Z","name":"x","is_family":false}`)},
		{"a file without MD5, SHA-1 or SHA-256", sco("file", `"hashes":{"SHA-512":"00"},"name":"x"`)},
		{"a file with a malformed hash", sco("file", `"hashes":{"SHA-256":"xyz"}`)},
		{"a file with a hash of the wrong length", sco("file", `"hashes":{"SHA-256":"`+emptySHA1+`"}`)},
		{"an IP range", sco("ipv4-addr", `"value":"198.51.100.0/24"`)},
		{"an IPv6 value in ipv4-addr", sco("ipv4-addr", `"value":"2001:db8::1"`)},
		{"a URL without a value", sco("url", `"x_note":"none"`)},
		{"a domain with white space", sco("domain-name", `"value":"a b.example"`)},
		{"a pattern in another language", stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2023-02-07T10:00:00.000Z","modified":"2023-02-07T10:00:00.000Z","pattern_type":"sigma","valid_from":"2023-02-07T10:00:00Z","pattern":"title: x"}`)},
		{"LIKE names no single IoC", indicator("[domain-name:value LIKE '%.example']")},
		{"!= names no IoC", indicator("[domain-name:value != 'a.example']")},
		{"AND between observations describes behaviour", indicator("[domain-name:value = 'a.example'] AND [ipv4-addr:value = '198.51.100.7']")},
		{"FOLLOWEDBY describes behaviour", indicator("[domain-name:value = 'a.example'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7']")},
		{"qualifiers describe behaviour", indicator("[domain-name:value = 'a.example'] WITHIN 5 SECONDS")},
		{"parentheses", indicator("([domain-name:value = 'a.example'])")},
		{"AND across object types", indicator("[domain-name:value = 'a.example' AND ipv4-addr:value = '198.51.100.7']")},
		{"a contradiction on one value", indicator("[domain-name:value = 'a.example' AND domain-name:value = 'b.example']")},
		{"a property that does not identify the object", indicator("[file:size = '5']")},
		{"a range in a pattern", indicator("[ipv4-addr:value = '10.0.0.0/8']")},
		{"an unterminated string", indicator("[domain-name:value = 'a.example]")},
		{"a bad escape", indicator(`[domain-name:value = 'a\x']`)},
		{"an empty pattern", indicator("")},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, err := iocstream.EntitiesFromSTIX(tt.obj)
			if !errors.Is(err, iocstream.ErrUnsupported) {
				t.Errorf("EntitiesFromSTIX = %v, %v; want ErrUnsupported", got, err)
			}
		})
	}
}

func TestFromSTIX(t *testing.T) {
	ind := indicator("[domain-name:value = 'a.example'] OR [domain-name:value = 'b.example']")
	date := time.Date(2023, 2, 7, 10, 0, 0, 0, time.UTC)
	tmpl := &iocstream.Notification{
		Date:    date,
		Origin:  iocstream.OriginSubscriptions,
		Sources: []iocstream.Source{{Type: iocstream.SourceCollection, ID: "live-1", Label: "Live stream"}},
		Tags:    []string{"apt"},
	}
	ns, err := iocstream.FromSTIX(ind, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 || ns[0].Entity.ID != "a.example" || ns[1].Entity.ID != "b.example" {
		t.Fatalf("FromSTIX = %+v; want notifications for a.example and b.example", ns)
	}
	for _, n := range ns {
		if err := n.Validate(); err != nil {
			t.Errorf("FromSTIX made an invalid notification: %v", err)
		}
		if !n.Date.Equal(date) || n.Origin != tmpl.Origin || !cmp.Equal(n.Sources, tmpl.Sources) || !cmp.Equal(n.Tags, tmpl.Tags) {
			t.Errorf("notification %+v does not carry the template's context", n)
		}
	}
	if ns[0].ID == ns[1].ID {
		t.Errorf("two IoCs got one id %q", ns[0].ID)
	}
	again, _ := iocstream.FromSTIX(ind, tmpl)
	if again[0].ID != ns[0].ID {
		t.Errorf("the same object and context gave ids %q then %q; want the same (duplicates must collide)", ns[0].ID, again[0].ID)
	}
	other := *tmpl
	other.Sources = []iocstream.Source{{Type: iocstream.SourceCollection, ID: "live-2"}}
	if third, _ := iocstream.FromSTIX(ind, &other); third[0].ID == ns[0].ID {
		t.Errorf("another source gave the same id %q", ns[0].ID)
	}
	ns[0].Tags[0] = "changed"
	if tmpl.Tags[0] != "apt" {
		t.Error("a notification shares its tags with the template")
	}

	named := *tmpl
	named.ID = "evt-9"
	if got, _ := iocstream.FromSTIX(ind, &named); got[0].ID != "evt-9-1" || got[1].ID != "evt-9-2" {
		t.Errorf("ids from a template id: %q, %q; want evt-9-1, evt-9-2", got[0].ID, got[1].ID)
	}
	if got, _ := iocstream.FromSTIX(indicator("[domain-name:value = 'a.example']"), &named); got[0].ID != "evt-9" {
		t.Errorf("id of a single IoC from a template id: %q; want evt-9", got[0].ID)
	}

	hunting := &iocstream.Notification{Origin: iocstream.OriginHunting, Hunting: &iocstream.HuntingInfo{RuleName: "r1"},
		Sources: []iocstream.Source{{Type: iocstream.SourceHuntingRuleset, ID: "rs1"}}}
	before := time.Now().Add(-time.Second)
	hs, err := iocstream.FromSTIX(sco("ipv4-addr", `"value":"198.51.100.7"`), hunting)
	if err != nil {
		t.Fatal(err)
	}
	if hs[0].Date.Before(before) || hs[0].Hunting.RuleName != "r1" {
		t.Errorf("hunting notification %+v: want a date of now and the hunting info", hs[0])
	}

	_, err = iocstream.FromSTIX(ind, &iocstream.Notification{})
	if !errors.Is(err, iocstream.ErrInvalid) {
		t.Errorf("FromSTIX with no origin: %v, want ErrInvalid", err)
	}
	_, err = iocstream.FromSTIX(ind, nil)
	if !errors.Is(err, iocstream.ErrInvalid) {
		t.Errorf("FromSTIX with a nil template: %v, want ErrInvalid", err)
	}
}
