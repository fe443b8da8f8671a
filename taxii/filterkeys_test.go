package taxii_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/taxii"
)

// keyCollections adds public collections filtered by the keys that need more than the
// object: a relationship key read from the store and the record times.
func keyCollections(t *testing.T) func(*taxii.HandlerOptions) {
	parse := func(text string) *filter.Group {
		g, err := filter.ParseText(text)
		if err != nil {
			t.Fatal(err)
		}
		return &g
	}
	return func(o *taxii.HandlerOptions) {
		add := func(alias, text string) {
			o.APIRoots[0].Collections = append(o.APIRoots[0].Collections, taxii.Collection{
				ID: alias, Alias: alias, Title: alias, Filters: parse(text), CanRead: true, CanWrite: true,
				Access: access.FeedAccess{Public: true}})
		}
		add("emotet", "regardingOf = {id = "+string(idMalware)+", relationship_type = indicates}")
		add("added", "created_at >= 2024-05-01T10:03:00Z") // the store's date_added
		add("changed", "updated_at >= 2024-05-01T10:10:00Z")
	}
}

func listIDs(t *testing.T, f *fixture, target string) []stix.ID {
	t.Helper()
	rec := send(f.h, exchange{method: "GET", target: target})
	var env struct {
		Objects []struct {
			ID stix.ID `json:"id"`
		} `json:"objects"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &env) != nil {
		t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	var ids []stix.ID
	for _, o := range env.Objects {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	return ids
}

// A collection filtered with regardingOf serves the objects related to the named one as the
// store holds them when the request starts; created_at and updated_at read the store's
// record times (the fixture's objects carry no OpenCTI extension to fall back to).
func TestCollectionFilterKeysReadTheStore(t *testing.T) {
	f := newFixture(t, keyCollections(t))
	cases := []struct {
		target string
		want   []stix.ID
	}{
		{"/api1/collections/emotet/objects/", []stix.ID{idIndA}},
		{"/api1/collections/emotet/objects/" + string(idIndA) + "/", []stix.ID{idIndA}},
		{"/api1/collections/emotet/objects/?match[id]=" + string(idIndA) + "," + string(idIndC), []stix.ID{idIndA}},
		{"/api1/collections/added/objects/", []stix.ID{idMalware, idRel, idIndC}},
		{"/api1/collections/changed/objects/", []stix.ID{idIndA}},
	}
	slices.Sort(cases[3].want)
	for _, c := range cases {
		if got := listIDs(t, f, c.target); !slices.Equal(got, c.want) {
			t.Errorf("GET %s = %v, want %v", c.target, got, c.want)
		}
	}
	// Without the relationship, the indicator leaves the collection.
	if _, err := f.store.Delete(t.Context(), idRel); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, f, "/api1/collections/emotet/objects/"); len(got) != 0 {
		t.Errorf("after the relationship's delete: %v, want none", got)
	}
	if rec := send(f.h, exchange{method: "GET", target: "/api1/collections/emotet/objects/" + string(idIndA) + "/"}); rec.Code != http.StatusNotFound {
		t.Errorf("GET the indicator after the relationship's delete: %d, want 404", rec.Code)
	}
}

// A POST to a collection filtered with regardingOf accepts what the store relates to the
// named object when the request starts.
func TestPostCheckedByRelationshipKey(t *testing.T) {
	f := newFixture(t, keyCollections(t))
	body := envelope(newIndicator(1, t0), fixtureObjects()[5])
	rec := send(f.h, exchange{method: "POST", target: "/api1/collections/emotet/objects/", contentType: taxii.MediaType, body: body})
	var st taxii.Status
	if rec.Code != http.StatusAccepted || json.Unmarshal(rec.Body.Bytes(), &st) != nil {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	if st.SuccessCount != 0 || st.FailureCount != 2 {
		t.Errorf("POST of unrelated indicators: %+v, want both refused", st)
	}
	body = envelope(fixtureObjects()[1])
	rec = send(f.h, exchange{method: "POST", target: "/api1/collections/emotet/objects/", contentType: taxii.MediaType, body: body})
	st = taxii.Status{}
	if rec.Code != http.StatusAccepted || json.Unmarshal(rec.Body.Bytes(), &st) != nil || st.SuccessCount != 1 {
		t.Errorf("POST of the related indicator: %d %+v, want accepted", rec.Code, st)
	}
}
