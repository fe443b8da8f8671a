package taxii_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/storetest"
	"github.com/ctifeed/ctifeed/taxii"
)

// The boundary fixture: two organizations, a partner cleared to TLP:GREEN in Blue and an
// analyst cleared to TLP:AMBER in Red, and objects each of them may not see.
const (
	bOrgRed      stix.ID = "identity--a0000000-0000-4000-8000-000000000001"
	bOrgBlue     stix.ID = "identity--a0000000-0000-4000-8000-000000000002"
	bAmber       stix.ID = "indicator--b0000000-0000-4000-8000-000000000001" // TLP:AMBER
	bRedOnly     stix.ID = "indicator--b0000000-0000-4000-8000-000000000002" // granted to Red
	bClear       stix.ID = "indicator--b0000000-0000-4000-8000-000000000003" // TLP:CLEAR
	bFile        stix.ID = "file--b0000000-0000-4000-8000-000000000004"      // TLP:AMBER observable
	bMalware     stix.ID = "malware--b0000000-0000-4000-8000-000000000005"   // TLP:CLEAR
	bRelAmber    stix.ID = "relationship--b0000000-0000-4000-8000-000000000006"
	bRelBasedOn  stix.ID = "relationship--b0000000-0000-4000-8000-000000000007"
	bRelRedOnly  stix.ID = "relationship--b0000000-0000-4000-8000-000000000008"
	bRelClear    stix.ID = "relationship--b0000000-0000-4000-8000-000000000009"
	bRelDangling stix.ID = "relationship--b0000000-0000-4000-8000-00000000000a"
	bSighting    stix.ID = "sighting--b0000000-0000-4000-8000-00000000000b"
	bReport      stix.ID = "report--b0000000-0000-4000-8000-00000000000c"
	bCollection          = "c0000000-0000-4000-8000-000000000001"
)

type boundaryFixture struct {
	store *memstore.Store
	srv   *httptest.Server
}

