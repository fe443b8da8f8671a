package stream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

const (
	shareOrg1 = stix.ID("identity--0a000000-0000-4000-8000-000000000001")
	shareOrg2 = stix.ID("identity--0a000000-0000-4000-8000-000000000002")
)

// shareClasses are four principals' clearances, organizations and capabilities, each
// seeing and receiving a different part of shareLog's objects (and one the organizations
// the objects are granted to).
var shareClasses = []access.Principal{
	{Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}, Organizations: []string{string(shareOrg1)}},
	{Markings: access.Clearance{Max: []stix.ID{stix.TLP2Green}}, Organizations: []string{string(shareOrg2)}},
	{Markings: access.Clearance{Max: []stix.ID{stix.TLP2Red}}, Organizations: []string{string(shareOrg1), string(shareOrg2)},
		Capabilities: []access.Capability{access.CapManageOrganizationSharing}},
	{Markings: access.Clearance{Max: []stix.ID{stix.TLP2Amber}}},
}

// shareLog writes a log whose objects differ by marking and granted organizations: malware
// authored by a segregated identity, relationships between them, reports containing them
// (whose object_refs each class sees redacted differently), then updates, deletes that
// cascade, and a merge.
func shareLog(t *testing.T, st *memstore.Store, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	marks := []stix.ID{stix.TLP2Green, stix.TLP2Amber, stix.TLP2Red}
	grants := func() string {
		var orgs []string
		for _, o := range []stix.ID{shareOrg1, shareOrg2} {
			if rng.IntN(3) == 0 {
				orgs = append(orgs, `"`+string(o)+`"`)
			}
		}
		if len(orgs) == 0 {
			return ""
		}
		return `,"extensions":{"` + access.OpenCTIExtension + `":{"extension_type":"property-extension","granted_refs":[` + strings.Join(orgs, ",") + `]}}`
	}
	put := func(js string) {
		if _, _, err := st.Put(ctx, stix.MustParse(js)); err != nil {
			t.Fatal(err)
		}
	}
	const ts = `"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z"`
	for _, m := range stix.TLPMarkings() {
		if _, _, err := st.Put(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for i, o := range []stix.ID{shareOrg1, shareOrg2} {
		put(fmt.Sprintf(`{"type":"identity","spec_version":"2.1","id":"%s",%s,"name":"org %d","identity_class":"organization"}`, o, ts, i))
	}
	author := "identity--0b000000-0000-4000-8000-000000000001"
	put(fmt.Sprintf(`{"type":"identity","spec_version":"2.1","id":"%s",%s,"name":"analyst","identity_class":"individual"%s}`, author, ts, grants()))
	mal := func(i int) string { return fmt.Sprintf("malware--0c000000-0000-4000-8000-%012d", i) }
	malware := func(i, version int) string {
		return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"%s","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:%02d.000Z","name":"m%d","is_family":false,"created_by_ref":"%s","object_marking_refs":["%s"]%s}`,
			mal(i), version, i, author, marks[rng.IntN(3)], grants())
	}
	const n = 40
	for i := range n {
		put(malware(i, 0))
	}
	for i := range 30 {
		put(fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--0d000000-0000-4000-8000-%012d",%s,"relationship_type":"uses","source_ref":"%s","target_ref":"%s","object_marking_refs":["%s"]%s}`,
			i, ts, mal(rng.IntN(n)), mal(rng.IntN(n)), marks[rng.IntN(3)], grants()))
	}
	for i := range 15 {
		refs := make([]string, 0, 5)
		for range 5 {
			refs = append(refs, `"`+mal(rng.IntN(n))+`"`)
		}
		put(fmt.Sprintf(`{"type":"report","spec_version":"2.1","id":"report--0e000000-0000-4000-8000-%012d",%s,"name":"r%d","published":"2024-01-01T00:00:00.000Z","object_refs":[%s],"object_marking_refs":["%s"]%s}`,
			i, ts, i, strings.Join(refs, ","), marks[rng.IntN(3)], grants()))
	}
	for v := 1; v <= 20; v++ { // updates that change markings and grants: objects enter and leave
		put(malware(rng.IntN(n), v))
	}
	for range 5 {
		if _, err := st.Delete(ctx, stix.ID(mal(2+rng.IntN(n-2)))); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if _, err := st.Merge(ctx, stix.MustParse(malware(0, 59)), []stix.ID{stix.ID(mal(1))}); err != nil {
		t.Fatal(err)
	}
}

