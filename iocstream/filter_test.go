package iocstream_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/google/go-cmp/cmp"
)

// grammarSample is a small stream with one notification per entity type, placed around
// the date boundaries the filter tests use.
func grammarSample() map[string]*iocstream.Notification {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	return map[string]*iocstream.Notification{
		"file": {ID: "n1", Date: at("2023-02-07T09:00:00Z"), Origin: iocstream.OriginHunting,
			Sources: []iocstream.Source{{Type: iocstream.SourceHuntingRuleset, ID: "rs1"}},
			Tags:    []string{"ruleA", "alice"},
			Entity:  iocstream.Entity{Type: iocstream.EntityFile, ID: "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"}},
		"url": {ID: "n2", Date: at("2023-02-07T10:00:00Z"), Origin: iocstream.OriginSubscriptions,
			Sources: []iocstream.Source{{Type: iocstream.SourceCollection, ID: "col1"}},
			Tags:    []string{"feedX"},
			Entity:  iocstream.Entity{Type: iocstream.EntityURL, ID: "aHR0cDovL2V2aWwuZXhhbXBsZS8"}},
		"domain": {ID: "n3", Date: at("2023-02-06T23:59:59Z"), Origin: iocstream.OriginSubscriptions,
			Sources: []iocstream.Source{{Type: iocstream.SourceThreatActor, ID: "ta1"}},
			Entity:  iocstream.Entity{Type: iocstream.EntityDomain, ID: "evil.example"}},
		"ip": {ID: "n4", Date: at("2023-02-08T00:00:00Z"), Origin: iocstream.OriginHunting,
			Sources: []iocstream.Source{{Type: iocstream.SourceRetrohuntJob, ID: "rj1"}, {Type: iocstream.SourceHuntingRuleset, ID: "rs2"}},
			Tags:    []string{"ruleB"},
			Entity:  iocstream.Entity{Type: iocstream.EntityIPAddress, ID: "2001:db8::1"}},
	}
}

func matching(q *iocstream.Query, sample map[string]*iocstream.Notification) []string {
	var got []string
	for name, n := range sample {
		if q.Match(n) {
			got = append(got, name)
		}
	}
	slices.Sort(got)
	return got
}

