package taxii_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/taxii"
)

// clientServer serves the fixture over HTTP with a ticking clock (so that what is posted
// is served a moment later) and background writes (so that AddObjects has to poll).
func clientServer(t *testing.T) (*fixture, *httptest.Server) {
	t.Helper()
	f := newFixture(t, func(o *taxii.HandlerOptions) { o.AsyncWrites = true })
	f.clock.mu.Lock()
	f.clock.tick = time.Millisecond
	f.clock.mu.Unlock()
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	return f, srv
}

func newClient(t *testing.T, url string, opts *taxii.ClientOptions) *taxii.Client {
	t.Helper()
	c, err := taxii.NewClient(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func ids(objs []*stix.Object) []stix.ID {
	out := make([]stix.ID, len(objs))
	for i, o := range objs {
		out[i] = o.ID()
	}
	return out
}

// The Go client against the Go server: discovery to delete, with Basic and Bearer.
func TestClientEndToEnd(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	f := newFixture(t, func(o *taxii.HandlerOptions) { o.AsyncWrites = true })
	f.clock.tick = time.Millisecond // before any request: no lock needed
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	c := newClient(t, srv.URL, &taxii.ClientOptions{HTTPClient: hc, Username: "reader", Password: "pw", PollInterval: time.Millisecond})

	d, err := c.Discovery(ctx)
	if err != nil || d.Title != "ctifeed test server" || d.Default != srv.URL+"/api1/" {
		t.Fatalf("Discovery = %+v, %v", d, err)
	}
	r, err := c.APIRoot(ctx, d.Default)
	if err != nil || r.MaxContentLength != 4096 || !slices.Equal(r.Versions, []string{taxii.MediaType}) {
		t.Fatalf("APIRoot = %+v, %v", r, err)
	}
	cols, err := c.Collections(ctx, "api1")
	if err != nil || len(cols) != 3 {
		t.Fatalf("Collections = %+v, %v; want the 3 a reader may use", cols, err)
	}
	col, err := c.Collection(ctx, "api1", "indicators")
	if err != nil || col.ID != collIndic || !col.CanWrite {
		t.Fatalf("Collection = %+v, %v", col, err)
	}

	// Pages of two give what one page gives.
	paged := collect(t, c.Objects(ctx, "api1", "public", &taxii.Query{Limit: 2}))
	whole := collect(t, c.Objects(ctx, "api1", "public", nil))
	if diff := cmp.Diff(ids(whole), ids(paged)); diff != "" || len(whole) != 6 {
		t.Errorf("paged objects (-whole +paged) of %d:\n%s", len(whole), diff)
	}

	// POST answers pending; AddObjects polls the status until complete.
	newObjs := []*stix.Object{newIndicator(11, t0), newIndicator(12, t0), fixtureObjects()[3]}
	st, err := c.AddObjects(ctx, "api1", "indicators", newObjs)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != taxii.StatusComplete || st.TotalCount != 3 || st.SuccessCount != 2 || st.FailureCount != 1 || st.PendingCount != 0 {
		t.Fatalf("status = %+v", st)
	}
	again, err := c.Status(ctx, "api1", st.ID)
	if err != nil || again.SuccessCount != 2 {
		t.Fatalf("Status = %+v, %v", again, err)
	}
	got := collect(t, c.Objects(ctx, "api1", "indicators", &taxii.Query{AddedAfter: t0.Add(time.Hour)}))
	if diff := cmp.Diff([]stix.ID{newObjs[0].ID(), newObjs[1].ID()}, ids(got)); diff != "" {
		t.Errorf("posted objects (-want +got):\n%s", diff)
	}

	// Versions, manifest and one object.
	vs := collect(t, c.Versions(ctx, "api1", "public", idIndA, &taxii.Query{Limit: 1}))
	if !slices.Equal(vs, []string{"2024-01-02T00:00:00.000Z", "2024-02-01T00:00:00.000Z"}) {
		t.Errorf("Versions = %v", vs)
	}
	man := collect(t, c.Manifest(ctx, "api1", "public", &taxii.Query{Types: []string{"malware"}}))
	if len(man) != 1 || man[0].ID != string(idMalware) || man[0].DateAdded != "2024-05-01T10:03:00.000000Z" {
		t.Errorf("Manifest = %+v", man)
	}
	first, err := c.Object(ctx, "api1", "public", idIndA, &taxii.Query{Versions: []string{"first"}})
	if err != nil || len(first) != 1 || first[0].Get("name").String() != "evil.example" {
		t.Errorf("Object(first) = %v, %v", first, err)
	}

	// Delete, then the object is gone.
	if err := c.DeleteObject(ctx, "api1", "indicators", newObjs[0].ID(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Object(ctx, "api1", "indicators", newObjs[0].ID(), nil); !errors.Is(err, taxii.ErrNotFound) {
		t.Errorf("Object after delete: %v, want ErrNotFound", err)
	}

	// Bearer works as Basic does.
	tc := newClient(t, srv.URL, &taxii.ClientOptions{HTTPClient: hc, Token: "reader-token"})
	if _, err := tc.Collection(ctx, "api1", "indicators"); err != nil {
		t.Errorf("Bearer: %v", err)
	}
}

// Error answers come back as *taxii.Error matching the sentinels by status.
func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	_, srv := clientServer(t)
	for _, tc := range []struct {
		rule string
		opts *taxii.ClientOptions
		coll string
		want error
	}{
		{"anonymous on a restricted collection: 401", nil, "indicators", taxii.ErrUnauthorized},
		{"no data-sharing capability: 403", &taxii.ClientOptions{Username: "nocap", Password: "pw"}, "indicators", taxii.ErrForbidden},
		{"a collection for other members: 404", &taxii.ClientOptions{Username: "reader", Password: "pw"}, collSecret, taxii.ErrNotFound},
		{"wrong password: 401", &taxii.ClientOptions{Username: "reader", Password: "nope"}, "public", taxii.ErrUnauthorized},
	} {
		c := newClient(t, srv.URL, tc.opts)
		_, err := c.Collection(ctx, "api1", tc.coll)
		var te *taxii.Error
		if !errors.Is(err, tc.want) || !errors.As(err, &te) || te.HTTPStatus == "" {
			t.Errorf("%s: got %v", tc.rule, err)
		}
	}
	for _, bad := range []string{"ftp://x/", "not a url", "/relative"} {
		if _, err := taxii.NewClient(bad, nil); !errors.Is(err, taxii.ErrInvalidOptions) {
			t.Errorf("NewClient(%q): %v", bad, err)
		}
	}
	if _, err := taxii.NewClient("http://x/", &taxii.ClientOptions{Username: "u", Token: "t"}); !errors.Is(err, taxii.ErrInvalidOptions) {
		t.Errorf("Basic and Bearer together: %v", err)
	}
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html></html>")
	}))
	defer html.Close()
	if _, err := newClient(t, html.URL, nil).Discovery(ctx); !errors.Is(err, taxii.ErrBadResponse) {
		t.Errorf("an HTML answer: %v, want ErrBadResponse", err)
	}
}

