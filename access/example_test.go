package access_test

import (
	"fmt"
	"net/http/httptest"

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