func TestParseFilter(t *testing.T) {
	all := []string{"domain", "file", "ip", "url"}
	tests := []struct {
		rule   string
		filter string
		want   []string // names from grammarSample that match, sorted
		canon  string   // Query.String()
	}{
		{"the empty filter matches everything", "", all, ""},
		{"white space alone is the empty filter", " \t ", all, ""},
		{"date with time and + is at or after (the boundary included)", "date:2023-02-07T10:00:00+", []string{"ip", "url"}, "date:2023-02-07T10:00:00+"},
		{"date with time and - is strictly before", "date:2023-02-07T10:00:00-", []string{"domain", "file"}, "date:2023-02-07T10:00:00-"},
		{"date alone with + starts at midnight UTC", "date:2023-02-07+", []string{"file", "ip", "url"}, "date:2023-02-07T00:00:00+"},
		{"date alone with - ends before midnight UTC (the seed's date:2023-02-07- example)", "date:2023-02-07-", []string{"domain"}, "date:2023-02-07T00:00:00-"},
		{"a + and a - bound make a range", "date:2023-02-07+ date:2023-02-08-", []string{"file", "url"}, "date:2023-02-07T00:00:00+ date:2023-02-08T00:00:00-"},
		{"range bounds may come in either order", "date:2023-02-08- date:2023-02-07+", []string{"file", "url"}, "date:2023-02-07T00:00:00+ date:2023-02-08T00:00:00-"},
		{"two + bounds OR: the earlier wins", "date:2023-02-07T10:00:00+ date:2023-02-07+", []string{"file", "ip", "url"}, "date:2023-02-07T00:00:00+"},
		{"two - bounds OR: the later wins", "date:2023-02-07- date:2023-02-07T10:00:00-", []string{"domain", "file"}, "date:2023-02-07T10:00:00-"},
		{"origin hunting", "origin:hunting", []string{"file", "ip"}, "origin:hunting"},
		{"origin subscriptions", "origin:subscriptions", []string{"domain", "url"}, "origin:subscriptions"},
		{"a repeated key ORs its values", "origin:hunting origin:subscriptions", all, "origin:hunting origin:subscriptions"},
		{"entity_id matches the entity's id exactly", "entity_id:evil.example", []string{"domain"}, "entity_id:evil.example"},
		{"entity_id may hold colons (IPv6): only the first colon separates", "entity_id:2001:db8::1", []string{"ip"}, "entity_id:2001:db8::1"},
		{"entity_id of nothing stored matches nothing", "entity_id:other.example", nil, "entity_id:other.example"},
		{"entity_type file", "entity_type:file", []string{"file"}, "entity_type:file"},
		{"entity_type url", "entity_type:url", []string{"url"}, "entity_type:url"},
		{"entity_type domain", "entity_type:domain", []string{"domain"}, "entity_type:domain"},
		{"entity_type ip_address", "entity_type:ip_address", []string{"ip"}, "entity_type:ip_address"},
		{"entity_type repeated ORs", "entity_type:url entity_type:file", []string{"file", "url"}, "entity_type:file entity_type:url"},
		{"source_type hunting_ruleset matches any source of that type", "source_type:hunting_ruleset", []string{"file", "ip"}, "source_type:hunting_ruleset"},
		{"source_type retrohunt_job", "source_type:retrohunt_job", []string{"ip"}, "source_type:retrohunt_job"},
		{"source_type collection", "source_type:collection", []string{"url"}, "source_type:collection"},
		{"source_type threat_actor", "source_type:threat_actor", []string{"domain"}, "source_type:threat_actor"},
		{"source_id matches any source's id", "source_id:rs2", []string{"ip"}, "source_id:rs2"},
		{"source_id repeated ORs", "source_id:rs1 source_id:col1", []string{"file", "url"}, "source_id:col1 source_id:rs1"},
		{"notification_tag matches any tag", "notification_tag:alice", []string{"file"}, "notification_tag:alice"},
		{"notification_tag repeated ORs", "notification_tag:ruleB notification_tag:feedX", []string{"ip", "url"}, "notification_tag:feedX notification_tag:ruleB"},
		{"different keys AND", "origin:hunting entity_type:ip_address", []string{"ip"}, "origin:hunting entity_type:ip_address"},
		{"different keys AND, each ORing its own values", "origin:hunting entity_type:file entity_type:url", []string{"file"}, "origin:hunting entity_type:file entity_type:url"},
		{"contradicting keys match nothing", "origin:hunting source_type:collection", nil, "origin:hunting source_type:collection"},
		{"dates AND with other keys", "date:2023-02-07+ origin:hunting", []string{"file", "ip"}, "date:2023-02-07T00:00:00+ origin:hunting"},
		{"every key at once", "date:2023-02-07+ date:2023-02-09- origin:hunting entity_id:2001:db8::1 entity_type:ip_address source_type:retrohunt_job source_id:rj1 notification_tag:ruleB", []string{"ip"},
			"date:2023-02-07T00:00:00+ date:2023-02-09T00:00:00- origin:hunting entity_id:2001:db8::1 entity_type:ip_address source_type:retrohunt_job source_id:rj1 notification_tag:ruleB"},
		{"tabs and runs of spaces separate tokens", "\torigin:hunting   entity_type:file ", []string{"file"}, "origin:hunting entity_type:file"},
		{"a repeated token counts once", "origin:hunting origin:hunting", []string{"file", "ip"}, "origin:hunting"},
	}
	sample := grammarSample()
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			q, err := iocstream.ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
			}
			if diff := cmp.Diff(tt.want, matching(q, sample)); diff != "" {
				t.Errorf("ParseFilter(%q) matches (-want +got):\n%s", tt.filter, diff)
			}
			if got := q.String(); got != tt.canon {
				t.Errorf("String() = %q, want %q", got, tt.canon)
			}
			// The canonical form parses to a query with the same meaning.
			q2, err := iocstream.ParseFilter(q.String())
			if err != nil {
				t.Fatalf("reparsing %q: %v", q.String(), err)
			}
			if diff := cmp.Diff(matching(q, sample), matching(q2, sample)); diff != "" {
				t.Errorf("canonical form matches differently (-orig +canon):\n%s", diff)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		rule    string
		filter  string
		token   string // FilterError.Token
		message string // a part of the message
	}{
		{"a token needs a colon", "origin:hunting hunting", "hunting", "want key:value"},
		{"a value must not be empty", "origin:", "origin:", "empty"},
		{"an unknown key is rejected", "rule:foo", "rule:foo", "unknown key"},
		{"keys are case-sensitive", "Origin:hunting", "Origin:hunting", "unknown key"},
		{"origin takes hunting or subscriptions only (VirusTotal's own 400 example)", "origin:notHunting", "origin:notHunting", "hunting, subscriptions"},
		{"entity_type takes the four types only", "entity_type:hash", "entity_type:hash", "file, domain, url, ip_address"},
		{"entity_type values are case-sensitive", "entity_type:File", "entity_type:File", "file, domain, url, ip_address"},
		{"source_type takes the four types only", "source_type:ruleset", "source_type:ruleset", "hunting_ruleset, retrohunt_job, collection, threat_actor"},
		{"a date needs a + or - suffix", "date:2023-02-07", "date:2023-02-07", "must end in + (at or after) or - (before)"},
		{"a date whose + was decoded as a space in a URL says so", "date:2023-02-07T10:00:00", "date:2023-02-07T10:00:00", "%2B"},
		{"a date must exist", "date:2023-02-30+", "date:2023-02-30+", "YYYY-MM-DD"},
		{"a date needs two-digit month and day", "date:2023-2-7+", "date:2023-2-7+", "YYYY-MM-DD"},
		{"a time needs seconds", "date:2023-02-07T10:00+", "date:2023-02-07T10:00+", "YYYY-MM-DDTHH:MM:SS"},
		{"a time takes no zone (dates are UTC)", "date:2023-02-07T10:00:00Z+", "date:2023-02-07T10:00:00Z+", "YYYY-MM-DDTHH:MM:SS"},
		{"a time takes no fraction", "date:2023-02-07T10:00:00.5+", "date:2023-02-07T10:00:00.5+", "YYYY-MM-DDTHH:MM:SS"},
		{"a date and a time are one token", "date:2023-02-07 10:00:00+", "date:2023-02-07", "must end"},
		{"a suffix alone is no date", "date:+", "date:+", "YYYY-MM-DD"},
		{"an empty date range is rejected, naming both bounds", "date:2023-02-08+ date:2023-02-07-", "date:2023-02-08+ date:2023-02-07-", "empty"},
		{"a range from a moment to itself is empty", "date:2023-02-07+ date:2023-02-07T00:00:00-", "date:2023-02-07+ date:2023-02-07T00:00:00-", "empty"},
		{"the first bad token is named", "origin:hunting entity_type:file bogus:1 alsobad", "bogus:1", "unknown key"},
		{"an overlong filter is rejected", strings.Repeat("origin:hunting ", iocstream.MaxFilterLen/15+1), strings.Repeat("origin:hunting ", 3)[:32] + "…", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			q, err := iocstream.ParseFilter(tt.filter)
			var fe *iocstream.FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFilter(%q) = %v, %v; want a *FilterError", tt.filter, q, err)
			}
			if fe.Token != tt.token {
				t.Errorf("Token = %q, want %q", fe.Token, tt.token)
			}
			if !strings.Contains(err.Error(), tt.message) || !strings.Contains(err.Error(), tt.token) {
				t.Errorf("error %q should name %q and say %q", err, tt.token, tt.message)
			}
		})
	}
}

