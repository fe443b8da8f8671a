package demoserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/examples/internal/demodata"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/storetest"
	"github.com/ctifeed/ctifeed/taxii"
)

// storeDump is storetest.Dump, failing t on an error.
func storeDump(t *testing.T, st store.Store) string {
	t.Helper()
	d, err := storetest.Dump(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// send sends a request with a body as c and returns the status and body.
func send(t *testing.T, c caller, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(c.user, c.pw)
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

func envelopeOf(objs []*stix.Object) string {
	parts := make([]string, len(objs))
	for i, o := range objs {
		parts[i] = string(o.Raw())
	}
	return `{"objects":[` + strings.Join(parts, ",") + `]}`
}

// TestRefusedWritesLeaveTheStoreUnchanged is the write half of the cross-feed boundary
// test (issue 16 finding 2): through the TAXII inbox, each demo writer tries to replace
// every indicator it may not see with a later TLP:CLEAR version, to plant an older version
// under it, to post it again unchanged, to post new indicators beyond its clearance
// (TLP:RED, or granted to the other organization), and to delete what it may not see.
// Every one of these is refused, per object, with the one refusal message, and the store
// stays byte-identical; DELETE of a hidden id answers exactly as for an id never stored.
func TestRefusedWritesLeaveTheStoreUnchanged(t *testing.T) {
	p, srv := startPlatform(t)
	inbox := srv.URL + "/taxii2/demo/collections/" + CollectionInbox + "/objects/"
	orgs := demodata.Orgs()
	for _, c := range demoCallers()[:2] {
		t.Run(c.name, func(t *testing.T) {
			hidden, stored := p.hiddenFrom(t, c.principal)
			var later, older, same []*stix.Object
			for _, o := range stored {
				if o.Type() != "indicator" || !hidden[o.ID()] {
					continue
				}
				same = append(same, o)
				later = append(later, mustVersion(t, o, o.Modified().Add(time.Hour), stix.TLP2Clear))
				older = append(older, mustVersion(t, o, o.Created().Add(-time.Hour), stix.TLP2Clear))
			}
			if len(same) == 0 {
				t.Fatal("no indicator is hidden from this writer: the test would prove nothing")
			}
			other := orgs.Blue
			if c.principal.Organizations[0] == string(orgs.Blue) {
				other = orgs.Red
			}
			at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
			beyond := []*stix.Object{
				mustIndicator(t, "indicator--f0000000-0000-4000-8000-000000000001", at, stix.Common{ObjectMarkingRefs: []stix.ID{stix.TLP2Red}}),
				mustIndicator(t, "indicator--f0000000-0000-4000-8000-000000000002", at, stix.Common{Extra: map[string]any{"x_opencti_granted_refs": []stix.ID{other}}}),
			}
			before := storeDump(t, p.store)
			for _, w := range []struct {
				name string
				objs []*stix.Object
			}{{"later CLEAR versions of hidden indicators", later}, {"older versions under hidden indicators", older},
				{"hidden indicators unchanged", same}, {"new indicators beyond the writer's clearance", beyond}} {
				code, text := send(t, c, http.MethodPost, inbox, envelopeOf(w.objs))
				var st taxii.Status
				if err := json.Unmarshal([]byte(text), &st); code != http.StatusAccepted || err != nil {
					t.Fatalf("POST %s: %d %v %s", w.name, code, err, text)
				}
				if st.FailureCount != len(w.objs) || st.SuccessCount != 0 {
					t.Errorf("POST %s: %d of %d refused, %d stored", w.name, st.FailureCount, len(w.objs), st.SuccessCount)
				}
				for _, f := range st.Failures {
					if f.Message != access.RefusedMessage || f.Version != "" {
						t.Errorf("POST %s: failure %+v, want the one refusal message and no version", w.name, f)
					}
				}
			}
			_, unknown := send(t, c, http.MethodDelete, inbox+"indicator--00000000-0000-4000-8000-00000000dead/", "")
			for _, o := range same {
				code, text := send(t, c, http.MethodDelete, inbox+string(o.ID())+"/", "")
				if code != http.StatusNotFound || text != unknown {
					t.Errorf("DELETE %s: %d %s; want the answer for an id never stored: %s", o.ID(), code, text, unknown)
				}
			}
			if after := storeDump(t, p.store); after != before {
				t.Error("refused writes changed the store")
			}
			// The writer is not simply refused everything: a visible indicator's new version
			// goes through (and is then put back, for the next writer).
			for _, o := range stored {
				if o.Type() != "indicator" || hidden[o.ID()] {
					continue
				}
				next := mustVersion(t, o, o.Modified().Add(time.Hour), o.ObjectMarkingRefs()[0])
				if code, text := send(t, c, http.MethodPost, inbox, envelopeOf([]*stix.Object{next})); code != http.StatusAccepted || !strings.Contains(text, `"success_count":1`) {
					t.Errorf("a permitted write: %d %s", code, text)
				}
				break
			}
		})
	}
}

// mustVersion returns a version of o modified at at and marked with marking only.
func mustVersion(t *testing.T, o *stix.Object, at time.Time, marking stix.ID) *stix.Object {
	t.Helper()
	m := map[string]any{}
	if err := json.Unmarshal(o.Raw(), &m); err != nil {
		t.Fatal(err)
	}
	m["modified"] = at.UTC().Format("2006-01-02T15:04:05.000Z")
	if at.Before(o.Created()) {
		m["created"] = m["modified"]
	}
	m["object_marking_refs"] = []string{string(marking)}
	m["name"] = "rewritten by another writer"
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return stix.MustParse(string(b))
}

func mustIndicator(t *testing.T, id stix.ID, at time.Time, c stix.Common) *stix.Object {
	t.Helper()
	c.ID, c.Created = id, at
	o, err := stix.NewIndicator("beyond", "[domain-name:value = 'beyond.example']", at, c)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
