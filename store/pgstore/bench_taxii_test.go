package pgstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/pgtest"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/store/pgstore"
	"github.com/ctifeed/ctifeed/taxii"
)

const (
	bigN    = 1_000_000
	bigBase = int64(1704067200000) // 2024-01-01 in Unix ms: record i is added at bigBase + i ms
)

// sco is the big stores' record i: a small observable with a deterministic id.
func sco(i int) *stix.Object {
	return stix.MustParse(fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%08x-0000-4000-8000-%012x","value":"10.%d.%d.%d"}`,
		i, i, i>>16&255, i>>8&255, i&255))
}

// buildPG fills an empty pgstore database with the 1,000,000 records sco(1..N) would
// get from PutMany with a clock ticking one millisecond per event, written by the server
// itself in three statements (a benchmark-only shortcut: PutMany at 1,000,000 objects
// would take minutes on a shared machine and measure nothing this benchmark is about).
func buildPG(ctx context.Context, s *pgstore.Store) error {
	_, err := s.Pool().Exec(ctx, fmt.Sprintf(`
		INSERT INTO ctifeed_records (id, type, raw, added, updated, stored, from_lsn, ids)
		SELECT id, 'ipv4-addr',
			convert_to(format('{"type":"ipv4-addr","spec_version":"2.1","id":"%%s","value":"10.%%s.%%s.%%s"}',
				id, (i >> 16) & 255, (i >> 8) & 255, i & 255), 'UTF8'),
			t, t, t, i, ARRAY[id]
		FROM (SELECT i, format('ipv4-addr--%%s-0000-4000-8000-%%s', lpad(to_hex(i), 8, '0'), lpad(to_hex(i), 12, '0')) AS id,
			(%[1]d + i::bigint) * 1000000 AS t FROM generate_series(1, %[2]d) AS i) AS x;
		INSERT INTO ctifeed_log (lsn, ms, seq, kind, id)
		SELECT i, %[1]d + i, 0, 1, format('ipv4-addr--%%s-0000-4000-8000-%%s', lpad(to_hex(i), 8, '0'), lpad(to_hex(i), 12, '0'))
		FROM generate_series(1, %[2]d) AS i;
		UPDATE ctifeed_head SET lsn = %[2]d, ms = %[1]d + %[2]d, seq = 0, objects = %[2]d;
		ANALYZE;`, bigBase, bigN))
	return err
}

func buildMem(ctx context.Context) (*memstore.Store, error) {
	var mu sync.Mutex
	t := time.UnixMilli(bigBase)
	s := memstore.New(&memstore.Options{MaxEvents: 1000, Clock: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}})
	batch := make([]*stix.Object, 0, 10_000)
	for i := 1; i <= bigN; i++ {
		batch = append(batch, sco(i))
		if len(batch) == cap(batch) {
			if _, err := store.PutMany(ctx, s, batch); err != nil {
				return nil, err
			}
			batch = batch[:0]
		}
	}
	return s, nil
}

// A TAXII page of 1,000 at depth 900,000 of 1,000,000 records costs what the first page
// costs (goal: deep/first ≤ 2): the `next` token resumes a keyset scan on the
// (date_added, id) index. The deep token is reached by paging through the handler.
func BenchmarkTAXIIPage(b *testing.B) {
	pg, err := pgstore.Open(b.Context(), pgtest.DSN(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close()
	if err := buildPG(b.Context(), pg); err != nil {
		b.Fatal(err)
	}
	mem, err := buildMem(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range []struct {
		name string
		s    store.Store
	}{{"pgstore", pg}, {"memstore", mem}} {
		h := pageHandler(b, e.s)
		next := ""
		for range 900 {
			env := getPage(b, h, next)
			next = env.Next
		}
		for _, p := range []struct{ name, next string }{{"first", ""}, {"deep", next}} {
			b.Run(e.name+"/"+p.name, func(b *testing.B) {
				for b.Loop() {
					if env := getPage(b, h, p.next); len(env.Objects) != 1000 {
						b.Fatalf("page of %d objects", len(env.Objects))
					}
				}
			})
		}
	}
}

func pageHandler(b *testing.B, s store.Store) http.Handler {
	h, err := taxii.NewHandler(&taxii.HandlerOptions{Store: s, CursorKey: []byte("benchmark key"), MaxLimit: 1000,
		APIRoots: []taxii.APIRoot{{Path: "api1", Title: "one", Collections: []taxii.Collection{{
			ID: taxiiColl, Alias: "all", Title: "All", Access: access.FeedAccess{Public: true}, CanRead: true}}}}})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func getPage(b *testing.B, h http.Handler, next string) envelope {
	target := "/api1/collections/" + taxiiColl + "/objects/?limit=1000"
	if next != "" {
		target += "&next=" + next
	}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	var env envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		b.Fatal(err)
	}
	return env
}