func newBoundaryFixture(t *testing.T) *boundaryFixture {
	t.Helper()
	ctx := context.Background()
	clock := &stepClock{t: t0, tick: time.Millisecond}
	st := memstore.New(&memstore.Options{Clock: clock.now})
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := func(id stix.ID, marking stix.ID, grant stix.ID) stix.Common {
		cm := stix.Common{ID: id, Created: day}
		if marking != "" {
			cm.ObjectMarkingRefs = []stix.ID{marking}
		}
		if grant != "" {
			cm.Extra = map[string]any{"x_opencti_granted_refs": []stix.ID{grant}}
		}
		return cm
	}
	objs := []*stix.Object{
		must(stix.NewIdentity("Red", "organization", stix.Common{ID: bOrgRed, Created: day})),
		must(stix.NewIdentity("Blue", "organization", stix.Common{ID: bOrgBlue, Created: day})),
		must(stix.NewIndicator("amber", "[file:hashes.'SHA-256' = 'aa']", day, c(bAmber, stix.TLP2Amber, ""))),
		must(stix.NewIndicator("red only", "[domain-name:value = 'red.example']", day, c(bRedOnly, stix.TLP2Clear, bOrgRed))),
		must(stix.NewIndicator("clear", "[domain-name:value = 'clear.example']", day, c(bClear, stix.TLP2Clear, ""))),
		stix.MustParse(`{"type":"file","spec_version":"2.1","id":"` + string(bFile) + `","hashes":{"SHA-256":"aa"},"object_marking_refs":["` + string(stix.TLP2Amber) + `"]}`),
		must(stix.NewMalware("Emotet", true, c(bMalware, stix.TLP2Clear, ""))),
		must(stix.NewRelationship("indicates", bAmber, bMalware, c(bRelAmber, stix.TLP2Clear, ""))),
		must(stix.NewRelationship("based-on", bAmber, bFile, c(bRelBasedOn, stix.TLP2Clear, ""))),
		must(stix.NewRelationship("indicates", bRedOnly, bMalware, c(bRelRedOnly, stix.TLP2Clear, ""))),
		must(stix.NewRelationship("indicates", bClear, bMalware, c(bRelClear, stix.TLP2Clear, ""))),
		must(stix.NewRelationship("indicates", "indicator--b0000000-0000-4000-8000-0000000000ff", bMalware, c(bRelDangling, stix.TLP2Clear, ""))),
		must(stix.NewSighting(bAmber, []stix.ID{bOrgBlue}, c(bSighting, stix.TLP2Clear, ""))),
		must(stix.NewReport("weekly", day, []stix.ID{bClear, bAmber, bRedOnly, bMalware, bRelAmber}, c(bReport, stix.TLP2Clear, ""))),
	}
	for _, o := range objs {
		if _, _, err := st.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	vis, err := access.NewVisibility(&access.VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	if err != nil {
		t.Fatal(err)
	}
	share := []access.Capability{access.CapAccessDataSharing}
	auth, err := access.NewStatic(access.StaticOptions{Users: []access.StaticUser{
		{Username: "partner", Password: "pw", Principal: &access.Principal{UserID: "partner", Organizations: []string{string(bOrgBlue)},
			Capabilities: share, Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}}},
		{Username: "analyst", Password: "pw", Principal: &access.Principal{UserID: "analyst", Organizations: []string{string(bOrgRed)},
			Capabilities: share, Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := taxii.NewHandler(&taxii.HandlerOptions{Store: st, Authenticator: auth, Visibility: vis, Clock: clock.now,
		APIRoots: []taxii.APIRoot{{Path: "api", Title: "boundary", Collections: []taxii.Collection{
			{ID: bCollection, Title: "all", CanRead: true, CanWrite: true}}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &boundaryFixture{store: st, srv: srv}
}

// do sends a request as user (password pw) and returns the status and body.
func (f *boundaryFixture) do(t *testing.T, method, path, user, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+"/api/collections/"+bCollection+"/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, "pw")
	req.Header.Set("Accept", taxii.MediaType)
	if body != "" {
		req.Header.Set("Content-Type", taxii.MediaType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// hiddenFromPartner are the ids the partner may not learn: objects marked above GREEN or
// granted to Red, and the relationships and sighting that lead to them.
var hiddenFromPartner = []stix.ID{bAmber, bRedOnly, bFile, bRelAmber, bRelBasedOn, bRelRedOnly, bSighting}

// TestRelationshipWithHiddenEndIsNotServed guards finding 1 of issue 16: TAXII served
// relationships and sightings whose end the caller may not see, naming the hidden end's
// id. Every read endpoint must hold them back (404 for the object itself), while serving
// those whose ends are visible or not stored at all.
func TestRelationshipWithHiddenEndIsNotServed(t *testing.T) {
	f := newBoundaryFixture(t)
	for _, path := range []string{"objects/", "manifest/", "objects/?match[version]=all", "objects/?match[type]=relationship,sighting"} {
		code, body := f.do(t, "GET", path, "partner", "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		for _, id := range hiddenFromPartner {
			if strings.Contains(body, string(id)) {
				t.Errorf("GET %s names %s, hidden from the partner", path, id)
			}
		}
		for _, id := range []stix.ID{bRelClear, bRelDangling} {
			if !strings.Contains(body, string(id)) {
				t.Errorf("GET %s lacks %s, whose stored ends the partner may see", path, id)
			}
		}
	}
	for _, id := range hiddenFromPartner {
		for _, path := range []string{"objects/" + string(id) + "/", "objects/" + string(id) + "/versions/"} {
			code, body := f.do(t, "GET", path, "partner", "")
			_, unknown := f.do(t, "GET", strings.Replace(path, string(id), string(id[:len(id)-1])+"f", 1), "partner", "")
			if code != http.StatusNotFound || body != unknown {
				t.Errorf("GET %s: %d %s; want the answer for an unknown id, 404 %s", path, code, body, unknown)
			}
		}
	}
	// The analyst (AMBER, in Red) sees both ends.
	code, body := f.do(t, "GET", "objects/"+string(bRelAmber)+"/", "analyst", "")
	if code != http.StatusOK || !strings.Contains(body, string(bRelAmber)) {
		t.Errorf("the analyst, who sees both ends, gets %d %s", code, body)
	}
}

// TestContainerContentsAreRedacted guards finding 3 of issue 16: a report's object_refs
// named objects the caller may not see. The references to hidden objects are removed, on
// every endpoint that serves the report.
func TestContainerContentsAreRedacted(t *testing.T) {
	f := newBoundaryFixture(t)
	want := `["` + string(bClear) + `","` + string(bMalware) + `"]`
	for _, path := range []string{"objects/?match[type]=report", "objects/" + string(bReport) + "/", "objects/" + string(bReport) + "/?match[version]=all"} {
		code, body := f.do(t, "GET", path, "partner", "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		var env struct{ Objects []json.RawMessage }
		if err := json.Unmarshal([]byte(body), &env); err != nil || len(env.Objects) != 1 {
			t.Fatalf("GET %s: %v %s", path, err, body)
		}
		o := stix.MustParse(string(env.Objects[0]))
		if got := o.Get("object_refs").Raw; got != want {
			t.Errorf("GET %s: object_refs = %s, want %s", path, got, want)
		}
	}
	_, body := f.do(t, "GET", "objects/"+string(bReport)+"/", "analyst", "")
	if !strings.Contains(body, string(bRedOnly)) || !strings.Contains(body, string(bRelAmber)) {
		t.Errorf("the analyst, who may see every content, lost some: %s", body)
	}
}

// storeDump is storetest.Dump, failing t on an error.
func storeDump(t *testing.T, st store.Store) string {
	t.Helper()
	d, err := storetest.Dump(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestWriterCannotChangeWhatItMayNotSee guards finding 2 of issue 16: the partner
// replaced the analyst's AMBER indicator with a later CLEAR version, planted an older
// version in its history, and stored an object marked above its clearance; the status
// message told hidden ids from unknown ones. Every such write is refused with one
// message, and leaves the store byte-identical.
func TestWriterCannotChangeWhatItMayNotSee(t *testing.T) {
	f := newBoundaryFixture(t)
	ctx := context.Background()
	cur, err := f.store.Get(ctx, bAmber)
	if err != nil {
		t.Fatal(err)
	}
	clear := func(at time.Time) *stix.Object {
		return must(cur.Object.NewVersion(at, func(m map[string]any) {
			m["object_marking_refs"] = []string{string(stix.TLP2Clear)}
			m["name"] = "overwritten"
		}))
	}
	later := clear(cur.Object.Modified().Add(time.Hour))
	older := must(stix.NewIndicator("fake first", "[domain-name:value = 'x.example']", cur.Object.Created(),
		stix.Common{ID: bAmber, Created: cur.Object.Created().Add(-time.Hour), Modified: cur.Object.Created().Add(-time.Minute), ObjectMarkingRefs: []stix.ID{stix.TLP2Clear}}))
	aboveClearance := must(stix.NewIndicator("above", "[domain-name:value = 'y.example']", t0,
		stix.Common{ID: "indicator--d0000000-0000-4000-8000-000000000001", Created: t0, ObjectMarkingRefs: []stix.ID{stix.TLP2Amber}}))
	grantedElsewhere := must(stix.NewIndicator("granted", "[domain-name:value = 'z.example']", t0,
		stix.Common{ID: "indicator--d0000000-0000-4000-8000-000000000002", Created: t0, Extra: map[string]any{"x_opencti_granted_refs": []stix.ID{bOrgRed}}}))
	redOnly, err := f.store.Get(ctx, bRedOnly)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := f.store.Get(ctx, bRelAmber)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		obj  *stix.Object
	}{
		{"a later CLEAR version of a hidden AMBER indicator", later},
		{"an older version under a hidden indicator", older},
		{"an exact duplicate of a hidden indicator", cur.Object},
		{"a new version of another organization's indicator", clear2(t, redOnly.Object)},
		{"a new version of a relationship with a hidden end", clear2(t, rel.Object)},
		{"a new object marked above the writer's clearance", aboveClearance},
		{"a new object granted to another organization", grantedElsewhere},
	}
	var messages []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := storeDump(t, f.store)
			code, body := f.do(t, "POST", "objects/", "partner", envelope(c.obj))
			if code != http.StatusAccepted {
				t.Fatalf("POST: %d %s", code, body)
			}
			var st taxii.Status
			if err := json.Unmarshal([]byte(body), &st); err != nil {
				t.Fatal(err)
			}
			if st.FailureCount != 1 || len(st.Failures) != 1 || st.Failures[0].ID != string(c.obj.ID()) {
				t.Fatalf("status %s, want one failure naming %s", body, c.obj.ID())
			}
			messages = append(messages, st.Failures[0].Message)
			if after := storeDump(t, f.store); after != before {
				t.Errorf("a refused write changed the store:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	for _, m := range messages {
		if m != access.RefusedMessage {
			t.Errorf("refusal message %q, want the one message %q for every refusal", m, access.RefusedMessage)
		}
	}
	// The same writer may still write what it may see, and the analyst the AMBER update.
	clearRec, err := f.store.Get(ctx, bClear)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := f.do(t, "POST", "objects/", "partner", envelope(clear2(t, clearRec.Object))); code != http.StatusAccepted || !strings.Contains(body, `"success_count":1`) {
		t.Errorf("a permitted write: %d %s", code, body)
	}
	if code, body := f.do(t, "POST", "objects/", "analyst", envelope(later)); code != http.StatusAccepted || !strings.Contains(body, `"success_count":1`) {
		t.Errorf("the analyst's permitted write: %d %s", code, body)
	}
}

// clear2 returns the next version of o, marked TLP:CLEAR.
func clear2(t *testing.T, o *stix.Object) *stix.Object {
	t.Helper()
	n, err := o.NewVersion(o.Modified().Add(time.Hour), func(m map[string]any) {
		m["object_marking_refs"] = []string{string(stix.TLP2Clear)}
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeleteRespectsTheBoundary: DELETE of a hidden object answers exactly as one of an
// unknown id; DELETE of a visible object whose cascade would remove relationships the
// writer may not see is refused with the write refusal; neither changes the store.
func TestDeleteRespectsTheBoundary(t *testing.T) {
	f := newBoundaryFixture(t)
	before := storeDump(t, f.store)
	for _, id := range hiddenFromPartner {
		code, body := f.do(t, "DELETE", "objects/"+string(id)+"/", "partner", "")
		_, unknown := f.do(t, "DELETE", "objects/"+string(id[:len(id)-1])+"f/", "partner", "")
		if code != http.StatusNotFound || body != unknown {
			t.Errorf("DELETE %s: %d %s; want the answer for an unknown id %s", id, code, body, unknown)
		}
	}
	// The malware is CLEAR, but deleting it would delete the relationships from the AMBER
	// and the Red-only indicators.
	code, body := f.do(t, "DELETE", "objects/"+string(bMalware)+"/", "partner", "")
	if code != http.StatusForbidden || !strings.Contains(body, access.RefusedMessage) {
		t.Errorf("DELETE of an object with hidden relationships: %d %s", code, body)
	}
	for _, id := range hiddenFromPartner {
		if strings.Contains(body, string(id)) {
			t.Errorf("the refusal names %s: %s", id, body)
		}
	}
	if after := storeDump(t, f.store); after != before {
		t.Errorf("refused deletes changed the store")
	}
	// The analyst sees everything involved: the delete goes through.
	if code, body := f.do(t, "DELETE", "objects/"+string(bMalware)+"/", "analyst", ""); code != http.StatusOK {
		t.Errorf("the analyst's delete: %d %s", code, body)
	}
}

// TestPostRefusesInvalidUTF8 guards finding 4 of issue 16: POST accepted invalid UTF-8,
// which every feed then served raw. The object fails with a message naming the offset,
// and nothing is stored.
func TestPostRefusesInvalidUTF8(t *testing.T) {
	f := newBoundaryFixture(t)
	before := storeDump(t, f.store)
	obj := `{"type":"indicator","spec_version":"2.1","id":"indicator--e0000000-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"bad ` + "\xff" + `","pattern":"[domain-name:value = 'a.example']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`
	surrogate := strings.Replace(obj, "\xff", `\ud800`, 1)
	surrogate = strings.Replace(surrogate, "e0000000-0000-4000-8000-000000000001", "e0000000-0000-4000-8000-000000000002", 1)
	code, body := f.do(t, "POST", "objects/", "analyst", `{"objects":[`+obj+`,`+surrogate+`]}`)
	if code != http.StatusAccepted || !strings.Contains(body, `"failure_count":2`) ||
		!strings.Contains(body, "invalid UTF-8 at byte offset") || !strings.Contains(body, "unpaired surrogate escape") {
		t.Errorf("POST of invalid UTF-8: %d %s", code, body)
	}
	if !json.Valid([]byte(body)) || strings.Contains(body, "\xff") {
		t.Errorf("the status is not clean JSON: %q", body)
	}
	if after := storeDump(t, f.store); after != before {
		t.Error("invalid UTF-8 was stored")
	}
}

// TestWithheldObjectAnswersAsUnknown: an object that names a hidden one where the name
// cannot be removed (inside an extension) is withheld, and GET of it answers exactly as
// for an id that is not stored, not with an empty envelope.
func TestWithheldObjectAnswersAsUnknown(t *testing.T) {
	f := newBoundaryFixture(t)
	id := "x-thing--f0000000-0000-4000-8000-000000000001"
	o := stix.MustParse(`{"type":"x-thing","spec_version":"2.1","id":"` + id + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","extensions":{"x-ext":{"owner_ref":"` + string(bAmber) + `"}}}`)
	if _, _, err := f.store.Put(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	code, body := f.do(t, "GET", "objects/"+id+"/", "partner", "")
	_, unknown := f.do(t, "GET", "objects/x-thing--f0000000-0000-4000-8000-0000000000ff/", "partner", "")
	if code != http.StatusNotFound || body != unknown {
		t.Errorf("GET of a withheld object: %d %s; want %s", code, body, unknown)
	}
	if code, body := f.do(t, "GET", "objects/"+id+"/", "analyst", ""); code != http.StatusOK || !strings.Contains(body, string(bAmber)) {
		t.Errorf("the analyst, who sees the named object: %d %s", code, body)
	}
}

// TestListingsAdmitWhatObjectsServes: the manifest and the versions endpoint decide with
// access.Visibility.Admit, which skips the rewriting a listing never shows; they must list
// exactly the versions the objects endpoint serves, for every principal (objects with
// grants, hidden ends and hidden contents included).
func TestListingsAdmitWhatObjectsServes(t *testing.T) {
	f := newBoundaryFixture(t)
	type listed struct {
		ID, Version string
	}
	for _, user := range []string{"partner", "analyst"} {
		for _, q := range []string{"", "?match[version]=all", "?match[version]=first"} {
			code, body := f.do(t, "GET", "objects/"+q, user, "")
			var env struct{ Objects []json.RawMessage }
			if err := json.Unmarshal([]byte(body), &env); code != http.StatusOK || err != nil {
				t.Fatalf("%s GET objects/%s: %d %v %s", user, q, code, err, body)
			}
			var served []listed
			for _, raw := range env.Objects {
				o := stix.MustParse(string(raw))
				served = append(served, listed{string(o.ID()), o.ModifiedRaw()})
			}
			code, body = f.do(t, "GET", "manifest/"+q, user, "")
			var man struct {
				Objects []struct{ ID, Version string }
			}
			if err := json.Unmarshal([]byte(body), &man); code != http.StatusOK || err != nil {
				t.Fatalf("%s GET manifest/%s: %d %v %s", user, q, code, err, body)
			}
			var inManifest []listed
			for i, m := range man.Objects {
				if i < len(served) && served[i].Version == "" {
					m.Version = "" // no modified (an SCO): the manifest gives date_added
				}
				inManifest = append(inManifest, listed{m.ID, m.Version})
			}
			if len(served) < 5 || !slices.Equal(served, inManifest) {
				t.Errorf("%s %s: objects serve %v\nmanifest lists %v", user, q, served, inManifest)
			}
		}
		for _, id := range append(slices.Clone(hiddenFromPartner), bClear, bReport, bRelClear, bRelDangling) {
			_, objs := f.do(t, "GET", "objects/"+string(id)+"/?match[version]=all", user, "")
			_, vers := f.do(t, "GET", "objects/"+string(id)+"/versions/", user, "")
			var env struct{ Objects []json.RawMessage }
			var v struct{ Versions []string }
			_ = json.Unmarshal([]byte(objs), &env)
			_ = json.Unmarshal([]byte(vers), &v)
			var want []string
			for _, raw := range env.Objects {
				want = append(want, stix.MustParse(string(raw)).ModifiedRaw())
			}
			if len(want) == len(v.Versions) && len(want) > 0 && want[0] == "" {
				want = v.Versions // no modified (an SCO): versions are dates added
			}
			if !slices.Equal(want, v.Versions) {
				t.Errorf("%s %s: objects serve versions %v, versions lists %v", user, id, want, v.Versions)
			}
		}
	}
}
