package taxii_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/taxii"
)

// The interoperability suite: the server-side (TAXII Server persona, TXS) scenarios of the
// OASIS TAXII 2.1 Interoperability Test Document Version 1.0, CSD01 (30 March 2022), run
// over HTTP against taxii.Handler. Each row names the scenario it encodes; the package
// documentation lists the rows. Where the document is stricter than the standard it is
// followed: collections are listed ordered by id, a collection that cannot be read or
// written answers 403, and status resources are kept at least 24 hours.

// interopRow is one request of a scenario and what the answer must be.
type interopRow struct {
	scenario string // the CSD01 scenario the row encodes
	method   string
	path     string // may hold {status} and {next}, filled from earlier rows
	user     string // "reader" (Basic reader:pw), "wrong" (a bad password) or "" (anonymous)
	accept   string // default: the TAXII 2.1 media type
	ctype    string
	body     string
	status   int
	check    func(s *interopSuite, resp *http.Response, body map[string]any) error
}

// interopSuite is the server under test and what earlier rows learnt.
type interopSuite struct {
	f    *fixture
	srv  *httptest.Server
	vars map[string]string
}

func (s *interopSuite) do(t *testing.T, r interopRow) (*http.Response, map[string]any) {
	t.Helper()
	path := r.path
	for k, v := range s.vars {
		path = strings.ReplaceAll(path, "{"+k+"}", url.QueryEscape(v))
	}
	var rd io.Reader
	if r.body != "" {
		rd = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", cmpOr(r.accept, taxii.MediaType))
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	switch r.user {
	case "reader":
		req.SetBasicAuth("reader", "pw")
	case "wrong":
		req.SetBasicAuth("reader", "not the password")
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("%s %s: the body is not a JSON object: %s", r.method, path, raw)
		}
	}
	return resp, body
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Checks shared by rows.

func hasKeys(keys ...string) func(*interopSuite, *http.Response, map[string]any) error {
	return func(_ *interopSuite, _ *http.Response, b map[string]any) error {
		for _, k := range keys {
			if _, ok := b[k]; !ok {
				return fmt.Errorf("no %q in %v", k, b)
			}
		}
		return nil
	}
}

func all(checks ...func(*interopSuite, *http.Response, map[string]any) error) func(*interopSuite, *http.Response, map[string]any) error {
	return func(s *interopSuite, r *http.Response, b map[string]any) error {
		for _, c := range checks {
			if err := c(s, r, b); err != nil {
				return err
			}
		}
		return nil
	}
}

// errorResource: a TAXII error resource with a title and http_status as a string.
func errorResource(s *interopSuite, r *http.Response, b map[string]any) error {
	if _, ok := b["title"].(string); !ok {
		return fmt.Errorf("error resource without a title: %v", b)
	}
	if st, _ := b["http_status"].(string); st != fmt.Sprint(r.StatusCode) {
		return fmt.Errorf("http_status %v, want %q", b["http_status"], fmt.Sprint(r.StatusCode))
	}
	return nil
}

// rememberHeader stores a response header for later rows.
func rememberHeader(name, header string) func(*interopSuite, *http.Response, map[string]any) error {
	return func(s *interopSuite, r *http.Response, _ map[string]any) error {
		v := r.Header.Get(header)
		if v == "" {
			return fmt.Errorf("no %s to remember", header)
		}
		s.vars[name] = v
		return nil
	}
}

// objectIDs returns the ids of an envelope's objects, in order.
func objectIDs(b map[string]any) []string {
	var out []string
	for _, o := range listOf(b["objects"]) {
		out = append(out, o.(map[string]any)["id"].(string))
	}
	return out
}

func objectsAre(ids ...string) func(*interopSuite, *http.Response, map[string]any) error {
	return func(_ *interopSuite, _ *http.Response, b map[string]any) error {
		if got := objectIDs(b); !slices.Equal(got, ids) {
			return fmt.Errorf("objects %v, want %v", got, ids)
		}
		return nil
	}
}

// dateAddedHeaders: X-TAXII-Date-Added-First/Last are present and TAXII timestamps.
func dateAddedHeaders(_ *interopSuite, r *http.Response, _ map[string]any) error {
	for _, h := range []string{"X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"} {
		if _, err := time.Parse(time.RFC3339Nano, r.Header.Get(h)); err != nil {
			return fmt.Errorf("%s = %q", h, r.Header.Get(h))
		}
	}
	return nil
}

// remember stores a string member of the body for later rows.
func remember(name, member string) func(*interopSuite, *http.Response, map[string]any) error {
	return func(s *interopSuite, _ *http.Response, b map[string]any) error {
		v, ok := b[member].(string)
		if !ok || v == "" {
			return fmt.Errorf("no %q to remember in %v", member, b)
		}
		s.vars[name] = v
		return nil
	}
}

func interopRows() []interopRow {
	const (
		pub     = "/api1/collections/" + collPublic
		ind     = "/api1/collections/" + collIndic
		inbox   = "/api1/collections/" + collWrite
		idNew   = "indicator--00000000-0000-4000-8000-000000000077"
		newBody = `{"objects":[{"type":"indicator","spec_version":"2.1","id":"` + idNew + `",` +
			`"created":"2024-05-01T10:00:00.000Z","modified":"2024-05-01T10:00:00.000Z","name":"posted",` +
			`"pattern":"[ipv4-addr:value = '192.0.2.77']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00Z",` +
			`"x_interop_custom":"kept"}]}`
	)
	// What an anonymous caller of the public collection sees: all but the TLP:AMBER one.
	everything := []string{string(idOrg), string(idMalware), string(idRel), string(idIndC), string(idIndA)}
	return []interopRow{
		// Discovery and API roots.
		{scenario: "CSD01 TXS: Server Discovery — GET /taxii2/ gives title and absolute api_roots, default among them",
			method: "GET", path: "/taxii2/", status: 200, check: func(s *interopSuite, _ *http.Response, b map[string]any) error {
				roots := listOf(b["api_roots"])
				if b["title"] == nil || len(roots) != 1 || roots[0] != s.srv.URL+"/api1/" || b["default"] != roots[0] {
					return fmt.Errorf("discovery %v", b)
				}
				return nil
			}},
		{scenario: "CSD01 TXS §3.1.1: authentication — wrong credentials answer 401 with a Basic WWW-Authenticate challenge",
			method: "GET", path: ind + "/", user: "wrong", status: 401, check: all(errorResource,
				func(_ *interopSuite, r *http.Response, _ map[string]any) error {
					if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
						return fmt.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
					}
					return nil
				})},
		{scenario: "CSD01 TXS: API Root Information — title, versions with TAXII 2.1, max_content_length",
			method: "GET", path: "/api1/", status: 200, check: func(_ *interopSuite, _ *http.Response, b map[string]any) error {
				if b["title"] == nil || !slices.Contains(listOf(b["versions"]), any(taxii.MediaType)) || b["max_content_length"] == nil {
					return fmt.Errorf("api root %v", b)
				}
				return nil
			}},
		{scenario: "CSD01 TXS: API Root Information — an unknown API root is a 404 error resource",
			method: "GET", path: "/nope/", status: 404, check: errorResource},
		{scenario: "CSD01 TXS: Server Discovery — a request the server cannot answer in TAXII 2.1 is 406",
			method: "GET", path: "/taxii2/", accept: "application/taxii+json;version=2.0", status: 406, check: errorResource},

		// Collections.
		{scenario: "CSD01 TXS: Get Collections — every collection the user may see, ordered by id, with id, title, can_read, can_write",
			method: "GET", path: "/api1/collections/", user: "reader", status: 200, check: func(_ *interopSuite, _ *http.Response, b map[string]any) error {
				var ids []string
				for _, c := range listOf(b["collections"]) {
					m := c.(map[string]any)
					for _, k := range []string{"id", "title", "can_read", "can_write"} {
						if _, ok := m[k]; !ok {
							return fmt.Errorf("collection without %s: %v", k, m)
						}
					}
					ids = append(ids, m["id"].(string))
				}
				if want := []string{collPublic, collIndic, collWrite}; !slices.Equal(ids, want) {
					return fmt.Errorf("collections %v, want %v (by id)", ids, want)
				}
				return nil
			}},
		{scenario: "CSD01 TXS: Get a Collection — one collection's resource by id",
			method: "GET", path: ind + "/", user: "reader", status: 200, check: all(hasKeys("id", "title", "can_read", "can_write", "media_types"),
				func(_ *interopSuite, _ *http.Response, b map[string]any) error {
					if b["id"] != collIndic || b["can_read"] != true || b["can_write"] != true {
						return fmt.Errorf("collection %v", b)
					}
					return nil
				})},
		{scenario: "CSD01 TXS: Get a Collection — an unknown collection is a 404 error resource",
			method: "GET", path: "/api1/collections/00000000-0000-4000-8000-000000000000/", user: "reader", status: 404, check: errorResource},

		// Objects.
		{scenario: "CSD01 TXS: Get Objects — an envelope in date_added order with the X-TAXII-Date-Added headers",
			method: "GET", path: pub + "/objects/", status: 200, check: all(objectsAre(everything...), dateAddedHeaders,
				func(_ *interopSuite, _ *http.Response, b map[string]any) error {
					if b["more"] != false {
						return fmt.Errorf("more = %v on the only page", b["more"])
					}
					return nil
				})},
		{scenario: "CSD01 TXS: Get Objects with limit — a full page says more and gives next",
			method: "GET", path: pub + "/objects/?limit=2", status: 200, check: all(objectsAre(everything[:2]...), remember("next", "next"),
				func(_ *interopSuite, _ *http.Response, b map[string]any) error {
					if b["more"] != true {
						return fmt.Errorf("more = %v", b["more"])
					}
					return nil
				})},
		{scenario: "CSD01 TXS: Get Objects with next — the next page continues where the previous ended",
			method: "GET", path: pub + "/objects/?limit=2&next={next}", status: 200, check: objectsAre(everything[2:4]...)},
		{scenario: "CSD01 TXS: Get Objects with added_after — only objects added strictly after it",
			method: "GET", path: pub + "/objects/?added_after=" + url.QueryEscape(taxii.FormatTime(t0.Add(4*time.Minute))), status: 200,
			check: objectsAre(string(idIndC), string(idIndA))},
		{scenario: "CSD01 TXS: Get Objects with match[id]",
			method: "GET", path: pub + "/objects/?match[id]=" + string(idMalware), status: 200, check: objectsAre(string(idMalware))},
		{scenario: "CSD01 TXS §3.13.1.10: Get Objects with match[type] — several types OR together",
			method: "GET", path: pub + "/objects/?match[type]=malware,relationship", status: 200, check: objectsAre(string(idMalware), string(idRel))},
		{scenario: "CSD01 TXS: Get Objects with match[version]=all — every version of an object",
			method: "GET", path: pub + "/objects/?match[id]=" + string(idIndA) + "&match[version]=all", status: 200,
			check: objectsAre(string(idIndA), string(idIndA))},
		{scenario: "CSD01 TXS: Get Objects with match[version]=first",
			method: "GET", path: pub + "/objects/?match[id]=" + string(idIndA) + "&match[version]=first", status: 200,
			check: func(_ *interopSuite, _ *http.Response, b map[string]any) error {
				objs := listOf(b["objects"])
				if len(objs) != 1 || objs[0].(map[string]any)["name"] != "evil.example" {
					return fmt.Errorf("first version: %v", objs)
				}
				return nil
			}},
		{scenario: "CSD01 TXS §3.13.2: Get Objects with match[spec_version]",
			method: "GET", path: pub + "/objects/?match[id]=" + string(idMalware) + "&match[spec_version]=2.1", status: 200,
			check: objectsAre(string(idMalware))},
		{scenario: "CSD01 TXS: Get Objects with a malformed filter — 400 naming the parameter",
			method: "GET", path: pub + "/objects/?match[version]=yesterday", status: 400, check: all(errorResource,
				func(_ *interopSuite, _ *http.Response, b map[string]any) error {
					if !strings.Contains(fmt.Sprint(b), "match[version]") {
						return fmt.Errorf("the error does not name match[version]: %v", b)
					}
					return nil
				})},
		{scenario: "CSD01 TXS: Get an Object — the envelope of one object's current version",
			method: "GET", path: pub + "/objects/" + string(idIndA) + "/", status: 200, check: objectsAre(string(idIndA))},
		{scenario: "CSD01 TXS: Get an Object — an object not in the collection is 404",
			method: "GET", path: ind + "/objects/" + string(idMalware) + "/", user: "reader", status: 404, check: errorResource},
		{scenario: "CSD01 TXS §3.14.1: Get Object Versions — every version, paged, continuing with added_after",
			method: "GET", path: pub + "/objects/" + string(idIndA) + "/versions/?limit=1", status: 200,
			check: all(rememberHeader("versionsLast", "X-TAXII-Date-Added-Last"), func(_ *interopSuite, r *http.Response, b map[string]any) error {
				if len(listOf(b["versions"])) != 1 || b["more"] != true {
					return fmt.Errorf("versions page %v", b)
				}
				return nil
			})},
		{scenario: "CSD01 TXS §3.14.1: Get Object Versions — added_after set to the last page's X-TAXII-Date-Added-Last gives the rest",
			method: "GET", path: pub + "/objects/" + string(idIndA) + "/versions/?added_after={versionsLast}", status: 200,
			check: func(_ *interopSuite, _ *http.Response, b map[string]any) error {
				if vs := listOf(b["versions"]); len(vs) != 1 || b["more"] != false {
					return fmt.Errorf("versions after the first page: %v", b)
				}
				return nil
			}},
		{scenario: "CSD01 TXS: Get Objects with match[version] set to a version's timestamp — that version only",
			method: "GET", path: pub + "/objects/?match[id]=" + string(idIndA) + "&match[version]=2024-02-01T00:00:00.000Z", status: 200,
			check: func(_ *interopSuite, _ *http.Response, b map[string]any) error {
				objs := listOf(b["objects"])
				if len(objs) != 1 || objs[0].(map[string]any)["modified"] != "2024-02-01T00:00:00.000Z" {
					return fmt.Errorf("the version of 2024-02-01: %v", objs)
				}
				return nil
			}},
		{scenario: "CSD01 TXS: Get Object Manifests — id, date_added, version and media_type per record",
			method: "GET", path: pub + "/manifest/?match[id]=" + string(idIndA), status: 200,
			check: func(_ *interopSuite, _ *http.Response, b map[string]any) error {
				recs := listOf(b["objects"])
				if len(recs) != 1 {
					return fmt.Errorf("manifest %v", b)
				}
				m := recs[0].(map[string]any)
				for _, k := range []string{"id", "date_added", "version", "media_type"} {
					if m[k] == nil {
						return fmt.Errorf("manifest record without %s: %v", k, m)
					}
				}
				return nil
			}},
		{scenario: "CSD01 TXS: Get Objects from a collection that cannot be read — 403 (the document's choice)",
			method: "GET", path: inbox + "/objects/", user: "reader", status: 403, check: errorResource},

		// Writes and status.
		{scenario: "CSD01 TXS §3.15.1: Add Objects — 202 and a status resource whose counts agree; custom properties accepted",
			method: "POST", path: ind + "/objects/", user: "reader", ctype: taxii.MediaType, body: newBody, status: 202,
			check: all(remember("status", "id"), func(_ *interopSuite, _ *http.Response, b map[string]any) error {
				if b["total_count"] != 1.0 || b["success_count"] != 1.0 || b["status"] != "complete" {
					return fmt.Errorf("status %v", b)
				}
				return nil
			})},
		{scenario: "CSD01 TXS: Add Objects to a collection that cannot be written — 403 (the document's choice)",
			method: "POST", path: pub + "/objects/", user: "reader", ctype: taxii.MediaType, body: newBody, status: 403, check: errorResource},
		{scenario: "CSD01 TXS: Add Objects with an unsupported media type — 415",
			method: "POST", path: ind + "/objects/", user: "reader", ctype: "text/plain", body: newBody, status: 415, check: errorResource},
		{scenario: "CSD01 TXS: Add Objects — a body that is not an envelope of objects is 422",
			method: "POST", path: ind + "/objects/", user: "reader", ctype: taxii.MediaType, body: `{"objects":"none"}`, status: 422, check: errorResource},
		{scenario: "CSD01 TXS: Add Objects — a body over the API root's max_content_length is 413",
			method: "POST", path: ind + "/objects/", user: "reader", ctype: taxii.MediaType,
			body: `{"objects":[` + strings.Repeat(" ", 5000) + `]}`, status: 413, check: errorResource},
		{scenario: "CSD01 TXS: Get Status — the status of the earlier POST",
			method: "GET", path: "/api1/status/{status}/", user: "reader", status: 200, check: hasKeys("id", "status", "total_count", "success_count", "failure_count", "pending_count")},
		{scenario: "CSD01 TXS: Get Objects — the posted object is served, custom property kept",
			method: "GET", path: ind + "/objects/?match[id]=" + idNew, user: "reader", status: 200,
			check: func(_ *interopSuite, _ *http.Response, b map[string]any) error {
				objs := listOf(b["objects"])
				if len(objs) != 1 || objs[0].(map[string]any)["x_interop_custom"] != "kept" {
					return fmt.Errorf("posted object: %v", objs)
				}
				return nil
			}},
		{scenario: "CSD01 TXS: Delete an Object — 200, then it is gone",
			method: "DELETE", path: ind + "/objects/" + idNew + "/", user: "reader", status: 200},
		{scenario: "CSD01 TXS: Delete an Object — a deleted object is 404",
			method: "GET", path: ind + "/objects/" + idNew + "/", user: "reader", status: 404, check: errorResource},
	}
}

