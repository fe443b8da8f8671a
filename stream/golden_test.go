package stream_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/stream"
)

// goldenScenario is one transcript under stream/testdata; guards opens the file and says
// which behaviour it pins down.
type goldenScenario struct {
	name, guards string
	opts         func(t *testing.T) harnessOptions
	run          func(t *testing.T, h *harness)
}

func TestGoldenScenarios(t *testing.T) {
	for _, sc := range goldenScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			h := newHarness(t, sc.opts(t))
			h.out.WriteString("# guards: " + sc.guards + "\n")
			sc.run(t, h)
			golden.Check(t, filepath.Join("testdata", sc.name+".golden"), h.out.String(), *update)
		})
	}
}

// tick advances the shared clock.
func (h *harness) tick(d time.Duration) time.Time {
	h.now = h.now.Add(d)
	return h.now
}

func indicatorsLabelled(t *testing.T, o stream.Options) harnessOptions {
	return harnessOptions{def: stream.Definition{Filters: mustGroup(t, "entity_type = Indicator and objectLabel = detection"),
		Defaults: o}}
}

func goldenScenarios() []goldenScenario {
	return []goldenScenario{
		{
			name:   "cache-expiry",
			guards: "dependencies sent within the 5-minute cache lifetime are not sent again; after it they are (fake clock), and the entering object is always sent.",
			opts:   func(t *testing.T) harnessOptions { return indicatorsLabelled(t, stream.Options{NoDependencies: true}) },
			run: func(t *testing.T, h *harness) {
				author := identity(t, 1, "CrowdStrike")
				h.section("t0: TLP:GREEN and CrowdStrike stored (not for the stream)")
				h.put(tlp(stix.TLPGreen), author)
				c := common("indicator", 1, author.ID(), stix.TLPGreen)
				c.Labels = []string{"detection"}
				h.section("T = t0+1s: indicator 1 enters: its dependencies come first")
				h.tick(time.Second)
				h.put(indicator(t, 1, "first", c))
				h.section("T+4m: indicator 2 with the same dependencies: they are cached")
				h.tick(4 * time.Minute)
				c.ID = oid("indicator", 2)
				h.put(indicator(t, 2, "second", c))
				h.section("T+5m: exactly 5 minutes after the dependencies were sent: expired, sent again")
				h.tick(time.Minute)
				c.ID = oid("indicator", 3)
				h.put(indicator(t, 3, "third", c))
				h.section("T+5m+1s: sent again 1s ago: cached")
				h.tick(time.Second)
				c.ID = oid("indicator", 4)
				h.put(indicator(t, 4, "fourth", c))
			},
		},
		{
			name:   "report-contents",
			guards: "a report's object_refs pull in its contents as dependencies (resolution off too), each after what it references, a relationship after both its ends.",
			opts: func(t *testing.T) harnessOptions {
				return harnessOptions{def: stream.Definition{Filters: mustGroup(t, "entity_type = Report"),
					Defaults: stream.Options{NoDependencies: true}}}
			},
			run: func(t *testing.T, h *harness) {
				author := identity(t, 1, "CERT-EU")
				ind := indicator(t, 1, "Emotet C2", common("indicator", 1, author.ID(), stix.TLPGreen))
				mal := malware(t, 1, "Emotet", common("malware", 1, ""))
				rel := relationship(t, 1, "indicates", ind.ID(), mal.ID(), common("relationship", 1, author.ID()))
				h.section("contents stored: not for the stream")
				h.put(tlp(stix.TLPGreen), author, ind, mal, rel)
				h.section("report created: contents first (the relationship after its ends), then the report")
				h.tick(time.Second)
				rep := ok(t)(stix.NewReport("Emotet campaign", t0, []stix.ID{rel.ID(), ind.ID(), mal.ID(), oid("note", 404)},
					common("report", 1, author.ID(), stix.TLPGreen)))
				h.note("object_refs: the relationship, the indicator, the malware, and a note that is not stored (left dangling)")
				h.put(rep)
			},
		},
		{
			name:   "sighting",
			guards: "a sighting of a matching object is sent with resolution on (as a dependency of the object), after the object and the identity where it was sighted; with the object leaving, it is deleted first.",
			opts:   func(t *testing.T) harnessOptions { return indicatorsLabelled(t, stream.Options{}) },
			run: func(t *testing.T, h *harness) {
				where := identity(t, 2, "ACME Bank")
				c := common("indicator", 1, "")
				c.Labels = []string{"detection"}
				ind := indicator(t, 1, "Emotet C2", c)
				h.section("identity stored; indicator enters")
				h.put(where, ind)
				h.section("sighting of the indicator at ACME Bank created: the sighting event is sent")
				h.tick(time.Second)
				sc := common("sighting", 1, "")
				sig := ok(t)(stix.NewSighting(ind.ID(), []stix.ID{where.ID()}, sc))
				h.put(sig)
				h.section("indicator leaves (label removed): the sighting is deleted first")
				h.tick(time.Second)
				ind2 := unlabel(t, ind, h.now, "detection")
				h.put(ind2)
				h.section("indicator enters again: the sighting comes back with it")
				h.tick(time.Second)
				h.put(relabel(t, ind2, h.now, "detection"))
			},
		},
		{
			name:   "marking-beyond-clearance",
			guards: "a dependency marked beyond the principal's clearance is never sent, and neither is a relationship to it; the referring object still is (dangling reference).",
			opts: func(t *testing.T) harnessOptions {
				o := indicatorsLabelled(t, stream.Options{})
				o.principal = &access.Principal{UserID: "green-only", Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
				return o
			},
			run: func(t *testing.T, h *harness) {
				secretAuthor := identity(t, 1, "Secret source", stix.TLPRed)
				secretMal := malware(t, 1, "Secret implant", common("malware", 1, "", stix.TLPRed))
				openMal := malware(t, 2, "Emotet", common("malware", 2, "", stix.TLPGreen))
				c := common("indicator", 1, secretAuthor.ID(), stix.TLPGreen)
				ind := indicator(t, 1, "Emotet C2", c)
				h.section("setup: a RED author, a RED malware, a GREEN malware, the indicator (no label), two relationships")
				h.put(tlp(stix.TLPGreen), tlp(stix.TLPRed), secretAuthor, secretMal, openMal, ind,
					relationship(t, 1, "indicates", ind.ID(), secretMal.ID(), common("relationship", 1, "", stix.TLPGreen)),
					relationship(t, 2, "indicates", ind.ID(), openMal.ID(), common("relationship", 2, "", stix.TLPGreen)))
				h.section("indicator enters: no RED object, no relationship to one; created_by_ref left dangling")
				h.tick(time.Second)
				h.put(relabel(t, ind, h.now, "detection"))
				h.section("the indicator is raised to RED: it leaves; the delete carries the last GREEN version")
				h.tick(time.Second)
				cur, _ := h.st.Get(h.ctx, ind.ID())
				red := edit(t, cur.Object, h.now, func(m map[string]any) { m["object_marking_refs"] = []string{string(stix.TLPRed)} })
				h.put(red)
				for _, m := range h.all[len(h.all)-1:] {
					h.note("delete's object_marking_refs: " + m.Object.Get("object_marking_refs").Raw)
				}
			},
		},
		{
			name:   "organization-segregation",
			guards: "with organization segregation on, objects granted to another organization are never sent (nor relationships to them) and granted_refs is stripped from what is sent.",
			opts: func(t *testing.T) harnessOptions {
				o := indicatorsLabelled(t, stream.Options{})
				o.vis = &access.VisibilityOptions{EnforceOrganizations: true}
				o.principal = &access.Principal{UserID: "acme-analyst", Organizations: []string{string(oid("identity", 1))},
					Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
				return o
			},
			run: func(t *testing.T, h *harness) {
				acme, other := identity(t, 1, "ACME"), identity(t, 2, "Other Corp")
				mine := common("indicator", 1, "")
				mine.Labels = []string{"detection"}
				theirs := mine
				theirs.ID = oid("indicator", 2)
				theirMal := malware(t, 1, "Their malware", granted(common("malware", 1, ""), other.ID()))
				h.section("setup: organizations ACME (the principal's) and Other Corp; malware granted to Other Corp")
				h.put(acme, other, theirMal)
				h.section("indicator granted to Other Corp enters the filters: not for this principal")
				h.tick(time.Second)
				h.put(indicator(t, 2, "theirs", granted(theirs, other.ID())))
				h.section("indicator granted to ACME: sent, without granted_refs")
				h.tick(time.Second)
				ind := indicator(t, 1, "mine", granted(mine, acme.ID()))
				h.put(ind)
				h.note("sent: " + h.all[len(h.all)-1].Object.String())
				h.section("relationship from ACME's indicator to Other Corp's malware: not sent")
				h.tick(time.Second)
				h.put(relationship(t, 1, "indicates", ind.ID(), theirMal.ID(), common("relationship", 1, "")))
			},
		},
		{
			name:   "update-keeps-matching",
			guards: "an update that keeps matching is an update with RFC 6902 patch and reverse patch; a new reference it makes is sent first as a dependency.",
			opts:   func(t *testing.T) harnessOptions { return indicatorsLabelled(t, stream.Options{NoDependencies: true}) },
			run: func(t *testing.T, h *harness) {
				c := common("indicator", 1, "")
				c.Labels = []string{"detection"}
				ind := indicator(t, 1, "Emotet C2", c)
				h.section("indicator enters")
				h.put(ind)
				h.section("renamed and given a second label: update")
				h.tick(time.Second)
				v2 := edit(t, ind, h.now, func(m map[string]any) {
					m["name"] = "Emotet C2 (confirmed)"
					m["labels"] = []string{"detection", "botnet"}
				})
				h.put(v2)
				h.section("given an author and TLP:GREEN: the new dependencies first, then the update")
				h.put(identity(t, 1, "CrowdStrike"), tlp(stix.TLPGreen)) // not for the stream
				h.tick(time.Second)
				v3 := edit(t, v2, h.now, func(m map[string]any) {
					m["created_by_ref"] = string(oid("identity", 1))
					m["object_marking_refs"] = []string{string(stix.TLPGreen)}
					delete(m, "description")
				})
				h.put(v3)
			},
		},
		{
			name:   "deletions-off",
			guards: "with deletions off (listen-delete=false) nothing is sent when an object leaves or is deleted, and an object entering again is sent as a create.",
			opts: func(t *testing.T) harnessOptions {
				return indicatorsLabelled(t, stream.Options{NoDeletions: true})
			},
			run: func(t *testing.T, h *harness) {
				mal := malware(t, 1, "Emotet", common("malware", 1, ""))
				ind := indicator(t, 1, "Emotet C2", common("indicator", 1, ""))
				h.section("setup: malware, indicator (no label), relationship")
				h.put(mal, ind, relationship(t, 1, "indicates", ind.ID(), mal.ID(), common("relationship", 1, "")))
				h.section("indicator enters")
				h.tick(time.Second)
				ind = relabel(t, ind, h.now, "detection")
				h.put(ind)
				h.section("indicator leaves: nothing")
				h.tick(time.Second)
				ind = unlabel(t, ind, h.now, "detection")
				h.put(ind)
				h.section("indicator enters again: create (its relationship is still cached: not sent again)")
				h.tick(time.Second)
				h.put(relabel(t, ind, h.now, "detection"))
				h.section("indicator deleted: nothing")
				h.tick(time.Second)
				h.del(ind.ID())
			},
		},
		{
			name:   "relationship-after-end",
			guards: "with resolution on, a relationship created, updated and deleted after its end already matches is sent as create, update and delete marked as dependencies (OpenCTI's init-dependencies: it is sent for its end), its other end first; with a hidden other end it is not.",
			opts:   func(t *testing.T) harnessOptions { return indicatorsLabelled(t, stream.Options{}) },
			run: func(t *testing.T, h *harness) {
				c := common("indicator", 1, "")
				c.Labels = []string{"detection"}
				ind := indicator(t, 1, "Emotet C2", c)
				mal := malware(t, 1, "Emotet", common("malware", 1, ""))
				h.section("indicator enters; malware stored (not for the stream)")
				h.put(ind, mal)
				h.section("relationship indicates created: the malware first, then the relationship")
				h.tick(time.Second)
				rel := relationship(t, 1, "indicates", ind.ID(), mal.ID(), common("relationship", 1, ""))
				h.put(rel)
				h.section("relationship updated: update")
				h.tick(time.Second)
				rel = edit(t, rel, h.now, func(m map[string]any) { m["description"] = "C2 of the botnet" })
				h.put(rel)
				h.section("relationship deleted: delete")
				h.tick(time.Second)
				h.del(rel.ID())
				h.section("relationship to a RED malware (beyond clearance): nothing")
				h.put(tlp(stix.TLPRed), malware(t, 2, "Hidden", common("malware", 2, "", stix.TLPRed)))
				h.tick(time.Second)
				h.put(relationship(t, 2, "indicates", ind.ID(), oid("malware", 2), common("relationship", 2, "")))
				h.section("relationship between two objects that do not match: nothing")
				h.tick(time.Second)
				h.put(relationship(t, 3, "related-to", mal.ID(), oid("malware", 2), common("relationship", 3, "")))
			},
		},
		{
			name:   "merge",
			guards: "a merge whose target matches is one merge message with the visible sources after the target's dependencies; a merge whose target does not match deletes the sources that matched.",
			opts: func(t *testing.T) harnessOptions {
				o := harnessOptions{def: stream.Definition{Filters: mustGroup(t, "entity_type = Malware and objectLabel = tracked")}}
				o.principal = &access.Principal{UserID: "green-only", Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
				return o
			},
			run: func(t *testing.T, h *harness) {
				author := identity(t, 1, "CrowdStrike")
				tracked := func(n int, name string, markings ...stix.ID) *stix.Object {
					c := common("malware", n, author.ID(), markings...)
					c.Labels = []string{"tracked"}
					return malware(t, n, name, c)
				}
				a, b, hidden := tracked(1, "Emotet"), tracked(2, "Heodo"), tracked(3, "Geodo", stix.TLPRed)
				h.section("setup: three tracked malware, one of them RED (beyond clearance)")
				h.put(tlp(stix.TLPRed), author, a, b, hidden)
				h.section("Heodo and the RED Geodo merged into Emotet: merge lists only Heodo")
				h.tick(time.Second)
				h.merge(edit(t, a, h.now, func(m map[string]any) { m["aliases"] = []string{"Heodo", "Geodo"} }), b.ID(), hidden.ID())
				c, d := tracked(4, "Trickbot"), tracked(5, "TrickLoader")
				h.section("two more tracked malware")
				h.put(c, d)
				h.section("TrickLoader merged into Trickbot, whose new version drops the label: both deleted")
				h.tick(time.Second)
				h.merge(unlabel(t, c, h.now, "tracked"), d.ID())
			},
		},
		{
			name:   "recovery",
			guards: "recovery sends every member whose last change lies in [since, until) as creates after their dependencies, and warms the cache so live events do not repeat them.",
			opts:   func(t *testing.T) harnessOptions { return indicatorsLabelled(t, stream.Options{}) },
			run: func(t *testing.T, h *harness) {
				author := identity(t, 1, "CrowdStrike")
				mal := malware(t, 1, "Emotet", common("malware", 1, ""))
				h.section("setup at t0: author, malware, TLP:GREEN")
				h.st.Put(h.ctx, author)
				h.st.Put(h.ctx, mal)
				h.st.Put(h.ctx, tlp(stix.TLPGreen))
				mk := func(n int, name string) *stix.Object {
					c := common("indicator", n, author.ID(), stix.TLPGreen)
					c.Labels = []string{"detection"}
					return indicator(t, n, name, c)
				}
				h.tick(time.Minute)
				since := h.now
				h.st.Put(h.ctx, mk(1, "in the window"))
				h.st.Put(h.ctx, relationship(t, 1, "indicates", oid("indicator", 1), mal.ID(), common("relationship", 1, "")))
				h.tick(time.Minute)
				h.st.Put(h.ctx, mk(2, "also in the window"))
				h.st.Put(h.ctx, ok(t)(stix.NewIndicator("not labelled", "[ipv4-addr:value = '203.0.113.1']", t0, common("indicator", 3, ""))))
				h.tick(time.Minute)
				until := h.now
				h.st.Put(h.ctx, mk(4, "after the window"))
				b, _ := h.st.Bounds(h.ctx)
				h.after = b.Last
				h.section("Recover [t0+1m, t0+3m): indicators 1 and 2 with their dependencies, as creates")
				msgs, err := h.sub.Recover(h.ctx, h.st, since, until, b.Last)
				if err != nil {
					t.Fatal(err)
				}
				h.write(msgs)
				h.section("live: indicator 1 updated: an update, no dependency repeated")
				h.tick(time.Second)
				cur, _ := h.st.Get(h.ctx, oid("indicator", 1))
				h.put(edit(t, cur.Object, h.now, func(m map[string]any) { m["description"] = "seen again" }))
			},
		},
		{
			name:   "inferences",
			guards: "inferred objects (OpenCTI's is_inferred) are skipped, as dependencies too, unless with-inferences is set.",
			opts:   func(t *testing.T) harnessOptions { return indicatorsLabelled(t, stream.Options{}) },
			run: func(t *testing.T, h *harness) {
				mal := malware(t, 1, "Emotet", common("malware", 1, ""))
				ind := indicator(t, 1, "Emotet C2", common("indicator", 1, ""))
				h.section("setup: an inferred and an asserted relationship of the indicator")
				h.put(mal, ind,
					relationship(t, 1, "indicates", ind.ID(), mal.ID(), inferred(common("relationship", 1, ""))),
					relationship(t, 2, "related-to", ind.ID(), mal.ID(), common("relationship", 2, "")))
				h.section("indicator enters: only the asserted relationship")
				h.tick(time.Second)
				h.put(relabel(t, ind, h.now, "detection"))
				h.section("an inferred indicator enters the filters: nothing")
				c := inferred(common("indicator", 2, ""))
				c.Labels = []string{"detection"}
				h.put(indicator(t, 2, "inferred", c))
				h.section("with-inferences set (SetDefinition): another inferred indicator is sent, then its inferred relationship")
				def := h.sub.Definition()
				def.Defaults.WithInferences = true
				if err := h.sub.SetDefinition(def); err != nil {
					t.Fatal(err)
				}
				h.tick(time.Second)
				c.ID = oid("indicator", 3)
				ind3 := indicator(t, 3, "inferred too", c)
				h.put(ind3)
				h.put(relationship(t, 3, "indicates", ind3.ID(), mal.ID(), inferred(common("relationship", 3, ""))))
			},
		},
	}
}
