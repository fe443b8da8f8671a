package access_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
)

// A restricted feed limited to one group: the caller authenticates, then the feed decides.
func ExampleFeedAccess_Authorize() {
	auth, err := access.NewStatic(access.StaticOptions{
		Tokens: []access.StaticToken{
			{Token: "analyst-token", Principal: &access.Principal{
				UserID: "user-1", Groups: []string{"group-cti"},
				Capabilities: []access.Capability{access.CapAccessDataSharing},
			}},
			{Token: "intern-token", Principal: &access.Principal{
				UserID: "user-2", Groups: []string{"group-interns"},
				Capabilities: []access.Capability{access.CapAccessDataSharing},
			}},
		},
	})
	if err != nil {
		panic(err)
	}
	feed := access.FeedAccess{AuthorizedMembers: []access.Member{{Kind: access.MemberGroup, ID: "group-cti"}}}

	for _, header := range []string{"", "Bearer analyst-token", "Bearer intern-token", "Bearer wrong"} {
		r := httptest.NewRequest("GET", "/feeds/1", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		p, err := auth.Authenticate(r)
		if err != nil {
			fmt.Printf("%-22q error: %v\n", header, err)
			continue
		}
		_, d := feed.Authorize(p)
		fmt.Printf("%-22q %v %d\n", header, d, d.Status())
	}
	// Output:
	// ""                     Unauthenticated 401
	// "Bearer analyst-token" Allowed 200
	// "Bearer intern-token"  Hidden 404
	// "Bearer wrong"         error: access: invalid credentials
}

// A principal cleared up to TLP:AMBER (either TLP version) plus one explicitly allowed statement.
func ExampleVisibility_CanSee() {
	const statement = stix.ID("marking-definition--4c9e7a2b-0f4e-4a34-9d0b-6f2b1c0d8e11")
	v, err := access.NewVisibility(&access.VisibilityOptions{
		Markings: []access.MarkingDefinition{{ID: statement, Name: "Copyright ACME"}},
	})
	if err != nil {
		panic(err)
	}
	p := &access.Principal{UserID: "user-1", Markings: access.Clearance{
		Max:      []stix.ID{stix.TLP2Amber},
		Markings: []stix.ID{statement},
	}}
	for _, markings := range [][]stix.ID{
		nil,
		{stix.TLPGreen},
		{stix.TLP2Amber, statement},
		{stix.TLP2AmberStrict},
		{stix.TLPRed},
		{"marking-definition--00000000-0000-4000-8000-000000000000"},
	} {
		o, err := stix.NewMalware("Emotet", true, stix.Common{ObjectMarkingRefs: markings})
		if err != nil {
			panic(err)
		}
		fmt.Println(len(markings), v.CanSee(p, o))
	}
	// Output:
	// 0 true
	// 1 true
	// 2 true
	// 1 false
	// 1 false
	// 1 false
}

// A feed screens a page before sending it: a relationship whose stored end the caller may
// not see is held back, and a report loses the references to hidden objects. The feed
// answers the look-ups from its store (here a map), once per page.
func ExampleVisibility_Screen() {
	vis, err := access.NewVisibility(nil)
	if err != nil {
		panic(err)
	}
	page, look := examplePage()
	partner := &access.Principal{Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
	out, err := vis.Screen(context.Background(), partner, page, look)
	if err != nil {
		panic(err)
	}
	for i, o := range out {
		if o == nil {
			fmt.Printf("%s: held back\n", page[i].Type())
			continue
		}
		fmt.Println(strings.TrimSpace(o.Type() + ": sent " + o.Get("object_refs").Raw))
	}
	// Output:
	// malware: sent
	// indicator: held back
	// relationship: held back
	// report: sent ["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]
}

// A listing of ids (a TAXII manifest) needs only the decision: Admit gives it for the page
// without rewriting the report that Screen would rewrite.
func ExampleVisibility_Admit() {
	vis, err := access.NewVisibility(nil)
	if err != nil {
		panic(err)
	}
	page, look := examplePage()
	partner := &access.Principal{Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
	ok, err := vis.AdmitCurrent(context.Background(), partner, page, look)
	if err != nil {
		panic(err)
	}
	for i, o := range page {
		fmt.Println(o.ID(), ok[i])
	}
	// Output:
	// malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b true
	// indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f false
	// relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad false
	// report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3 true
}

// A host's own write path asks the same question TAXII's POST does: may this writer store
// this version, given what is stored? The refusal reads the same whatever the reason.
func ExampleVisibility_CheckWrite() {
	vis, err := access.NewVisibility(nil)
	if err != nil {
		panic(err)
	}
	amber := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + string(stix.TLP2Amber) + `"]}`)
	overwrite, err := amber.NewVersion(amber.Modified().Add(time.Hour), func(m map[string]any) {
		m["object_marking_refs"] = []string{string(stix.TLP2Clear)}
	})
	if err != nil {
		panic(err)
	}
	partner := &access.Principal{Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}
	analyst := &access.Principal{Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}
	for _, w := range []struct {
		name string
		p    *access.Principal
	}{{"partner", partner}, {"analyst", analyst}} {
		err := vis.CheckWrite(context.Background(), w.p, access.Write{Object: overwrite, Current: amber}, nil)
		fmt.Printf("%s: %v (refused: %v)\n", w.name, err, errors.Is(err, access.ErrWriteRefused))
	}
	// Output:
	// partner: indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: refused: this object is beyond your clearance (refused: true)
	// analyst: <nil> (refused: false)
}

// examplePage is a page of current versions as a feed holds them (a malware, a TLP:RED
// indicator of it, the relationship between them and a report naming both), with a
// Lookup over them.
func examplePage() ([]*stix.Object, access.Lookup) {
	red := stix.MustParse(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + string(stix.TLP2Red) + `"]}`)
	malware := stix.MustParse(`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Emotet","is_family":true}`)
	rel := stix.MustParse(`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"` + string(red.ID()) + `","target_ref":"` + string(malware.ID()) + `"}`)
	report := stix.MustParse(`{"type":"report","spec_version":"2.1","id":"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Weekly","published":"2024-01-01T00:00:00Z","object_refs":["` + string(red.ID()) + `","` + string(malware.ID()) + `"]}`)
	stored := map[stix.ID]*stix.Object{red.ID(): red, malware.ID(): malware, rel.ID(): rel, report.ID(): report}
	look := access.LookupFunc(func(_ context.Context, ids []stix.ID, found func(*stix.Object)) error {
		for _, id := range ids {
			if o, ok := stored[id]; ok {
				found(o)
			}
		}
		return nil
	})

	return []*stix.Object{malware, red, rel, report}, look
}