var nextMember = regexp.MustCompile(`,"next":"[^"]*"`)

// A server that says more but omits next (some do) is followed with added_after set to
// the page's X-TAXII-Date-Added-Last.
func TestClientFallsBackToAddedAfter(t *testing.T) {
	ctx := context.Background()
	f, _ := clientServer(t)
	noNext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(nextMember.ReplaceAll(rec.Body.Bytes(), nil))
	}))
	defer noNext.Close()
	c := newClient(t, noNext.URL, nil)
	got := collect(t, c.Objects(ctx, "api1", "public", &taxii.Query{Limit: 2}))
	want := collect(t, newClient(t, noNext.URL, nil).Objects(ctx, "api1", "public", &taxii.Query{Limit: 100}))
	if diff := cmp.Diff(ids(want), ids(got)); diff != "" || len(got) != 5 {
		t.Errorf("%d objects (-want +got):\n%s", len(got), diff)
	}
}

// ResolveMissing fetches what the objects reference, transitively, and reports what the
// collection does not have (here the TLP:AMBER indicator, which anonymous callers may not
// see, and an id that does not exist).
func TestResolveMissing(t *testing.T) {
	ctx := context.Background()
	_, srv := clientServer(t)
	c := newClient(t, srv.URL, nil)
	rel := fixtureObjects()[4] // indicates: indicator A → malware; both created by the org
	report := must(stix.NewReport("r", t0, []stix.ID{idIndAmber, "tool--99999999-9999-4999-8999-999999999999"},
		stix.Common{ID: "report--77777777-7777-4777-8777-777777777777", Created: t0}))
	found, missing, err := c.ResolveMissing(ctx, "api1", "public", []*stix.Object{rel, report})
	if err != nil {
		t.Fatal(err)
	}
	gotIDs := ids(found)
	slices.Sort(gotIDs)
	if diff := cmp.Diff([]stix.ID{idOrg, idIndA, idMalware}, gotIDs); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]stix.ID{idIndAmber, "tool--99999999-9999-4999-8999-999999999999"}, missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
}