func TestQueryAccessors(t *testing.T) {
	q, err := iocstream.ParseFilter("date:2023-02-07+ date:2023-02-08- notification_tag:b notification_tag:a")
	if err != nil {
		t.Fatal(err)
	}
	from, ok := q.From()
	if want := time.Date(2023, 2, 7, 0, 0, 0, 0, time.UTC); !ok || !from.Equal(want) {
		t.Errorf("From() = %v, %v; want %v, true", from, ok, want)
	}
	before, ok := q.Before()
	if want := time.Date(2023, 2, 8, 0, 0, 0, 0, time.UTC); !ok || !before.Equal(want) {
		t.Errorf("Before() = %v, %v; want %v, true", before, ok, want)
	}
	if diff := cmp.Diff([]string{"a", "b"}, q.Values(iocstream.KeyNotificationTag)); diff != "" {
		t.Errorf("Values(notification_tag) (-want +got):\n%s", diff)
	}
	if v := q.Values(iocstream.KeyOrigin); v != nil {
		t.Errorf("Values(origin) = %q, want nil for a key the filter does not name", v)
	}
	var zero iocstream.Query
	if _, ok := zero.From(); ok {
		t.Error("the zero Query has a From bound")
	}
	if !zero.Match(grammarSample()["file"]) {
		t.Error("the zero Query does not match everything")
	}
}