// TestInteropServer runs the rows in order against one server (later rows use what
// earlier ones created); every answer must also carry the TAXII 2.1 media type.
func TestInteropServer(t *testing.T) {
	f := newFixture(t, nil)
	f.clock.mu.Lock()
	f.clock.tick = time.Millisecond // each reading later: what is posted is served next
	f.clock.mu.Unlock()
	s := &interopSuite{f: f, srv: httptest.NewServer(f.h), vars: map[string]string{}}
	defer s.srv.Close()
	for _, r := range interopRows() {
		resp, body := s.do(t, r)
		if resp.StatusCode != r.status {
			t.Errorf("%s\n\t%s %s: status %d, want %d: %v", r.scenario, r.method, r.path, resp.StatusCode, r.status, body)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != taxii.MediaType {
			t.Errorf("%s\n\tContent-Type %q", r.scenario, ct)
		}
		if r.check != nil {
			if err := r.check(s, resp, body); err != nil {
				t.Errorf("%s\n\t%s %s: %v", r.scenario, r.method, r.path, err)
			}
		}
	}
}

// TestInteropStatusKept24h: the document expects a status resource to be available for
// at least 24 hours after the POST; that is the default.
func TestInteropStatusKept24h(t *testing.T) {
	f := newFixture(t, nil)
	rec := send(f.h, exchange{method: "POST", target: "/api1/collections/" + collIndic + "/objects/", user: "reader",
		contentType: taxii.MediaType, body: envelope(newIndicator(5, t0))})
	var st taxii.Status
	if rec.Code != http.StatusAccepted || json.Unmarshal(rec.Body.Bytes(), &st) != nil {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	f.clock.set(t0.Add(time.Hour + 24*time.Hour - time.Second))
	if rec := send(f.h, exchange{method: "GET", target: "/api1/status/" + st.ID + "/", user: "reader"}); rec.Code != http.StatusOK {
		t.Errorf("status 24 h minus a second after the POST: %d %s", rec.Code, rec.Body)
	}
}

// TestInteropCollectionsByID: collections configured in another order are listed by id
// (the document's order), unless the host keeps its own.
func TestInteropCollectionsByID(t *testing.T) {
	for _, keep := range []bool{false, true} {
		f := newFixture(t, func(o *taxii.HandlerOptions) {
			o.KeepCollectionOrder = keep
			cs := o.APIRoots[0].Collections
			slices.Reverse(cs)
			for i := range cs {
				cs[i].Access = access.FeedAccess{Public: true}
			}
		})
		rec := send(f.h, exchange{method: "GET", target: "/api1/collections/"})
		var res struct{ Collections []taxii.CollectionResource }
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range res.Collections {
			ids = append(ids, c.ID)
		}
		want := []string{collPublic, collIndic, collSecret, collWrite}
		if keep {
			slices.Reverse(want)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("KeepCollectionOrder=%t: collections %v, want %v", keep, ids, want)
		}
	}
}
