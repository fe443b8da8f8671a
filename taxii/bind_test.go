package taxii

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// writeDuringRead is a store in which a write lands while the binding reads the
// relationships of the named object, once.
type writeDuringRead struct {
	*memstore.Store
	write func()
}

func (w *writeDuringRead) RelationsOf(ctx context.Context, id stix.ID) ([]store.Record, error) {
	if f := w.write; f != nil {
		w.write = nil
		f()
	}
	return w.Store.RelationsOf(ctx, id)
}

// TestBindingIsAsOfTheRequestStart: a request binds its relationship keys as of the log's
// last position when it starts. The binding reads the current state, which is cheaper; a
// write landing during that read moves the log, and the binding is then made again as of
// the start, so the relationship written meanwhile does not count for this request (it
// does for the next).
func TestBindingIsAsOfTheRequestStart(t *testing.T) {
	ctx := context.Background()
	var n int64
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	mem := memstore.New(&memstore.Options{Clock: func() time.Time { n++; return base.Add(time.Duration(n) * time.Millisecond) }})
	put := func(js string) {
		if _, _, err := mem.Put(ctx, stix.MustParse(js)); err != nil {
			t.Fatal(err)
		}
	}
	const emotet = "malware--00000000-0000-4000-8000-000000000001"
	ind := func(i int) string { return "indicator--00000000-0000-4000-8000-00000000010" + string(rune('0'+i)) }
	indicates := func(i int) {
		put(`{"type":"indicator","spec_version":"2.1","id":"` + ind(i) + `","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`)
		put(`{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-00000000020` + string(rune('0'+i)) + `","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","relationship_type":"indicates","source_ref":"` + ind(i) + `","target_ref":"` + emotet + `"}`)
	}
	put(`{"type":"malware","spec_version":"2.1","id":"` + emotet + `","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"Emotet","is_family":true}`)
	indicates(1)
	st := &writeDuringRead{Store: mem, write: func() { indicates(2) }}
	g, err := filter.ParseText("entity_type = Indicator and regardingOf = {id = " + emotet + ", relationship_type = indicates}")
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(&HandlerOptions{Store: st, CursorKey: []byte("k"), Clock: func() time.Time { return base.Add(time.Hour) },
		APIRoots: []APIRoot{{Path: "api", Title: "t", Collections: []Collection{
			{ID: "c", Title: "c", Access: access.FeedAccess{Public: true}, CanRead: true, Filters: &g}}}}})
	if err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		r := httptest.NewRequest("GET", "/api/collections/c/objects/", nil)
		r.Header.Set("Accept", MediaType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var env struct{ Objects []struct{ ID string } }
		if err := json.Unmarshal(w.Body.Bytes(), &env); w.Code != 200 || err != nil {
			t.Fatalf("%d %v %s", w.Code, err, w.Body)
		}
		var ids []string
		for _, o := range env.Objects {
			ids = append(ids, o.ID)
		}
		return ids
	}
	if got := list(); !slices.Equal(got, []string{ind(1)}) {
		t.Errorf("the request that started before the write lists %v, want only %s", got, ind(1))
	}
	if got := list(); !slices.Equal(got, []string{ind(1), ind(2)}) {
		t.Errorf("the next request lists %v, want both indicators", got)
	}
}
