package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/internal/golden"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/taxii"
)

var update = flag.Bool("update", false, "rewrite the golden exchanges in testdata/exchanges")

// exchange is one request to the fixture's handler whose request and response are kept as
// a txtar golden file.
type exchange struct {
	name, why      string
	method, target string
	user           string // reader, nocap, token, wrong or "" (anonymous)
	accept         string // default: the TAXII media type
	contentType    string
	body           string
	before         []exchange // requests sent first, not recorded
	// nextFrom is a request whose `next` is appended to target; tamper alters it first.
	nextFrom string
	tamper   func(string) string
	mod      func(*taxii.HandlerOptions)
}

const (
	objs     = "/api1/collections/" + collPublic + "/objects/"
	manifest = "/api1/collections/" + collPublic + "/manifest/"
	indObjs  = "/api1/collections/indicators/objects/"
)

func exchanges() []exchange {
	amberV := "/api1/collections/public/objects/" + string(idIndAmber) + "/"
	objA := "/api1/collections/public/objects/" + string(idIndA) + "/"
	bad := must(stix.Parse([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--6c917b6f-a073-4050-9fae-bf639f734f07","created":"2024-01-07T00:00:00Z","modified":"2024-01-07T00:00:00.000Z","name":"no pattern"}`)))
	post := envelope(newIndicator(1, t0), fixtureObjects()[1], bad, fixtureObjects()[3])
	return []exchange{
		{name: "discovery", why: "Discovery lists the API roots as absolute URLs, the first as default.", method: "GET", target: "/taxii2/"},
		{name: "discovery-no-slash", why: "The trailing slash may be omitted.", method: "GET", target: "/taxii2"},
		{name: "discovery-accept-json", why: "OpenCTI's ingester sends application/json, text/plain, */*: accepted.", method: "GET", target: "/taxii2/", accept: "application/json, text/plain, */*"},
		{name: "discovery-accept-taxii-no-version", why: "application/taxii+json without a version means the latest: accepted.", method: "GET", target: "/taxii2/", accept: "application/taxii+json"},
		{name: "error-406", why: "An Accept that admits no TAXII 2.1 answer is refused with 406, in the TAXII media type.", method: "GET", target: "/taxii2/", accept: "application/taxii+json;version=2.0"},
		{name: "error-405-discovery", why: "Discovery is read-only: 405 with Allow.", method: "POST", target: "/taxii2/", contentType: taxii.MediaType, body: "{}"},
		{name: "api-root", why: "The API root has title, versions and max_content_length, which taxii2-client requires.", method: "GET", target: "/api1/"},
		{name: "error-404-unknown-root", why: "An unknown path answers a TAXII error resource with a string http_status.", method: "GET", target: "/api2/"},
		{name: "error-401-wrong-password", why: "Wrong credentials answer 401 with WWW-Authenticate, everywhere.", method: "GET", target: "/api1/", user: "wrong"},
		{name: "collections-anonymous", why: "Anonymous callers see only the public collection.", method: "GET", target: "/api1/collections/"},
		{name: "collections-reader", why: "A reader sees every collection but the one for insiders, whose existence is hidden.", method: "GET", target: "/api1/collections/", user: "reader"},
		{name: "collections-none", why: "No collection to show: the body is {} (no empty list).", method: "GET", target: "/api1/collections/", user: "nocap",
			mod: func(o *taxii.HandlerOptions) { o.APIRoots[0].Collections = o.APIRoots[0].Collections[1:] }},
		{name: "collection", why: "One collection, by id.", method: "GET", target: "/api1/collections/" + collIndic + "/", user: "token"},
		{name: "collection-alias", why: "The alias works in place of the id.", method: "GET", target: "/api1/collections/indicators/", user: "reader"},
		{name: "error-401-restricted", why: "A restricted collection asks anonymous callers to authenticate.", method: "GET", target: "/api1/collections/indicators/"},
		{name: "error-403-no-capability", why: "Without the data-sharing capability a restricted collection is forbidden.", method: "GET", target: "/api1/collections/indicators/", user: "nocap"},
		{name: "error-404-hidden-collection", why: "A collection limited to other members answers 404, as one that does not exist.", method: "GET", target: "/api1/collections/" + collSecret + "/objects/", user: "reader"},
		{name: "error-404-unknown-collection", why: "An unknown collection answers 404.", method: "GET", target: "/api1/collections/nope/"},
		{name: "objects-anonymous", why: "The public collection as anonymous: the TLP:AMBER indicator is not served; objects ascend by the date their current version was stored, so the updated indicator comes last.", method: "GET", target: objs},
		{name: "objects-reader", why: "The same collection for a reader cleared up to AMBER includes the marked indicator.", method: "GET", target: objs, user: "reader"},
		{name: "objects-page-1", why: "limit=2: the first page says more and gives next.", method: "GET", target: objs + "?limit=2"},
		{name: "objects-page-2", why: "next continues after the first page's last object.", method: "GET", target: objs + "?limit=2", nextFrom: objs + "?limit=2"},
		{name: "objects-exactly-full", why: "A last page that is exactly full says more:false (never 'the page is full').", method: "GET", target: objs + "?limit=5"},
		{name: "objects-empty", why: "Nothing after added_after: an envelope without objects and without X-TAXII-Date-Added headers.", method: "GET", target: objs + "?added_after=2030-01-01T00:00:00Z"},
		{name: "objects-added-after", why: "added_after is strictly after: the object stored at that instant is not served.", method: "GET", target: objs + "?added_after=2024-05-01T10:04:00.000000Z"},
		{name: "objects-match-type", why: "match[type] values are ORed.", method: "GET", target: objs + "?match[type]=malware,relationship"},
		{name: "objects-match-id", why: "match[id] reads the ids; an unknown id is no error.", method: "GET", target: objs + "?match[id]=" + string(idMalware) + "," + string(idOrg) + ",malware--99999999-9999-4999-8999-999999999999"},
		{name: "objects-match-type-and-id", why: "Different match fields AND together.", method: "GET", target: objs + "?match[type]=identity&match[id]=" + string(idMalware) + "," + string(idOrg)},
		{name: "objects-version-all", why: "match[version]=all serves every version; each has its own date_added.", method: "GET", target: objs + "?match[version]=all&match[id]=" + string(idIndA)},
		{name: "objects-version-first", why: "match[version]=first serves the oldest version.", method: "GET", target: objs + "?match[version]=first&match[type]=indicator"},
		{name: "objects-version-timestamp", why: "An exact timestamp selects that version; combined with last by a comma.", method: "GET", target: objs + "?match[version]=2024-01-02T00:00:00.000Z,last&match[type]=indicator"},
		{name: "objects-version-all-paged", why: "A page may end inside one object's versions; next resumes at the following version.", method: "GET", target: objs + "?match[version]=all&limit=5", nextFrom: objs + "?match[version]=all&limit=5"},
		{name: "objects-spec-version", why: "match[spec_version]=2.0 selects nothing from a STIX 2.1 store.", method: "GET", target: objs + "?match[spec_version]=2.0"},
		{name: "objects-limit-capped", why: "A limit above the maximum is served as the maximum.", method: "GET", target: objs + "?limit=99999999999999999999&match[type]=malware"},
		{name: "objects-filtered-collection", why: "A collection serves only what its filter selects.", method: "GET", target: indObjs, user: "reader"},
		{name: "manifest", why: "Manifest records: id, date_added, version, media_type.", method: "GET", target: manifest + "?limit=3"},
		{name: "manifest-versions", why: "The manifest lists every version with match[version]=all.", method: "GET", target: manifest + "?match[version]=all&match[id]=" + string(idIndA)},
		{name: "object", why: "One object: its latest version.", method: "GET", target: objA},
		{name: "object-all-versions", why: "One object with match[version]=all.", method: "GET", target: objA + "?match[version]=all"},
		{name: "object-paged", why: "One object's versions, a page of one, second page.", method: "GET", target: objA + "?match[version]=all&limit=1", nextFrom: objA + "?match[version]=all&limit=1"},
		{name: "versions", why: "The versions of an object.", method: "GET", target: objA + "versions/"},
		{name: "error-404-object-hidden", why: "An object the caller may not see answers 404.", method: "GET", target: amberV},
		{name: "error-404-object-outside", why: "An object outside the collection's filter answers 404.", method: "GET", target: "/api1/collections/indicators/objects/" + string(idMalware) + "/", user: "reader"},
		{name: "error-400-object-id", why: "A malformed object id answers 400.", method: "GET", target: "/api1/collections/public/objects/not-an-id/"},
		{name: "error-400-limit-zero", why: "limit must be a positive integer.", method: "GET", target: objs + "?limit=0"},
		{name: "error-400-limit-text", why: "limit must be a positive integer.", method: "GET", target: objs + "?limit=ten"},
		{name: "error-400-added-after", why: "added_after must be a timestamp.", method: "GET", target: objs + "?added_after=yesterday"},
		{name: "error-400-added-after-twice", why: "added_after may be given once.", method: "GET", target: objs + "?added_after=2024-01-01T00:00:00Z&added_after=2024-01-02T00:00:00Z"},
		{name: "error-400-match-version", why: "match[version] takes last, first, all or timestamps.", method: "GET", target: objs + "?match[version]=latest"},
		{name: "error-400-match-id", why: "match[id] takes STIX identifiers.", method: "GET", target: objs + "?match[id]=indicator--nope"},
		{name: "error-400-match-type", why: "match[type] takes STIX type names.", method: "GET", target: objs + "?match[type]=Indicator"},
		{name: "error-400-match-spec-version", why: "match[spec_version] takes versions such as 2.1.", method: "GET", target: objs + "?match[spec_version]=latest"},
		{name: "error-400-match-unknown", why: "A match field the endpoint does not define is refused rather than ignored.", method: "GET", target: objs + "?match[label]=x"},
		{name: "error-400-versions-match-id", why: "The versions endpoint takes no match[id].", method: "GET", target: objA + "versions/?match[id]=" + string(idIndA)},
		{name: "error-400-next-tampered", why: "An altered next is refused with 400 naming next.", method: "GET", target: objs + "?limit=2", nextFrom: objs + "?limit=2",
			tamper: func(s string) string { return s[:10] + string(rune('A'+(s[10]-'A'+1)%26)) + s[11:] }},
		{name: "error-400-next-other-filter", why: "A next reused with other filters is refused with 400 naming next.", method: "GET", target: objs + "?limit=2&match[type]=indicator", nextFrom: objs + "?limit=2"},
		{name: "error-400-next-other-collection", why: "A next from one collection is refused by another.", method: "GET", target: indObjs + "?limit=2", user: "reader", nextFrom: objs + "?limit=2"},
		{name: "error-400-next-manifest", why: "A next from objects is refused by the manifest.", method: "GET", target: manifest + "?limit=2", nextFrom: objs + "?limit=2"},
		{name: "error-403-cannot-read", why: "can_read=false: GET objects answers 403.", method: "GET", target: "/api1/collections/inbox/objects/", user: "reader"},
		{name: "error-405-objects", why: "objects takes GET and POST only.", method: "PUT", target: indObjs, user: "reader"},
		{name: "post", why: "POST answers 202 with a complete status: a new object and a duplicate succeed; an invalid object and one outside the filter fail with messages.", method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: post},
		{name: "post-bundle", why: "A STIX bundle is accepted as well.", method: "POST", target: indObjs, user: "reader", contentType: "application/stix+json;version=2.1",
			body: `{"type":"bundle","id":"bundle--1f1d1c1b-1a19-4817-9615-141312111009","objects":[` + string(newIndicator(2, t0).Raw()) + `]}`},
		{name: "status", why: "The status of a POST, for the principal that posted.", method: "GET", target: "/api1/status/" + statusID + "/", user: "reader",
			before: []exchange{{method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: post}}},
		{name: "error-404-status-other-user", why: "Someone else's status does not exist for the caller.", method: "GET", target: "/api1/status/" + statusID + "/",
			before: []exchange{{method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: post}}},
		{name: "error-404-status", why: "An unknown status answers 404.", method: "GET", target: "/api1/status/" + statusID + "/"},
		{name: "error-413", why: "A body over max_content_length answers 413.", method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType,
			body: `{"objects":[` + strings.Repeat(string(newIndicator(3, t0).Raw())+",", 20) + string(newIndicator(3, t0).Raw()) + `]}`},
		{name: "error-415", why: "A body that is not TAXII JSON answers 415.", method: "POST", target: indObjs, user: "reader", contentType: "text/plain", body: "hello"},
		{name: "error-422-not-json", why: "A body that is not an envelope answers 422.", method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: "[1,2"},
		{name: "error-422-single-object", why: "A lone STIX object is not an envelope: 422.", method: "POST", target: indObjs, user: "reader", contentType: taxii.MediaType, body: string(newIndicator(4, t0).Raw())},
		{name: "error-403-cannot-write", why: "can_write=false: POST answers 403.", method: "POST", target: objs, user: "reader", contentType: taxii.MediaType, body: `{"objects":[]}`},
		{name: "delete", why: "DELETE answers 200 without a body; the object is then gone.", method: "DELETE", target: "/api1/collections/indicators/objects/" + string(idIndC) + "/", user: "reader"},
		{name: "delete-then-get", why: "After DELETE the object is gone from objects and manifest.", method: "GET", target: "/api1/collections/indicators/manifest/", user: "reader",
			before: []exchange{{method: "DELETE", target: "/api1/collections/indicators/objects/" + string(idIndC) + "/", user: "reader"}}},
		{name: "error-400-delete-some-versions", why: "The store deletes an object with all its versions, so deleting some is refused.", method: "DELETE", target: "/api1/collections/indicators/objects/" + string(idIndA) + "/?match[version]=first", user: "reader"},
		{name: "error-403-delete-cannot-write", why: "can_write=false: DELETE answers 403.", method: "DELETE", target: objA},
		{name: "error-400-query-string", why: "A query string that does not decode answers 400 naming query.", method: "GET", target: objs + "?limit=%zz"},
		{name: "error-405-manifest", why: "manifest is read-only: 405 with Allow.", method: "DELETE", target: manifest},
		{name: "error-503-authenticator", why: "An authenticator that fails (not wrong credentials) answers 503 and is logged.", method: "GET", target: "/api1/", user: "reader",
			mod: func(o *taxii.HandlerOptions) { o.Authenticator = failingAuth{} }},
		{name: "error-500-store", why: "A store failure answers 500 without details (they go to the log).", method: "GET", target: objs,
			mod: func(o *taxii.HandlerOptions) { o.Store = failingStore{o.Store} }},
		{name: "error-404-delete-unknown", why: "Deleting an unknown object answers 404.", method: "DELETE", target: "/api1/collections/indicators/objects/indicator--99999999-9999-4999-8999-999999999999/", user: "reader"},
	}
}

type failingAuth struct{}

func (failingAuth) Authenticate(*http.Request) (*access.Principal, error) {
	return nil, errors.New("directory unavailable")
}

// failingStore fails every scan.
type failingStore struct{ store.Store }

func (failingStore) Scan(context.Context, store.ScanOptions) (store.Page, error) {
	return store.Page{}, errors.New("disk on fire")
}

func TestGoldenExchanges(t *testing.T) {
	seen := map[string]bool{}
	for _, ex := range exchanges() {
		if seen[ex.name] {
			t.Fatalf("duplicate exchange %s", ex.name)
		}
		seen[ex.name] = true
		t.Run(ex.name, func(t *testing.T) {
			f := newFixture(t, ex.mod)
			for _, b := range ex.before {
				if rec := send(f.h, b); rec.Code >= 300 {
					t.Fatalf("before: %s %s: %d %s", b.method, b.target, rec.Code, rec.Body)
				}
			}
			if ex.nextFrom != "" {
				first := ex
				first.target, first.nextFrom = ex.nextFrom, ""
				var env struct{ Next string }
				if rec := send(f.h, first); json.Unmarshal(rec.Body.Bytes(), &env) != nil || env.Next == "" {
					t.Fatalf("no next from %s: %s", ex.nextFrom, rec.Body)
				}
				if ex.tamper != nil {
					env.Next = ex.tamper(env.Next)
				}
				sep := "?"
				if strings.Contains(ex.target, "?") {
					sep = "&"
				}
				ex.target += sep + "next=" + url.QueryEscape(env.Next)
			}
			rec := send(f.h, ex)
			if got := rec.Header().Get("Content-Type"); got != taxii.MediaType {
				t.Errorf("Content-Type = %q, want %q on every response", got, taxii.MediaType)
			}
			got := renderExchange(ex, rec)
			path := filepath.Join("testdata", "exchanges", ex.name+".txtar")
			golden.Check(t, path, got, *update)
		})
	}
}

func request(ex exchange) *http.Request {
	var r *http.Request
	if ex.body != "" {
		r = httptest.NewRequest(ex.method, ex.target, strings.NewReader(ex.body))
	} else {
		r = httptest.NewRequest(ex.method, ex.target, nil)
	}
	r.Host = "taxii.example"
	accept := ex.accept
	if accept == "" {
		accept = taxii.MediaType
	}
	r.Header.Set("Accept", accept)
	if ex.contentType != "" {
		r.Header.Set("Content-Type", ex.contentType)
	}
	switch ex.user {
	case "reader", "nocap":
		r.SetBasicAuth(ex.user, "pw")
	case "wrong":
		r.SetBasicAuth("reader", "not the password")
	case "token":
		r.Header.Set("Authorization", "Bearer reader-token")
	}
	return r
}

func send(h http.Handler, ex exchange) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, request(ex))
	return rec
}

// renderExchange is the golden form: why it exists, then the request and the response as
// txtar sections, JSON bodies indented.
func renderExchange(ex exchange, rec *httptest.ResponseRecorder) string {
	var b strings.Builder
	b.WriteString(ex.why + "\n-- request --\n")
	r := request(ex)
	fmt.Fprintf(&b, "%s %s\n", ex.method, ex.target)
	for _, h := range []string{"Accept", "Authorization", "Content-Type"} {
		if v := r.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	if ex.body != "" {
		b.WriteString("\n" + indent([]byte(ex.body)))
	}
	b.WriteString("-- response --\n")
	fmt.Fprintf(&b, "%d %s\n", rec.Code, http.StatusText(rec.Code))
	for _, h := range []string{"Content-Type", "Allow", "WWW-Authenticate", "X-Taxii-Date-Added-First", "X-Taxii-Date-Added-Last"} {
		if v := rec.Header().Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	if rec.Body.Len() > 0 {
		b.WriteString("\n" + indent(rec.Body.Bytes()))
	}
	return b.String()
}

func indent(body []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		if len(body) > 300 {
			body = append(body[:300:300], "…"...)
		}
		return fmt.Sprintf("NOT JSON: %q\n", body)
	}
	return out.String() + "\n"
}
