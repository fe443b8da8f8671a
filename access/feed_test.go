package access

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

func TestAuthorize(t *testing.T) {
	sharing := []Capability{CapAccessDataSharing}
	analyst := &Principal{UserID: "u1", Groups: []string{"g1"}, Organizations: []string{orgA}, Capabilities: sharing}
	noCap := &Principal{UserID: "u1", Groups: []string{"g1"}, Organizations: []string{orgA}}
	bypass := &Principal{UserID: "root", Capabilities: []Capability{CapBypass}}
	childCap := &Principal{UserID: "u1", Capabilities: []Capability{"TAXIIAPI_SETCOLLECTIONS"}}
	emptyID := &Principal{Capabilities: sharing}
	public := &Principal{Name: "anonymous"}

	tests := []struct {
		rule  string
		f     FeedAccess
		p     *Principal
		want  Decision
		runAs *Principal // nil: check only that it is nil unless Allowed
	}{
		{"public feed, no credentials: runs as the public principal", FeedAccess{Public: true, PublicPrincipal: public}, nil, Allowed, public},
		{"public feed, authenticated: runs as the caller", FeedAccess{Public: true, PublicPrincipal: public}, noCap, Allowed, noCap},
		{"public feed ignores authorized members", FeedAccess{Public: true, AuthorizedMembers: []Member{{MemberUser, "other"}}}, analyst, Allowed, analyst},
		{"restricted feed, no credentials: 401", FeedAccess{}, nil, Unauthenticated, nil},
		{"restricted feed needs the data sharing capability", FeedAccess{}, noCap, Forbidden, nil},
		{"restricted feed with the capability", FeedAccess{}, analyst, Allowed, analyst},
		{"a child capability implies data sharing", FeedAccess{}, childCap, Allowed, childCap},
		{"bypass implies data sharing", FeedAccess{}, bypass, Allowed, bypass},
		{"members: the listed user", FeedAccess{AuthorizedMembers: []Member{{MemberUser, "u1"}}}, analyst, Allowed, analyst},
		{"members: a listed group", FeedAccess{AuthorizedMembers: []Member{{MemberUser, "x"}, {MemberGroup, "g1"}}}, analyst, Allowed, analyst},
		{"members: a listed organization", FeedAccess{AuthorizedMembers: []Member{{MemberOrganization, orgA}}}, analyst, Allowed, analyst},
		{"members: no match hides the feed", FeedAccess{AuthorizedMembers: []Member{{MemberUser, "u2"}, {MemberGroup, "g2"}}}, analyst, Hidden, nil},
		{"members: kinds do not mix (a user id is not a group)", FeedAccess{AuthorizedMembers: []Member{{MemberGroup, "u1"}, {MemberOrganization, "g1"}, {MemberUser, orgA}}}, analyst, Hidden, nil},
		{"members: an unknown kind matches nobody", FeedAccess{AuthorizedMembers: []Member{{0, "u1"}, {99, "u1"}}}, analyst, Hidden, nil},
		{"members: an empty id matches nobody", FeedAccess{AuthorizedMembers: []Member{{MemberUser, ""}}}, emptyID, Hidden, nil},
		{"members: the capability is checked first", FeedAccess{AuthorizedMembers: []Member{{MemberUser, "u1"}}}, noCap, Forbidden, nil},
		{"members: bypass passes", FeedAccess{AuthorizedMembers: []Member{{MemberUser, "u2"}}}, bypass, Allowed, bypass},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			runAs, d := tt.f.Authorize(tt.p)
			if d != tt.want {
				t.Fatalf("decision = %v, want %v", d, tt.want)
			}
			if d != Allowed && runAs != nil {
				t.Errorf("principal = %+v for decision %v, want nil", runAs, d)
			}
			if tt.runAs != nil && runAs != tt.runAs {
				t.Errorf("principal = %+v, want %+v", runAs, tt.runAs)
			}
		})
	}
}

func TestAuthorizePublicDefaultPrincipalSeesLittle(t *testing.T) {
	runAs, d := FeedAccess{Public: true}.Authorize(nil)
	if d != Allowed || runAs == nil {
		t.Fatalf("Authorize = %v, %v", runAs, d)
	}
	if runAs.Has(CapBypass) || runAs.Has(CapAccessDataSharing) || len(runAs.Markings.Max)+len(runAs.Markings.Markings) != 0 {
		t.Errorf("default public principal has rights: %+v", runAs)
	}
	v := mustVisibility(t, nil)
	if v.CanSee(runAs, obj("indicator", nil, "")) != true {
		t.Error("default public principal cannot see an unmarked object")
	}
	if v.CanSee(runAs, obj("indicator", []stix.ID{stix.TLP2Clear}, "")) {
		t.Error("default public principal sees a marked object")
	}
}

func TestDecisionStatus(t *testing.T) {
	tests := []struct {
		d    Decision
		want int
	}{
		{Allowed, 200}, {Unauthenticated, 401}, {Forbidden, 403}, {Hidden, 404},
		{0, 403}, {Decision(42), 403}, // unknown decisions fail closed
	}
	for _, tt := range tests {
		if got := tt.d.Status(); got != tt.want {
			t.Errorf("%v.Status() = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestWriteChallenge(t *testing.T) {
	w := httptest.NewRecorder()
	WriteChallenge(w)
	w.WriteHeader(http.StatusUnauthorized)
	if got := w.Result().Header.Get("WWW-Authenticate"); got != "Basic, Bearer" {
		t.Errorf("WWW-Authenticate = %q", got)
	}
}

func TestHas(t *testing.T) {
	tests := []struct {
		rule string
		held []Capability
		c    Capability
		want bool
	}{
		{"exact", []Capability{"TAXIIAPI"}, CapAccessDataSharing, true},
		{"bypass implies everything", []Capability{CapBypass}, CapManageOrganizationSharing, true},
		{"a child implies its parent", []Capability{CapManageOrganizationSharing}, "KNOWLEDGE_KNUPDATE", true},
		{"a parent does not imply its child", []Capability{"KNOWLEDGE"}, CapManageOrganizationSharing, false},
		{"a prefix without _ is not a parent", []Capability{"TAXIIAPIX"}, CapAccessDataSharing, false},
		{"no child of BYPASS implies bypass", []Capability{"BYPASS_ALL"}, CapBypass, false},
		{"the empty capability is never held", []Capability{CapBypass, ""}, "", false},
		{"names are case-sensitive", []Capability{"taxiiapi"}, CapAccessDataSharing, false},
		{"nothing held", nil, CapAccessDataSharing, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			p := &Principal{Capabilities: tt.held}
			if got := p.Has(tt.c); got != tt.want {
				t.Errorf("Has(%q) = %v, want %v", tt.c, got, tt.want)
			}
		})
	}
	var nilP *Principal
	if nilP.Has(CapAccessDataSharing) {
		t.Error("a nil principal has a capability")
	}
}