// shareServer serves one restricted stream of st with organization segregation on, to 100
// tokens: token i runs as shareClasses[i%4] (with its own user id, so that subscribers of
// one class are different users).
func shareServer(t *testing.T, st *memstore.Store, share *Share, noShare bool) (*httptest.Server, func()) {
	t.Helper()
	var tokens []access.StaticToken
	for i := range 100 {
		p := shareClasses[i%len(shareClasses)]
		p.UserID, p.Name = fmt.Sprint("user", i), fmt.Sprint("user", i)
		p.Capabilities = append([]access.Capability{access.CapAccessDataSharing}, p.Capabilities...)
		tokens = append(tokens, access.StaticToken{Token: fmt.Sprint("token-", i), Principal: &p})
	}
	auth, err := access.NewStatic(access.StaticOptions{Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	vis, err := access.NewVisibility(&access.VisibilityOptions{EnforceOrganizations: true, UngrantedVisible: true})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(&RegistryOptions{Definitions: []Definition{{ID: "s", Name: "s", Live: true}}})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return t0 } // the caches never expire: what they hold depends on the log alone
	h, err := NewHandler(&HandlerOptions{Store: st, Streams: reg, Authenticator: auth, Visibility: vis, Clock: clock,
		Heartbeat: 20 * time.Millisecond, Share: share, NoShare: noShare})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	return srv, func() { h.Close(); srv.Close() }
}

// readAll reads the stream of token i from the start until the heartbeat at last and
// returns its change frames (id, event and data, byte for byte).
func readAll(ctx context.Context, srv *httptest.Server, client *http.Client, i int, query string, last store.Position) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stream/s?from=0"+query, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", fmt.Sprint("Bearer token-", i))
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	r := sse.NewReader(resp.Body, nil)
	var b strings.Builder
	for {
		ev, err := r.Next()
		if err != nil {
			return b.String(), err
		}
		switch ev.Event {
		case "heartbeat":
			if ev.ID == last.String() {
				return b.String(), nil
			}
		case "connected":
		default:
			fmt.Fprintf(&b, "id:%s\nevent:%s\ndata:%s\n\n", ev.ID, ev.Event, ev.Data)
		}
	}
}

// shareQuery gives some subscribers of each class other switches, which are classes of
// their own.
func shareQuery(i int) string {
	switch i % 10 {
	case 3:
		return "&no-dependencies=true"
	case 7:
		return "&listen-delete=false"
	}
	return ""
}

// TestShareHandlerByteIdentical guards the shared work against crossing subscribers:
// 100 concurrent subscribers of four clearances and organizations (and a few with other
// switches) on one Handler sharing one memo each receive exactly, byte for byte, the
// frames they receive when served alone by a Handler that shares nothing.
func TestShareHandlerByteIdentical(t *testing.T) {
	st := memstore.New(&memstore.Options{Clock: tickClock(), MaxEvents: -1})
	shareLog(t, st, rand.New(rand.NewPCG(22, 1)))
	b, err := st.Bounds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	defer client.CloseIdleConnections()

	alone := make([]string, 100)
	srv, stop := shareServer(t, st, nil, true)
	for i := range alone {
		if alone[i], err = readAll(ctx, srv, client, i, shareQuery(i), b.Last); err != nil {
			t.Fatalf("subscriber %d alone: %v", i, err)
		}
	}
	stop()
	distinct := map[string]bool{}
	for _, a := range alone {
		distinct[a] = true
	}
	if len(distinct) < 4 {
		t.Fatalf("the classes receive only %d different streams: the test cannot tell them apart", len(distinct))
	}

	share := NewShare(nil)
	srv, stop = shareServer(t, st, share, false)
	defer stop()
	shared := make([]string, 100)
	errs := make([]error, 100)
	var wg sync.WaitGroup
	for i := range shared {
		wg.Go(func() { shared[i], errs[i] = readAll(ctx, srv, client, i, shareQuery(i), b.Last) })
	}
	wg.Wait()
	for i := range shared {
		if errs[i] != nil {
			t.Fatalf("subscriber %d shared: %v", i, errs[i])
		}
		if shared[i] != alone[i] {
			t.Errorf("subscriber %d (class %d%s) received otherwise when sharing:\n%s", i, i%4, shareQuery(i), firstLineDiff(alone[i], shared[i]))
		}
	}
	s := share.Stats()
	t.Logf("%d events, %d distinct streams, share %+v", b.Count, len(distinct), s)
	if s.Hits == 0 {
		t.Error("no plan was shared: the comparison checks nothing of the Share")
	}
}

// firstLineDiff shows the first line where got departs from want.
func firstLineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(wl), len(gl)) {
		if wl[i] != gl[i] {
			return fmt.Sprintf("line %d:\n want %.300s\n got  %.300s", i+1, wl[i], gl[i])
		}
	}
	return fmt.Sprintf("want %d lines, got %d", len(wl), len(gl))
}
