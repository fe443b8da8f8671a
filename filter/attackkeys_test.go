package filter_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/stix"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Real ATT&CK objects the new keys are tried on.
const (
	attackWindshift = "intrusion-set--afec6dc3-a18e-4b62-b1a4-5510e1a498d1"  // uses 16 techniques
	attackArchive   = "attack-pattern--e3b936a4-6321-4172-9114-038a866362ec" // used by 12 malware
)

// attackNow is the clock of the ATT&CK goldens: after the bundle's last modification.
var attackNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// TestAttackNewKeys runs the date and relationship keys over MITRE ATT&CK for Mobile through
// a resolver over the bundle, checks each count against one computed independently from the
// encoding/json decoding, and records the matching objects in a golden file, so that a change
// in what a key selects on real data shows in review.
func TestAttackNewKeys(t *testing.T) {
	objs, decoded := attackObjects(t)
	byID := map[string]map[string]any{}
	for _, m := range decoded {
		byID[m["id"].(string)] = m
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	isRel := func(m map[string]any, typ string) bool {
		return m["type"] == "relationship" && (typ == "" || m["relationship_type"] == typ)
	}
	// related reports whether m has a relationship of type typ with id, either direction.
	related := func(m map[string]any, id, typ string) bool {
		for _, r := range decoded {
			if isRel(r, typ) && (str(r, "source_ref") == id && str(r, "target_ref") == m["id"] ||
				str(r, "target_ref") == id && str(r, "source_ref") == m["id"]) {
				return true
			}
		}
		return false
	}
	inWindow := func(m map[string]any, k, from, to string) bool {
		s := str(m, k)
		return s != "" && s >= from && s < to // RFC 3339 in UTC with Z sorts as text
	}
	cases := []struct {
		text string
		want func(m map[string]any) bool
	}{
		{`entity_type = Attack-Pattern and regardingOf = {id = ` + attackWindshift + `, relationship_type = uses}`,
			func(m map[string]any) bool {
				return m["type"] == "attack-pattern" && related(m, attackWindshift, "uses")
			}},
		{`entity_type = Malware and regardingOf = {id = ` + attackArchive + `, relationship_type = uses}`,
			func(m map[string]any) bool { return m["type"] == "malware" && related(m, attackArchive, "uses") }},
		{`regardingOf = {id = ` + attackWindshift + `}`,
			func(m map[string]any) bool { return related(m, attackWindshift, "") }},
		{`connectedToId = ` + attackWindshift,
			func(m map[string]any) bool {
				return m["id"] == attackWindshift || related(m, attackWindshift, "") || refersTo(m, attackWindshift)
			}},
		{`modified within (2024-09-01 or 2024-12-31)`,
			func(m map[string]any) bool { return inWindow(m, "modified", "2024-09-01", "2025-01-01") }},
		{`modified >= now-1y/y and modified < 2025-01-01`, // the start of 2024 at attackNow
			func(m map[string]any) bool { return inWindow(m, "modified", "2024-01-01", "2025-01-01") }},
		{`entity_type = Malware and created < 2018-01-01`,
			func(m map[string]any) bool {
				return m["type"] == "malware" && inWindow(m, "created", "0000", "2018-01-01")
			}},
		{`entity_type = Intrusion-Set and modified > now-6M/M`, // after the end of December 2024
			func(m map[string]any) bool {
				return m["type"] == "intrusion-set" && inWindow(m, "modified", "2025-01-01", "9999")
			}},
	}
	res := newSliceResolver(objs)
	var out strings.Builder
	out.WriteString("# The date and relationship keys on MITRE ATT&CK for Mobile 17.1, now = " + attackNow.Format(time.RFC3339) + ".\n")
	out.WriteString("# Guards what each key selects on real data; counts are also checked against encoding/json.\n")
	for _, c := range cases {
		m := mustCompile(t, c.text, &filter.CompileOptions{Relations: true, Clock: func() time.Time { return attackNow }})
		b, err := m.Bind(context.Background(), filter.BindOptions{Resolver: res})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		want := 0
		for i, o := range objs {
			if b.Match(o, filter.Times{}) {
				names = append(names, describe(o))
			}
			if c.want(decoded[i]) {
				want++
			}
		}
		if len(names) != want || want == 0 {
			t.Errorf("%s: %d objects match, want %d (non-zero)", c.text, len(names), want)
		}
		slices.Sort(names)
		fmt.Fprintf(&out, "\n%s\n%d objects\n", c.text, len(names))
		for _, n := range names {
			out.WriteString("  " + n + "\n")
		}
	}
	golden.Check(t, "testdata/attack_keys.golden", out.String(), *update)
}

// describe names an object for a golden file: type, name (or relationship ends) and id.
func describe(o *stix.Object) string {
	if o.Type() == "relationship" {
		return fmt.Sprintf("relationship %s %s -> %s", o.Get("relationship_type").String(),
			o.Get("source_ref").String(), o.Get("target_ref").String())
	}
	return fmt.Sprintf("%s %q %s", o.Type(), o.Get("name").String(), o.ID())
}

// refersTo reports whether a decoded object holds id in a property named *_ref or *_refs at
// any depth (ATT&CK's collection lists its contents as x_mitre_contents[].object_ref).
func refersTo(v any, id string) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.HasSuffix(k, "_ref") && e == id {
				return true
			}
			if l, ok := e.([]any); ok && strings.HasSuffix(k, "_refs") && slices.Contains(l, any(id)) {
				return true
			}
			if refersTo(e, id) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if refersTo(e, id) {
				return true
			}
		}
	}
	return false
}
