package csvfeed_test

import (
	"context"
	"encoding/json"
	"flag"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/csvfeed"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// t0 is the start of the fixture's hour of platform time.
var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// clock is a settable clock; the store reads it once per change.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// testStore is a memstore whose writes are stamped with the clock's time.
type testStore struct {
	*memstore.Store
	clock *clock
}

func newStore() *testStore {
	c := &clock{t: t0}
	return &testStore{Store: memstore.New(&memstore.Options{Clock: c.Now, MaxEvents: -1}), clock: c}
}

// putAt stores o with platform time at.
func (s *testStore) putAt(tb testing.TB, at time.Time, o *stix.Object) {
	tb.Helper()
	s.clock.Set(at)
	if _, _, err := s.Put(context.Background(), o); err != nil {
		tb.Fatal(err)
	}
}

func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

func id(typ string, n int) stix.ID {
	return stix.ID(typ + "--00000000-0000-4000-8000-" + pad12(n))
}

func pad12(n int) string {
	const digits = "0123456789"
	b := []byte("000000000000")
	for i := len(b) - 1; n > 0 && i >= 0; i-- {
		b[i] = digits[n%10]
		n /= 10
	}
	return string(b)
}

// common returns fixed properties for object n; created is before the window on purpose:
// feeds select by platform time, not by STIX created.
func common(typ string, n int, markings ...stix.ID) stix.Common {
	return stix.Common{ID: id(typ, n), Created: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), ObjectMarkingRefs: markings}
}

// amber is cleared up to TLP:AMBER: TLP:RED objects are hidden from it.
func amber() *access.Principal {
	return &access.Principal{Name: "amber", UserID: "u-amber", Capabilities: []access.Capability{access.CapAccessDataSharing},
		Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
}

func visibility(tb testing.TB) *access.Visibility {
	return must[*access.Visibility](tb)(access.NewVisibility(nil))
}

// fixture stores, one minute apart from t0 + 1m, an intelligence set with hidden parts:
// TLP:RED objects, and a visible malware reached only through a TLP:RED relationship.
func fixture(tb testing.TB) *testStore {
	s := newStore()
	m := must[*stix.Object](tb)
	kc := []map[string]any{{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"},
		{"kill_chain_name": "mitre-attack", "phase_name": "exfiltration"}}
	objs := []*stix.Object{
		m(stix.NewIdentity("CrowdStrike", "organization", common("identity", 1))),
		m(stix.NewMalware("Emotet", true, common("malware", 2, stix.TLP2Green))),
		m(stix.NewMalware("RedBot", true, common("malware", 3, stix.TLP2Red))),
		m(stix.NewMalware("Dridex", true, common("malware", 4))),
		m(stix.New("indicator", map[string]any{"name": "Emotet C2", "pattern": "[ipv4-addr:value = '198.51.100.7']",
			"pattern_type": "stix", "valid_from": "2024-04-30T00:00:00.000Z", "kill_chain_phases": kc,
			"x_opencti_score": 80, "indicator_types": []string{"malicious-activity"}},
			withLabels(common("indicator", 5, stix.TLP2Green), "c2", "emotet"))),
		m(stix.NewRelationship("indicates", id("indicator", 5), id("malware", 2), common("relationship", 6))),
		// A TLP:RED relationship to a visible malware: Dridex must not show.
		m(stix.NewRelationship("indicates", id("indicator", 5), id("malware", 4), common("relationship", 7, stix.TLP2Red))),
		m(stix.New("indicator", map[string]any{"name": "Shared infrastructure", "pattern": "[domain-name:value = 'evil.example']",
			"pattern_type": "stix", "valid_from": "2024-04-30T00:00:00.000Z", "x_opencti_score": 55}, common("indicator", 8))),
		m(stix.NewRelationship("indicates", id("indicator", 8), id("malware", 2), common("relationship", 9))),
		// A visible relationship to a TLP:RED malware: RedBot must not show.
		m(stix.NewRelationship("indicates", id("indicator", 8), id("malware", 3), common("relationship", 10))),
		m(stix.NewRelationship("uses", id("malware", 2), id("malware", 4), common("relationship", 11))),
		m(stix.New("indicator", map[string]any{"name": "SECRET indicator", "pattern": "[ipv4-addr:value = '192.0.2.66']",
			"pattern_type": "stix", "valid_from": "2024-04-30T00:00:00.000Z"}, common("indicator", 12, stix.TLP2Red))),
		m(stix.New("indicator", map[string]any{"name": "=cmd|' /C calc'!A0", "pattern": "[url:value = 'http://a.example/?q=1,2']",
			"pattern_type": "stix", "valid_from": "2024-04-30T00:00:00.000Z", "description": "line one\r\nline two; \"quoted\""},
			common("indicator", 13))),
		m(stix.New("indicator", map[string]any{"name": "Zürich, 東京 \"beacon\"\nsecond line", "pattern": "[domain-name:value = 'bücher.example']",
			"pattern_type": "stix", "valid_from": "2024-04-30T00:00:00.000Z", "x_opencti_score": -1}, common("indicator", 14))),
		m(stix.NewRelationship("indicates", id("indicator", 14), id("malware", 2), common("relationship", 15))),
		m(stix.NewSCO("file", map[string]any{"name": "invoice, final.pdf", "hashes": map[string]any{
			"MD5": "44d88612fea8a8f36de82e1278abb02f", "SHA-1": "3395856ce81f2b7382dee72602f798b642f14140",
			"SHA-256": "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"}, "size": 68})),
		m(stix.NewSCO("file", map[string]any{"name": "-payload.exe", "hashes": map[string]any{
			"SHA-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}})),
		m(stix.NewSCO("file", map[string]any{"name": "red.bin", "object_marking_refs": []stix.ID{stix.TLP2Red},
			"hashes": map[string]any{"SHA-256": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}})),
		m(stix.NewSCO("ipv4-addr", map[string]any{"value": "198.51.100.7"})),
		m(stix.NewSCO("domain-name", map[string]any{"value": "evil.example"})),
	}
	for i, o := range objs {
		s.putAt(tb, t0.Add(time.Duration(i+1)*time.Minute), o)
	}
	return s
}

func withLabels(c stix.Common, labels ...string) stix.Common { c.Labels = labels; return c }

// compile decodes a definition from JSON and compiles it.
func compile(tb testing.TB, js string) *csvfeed.Feed {
	tb.Helper()
	var def csvfeed.Definition
	if err := json.Unmarshal([]byte(js), &def); err != nil {
		tb.Fatal(err)
	}
	f, err := csvfeed.Compile(def, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}
