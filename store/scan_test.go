package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/memstore"
)

// pushdown is a store that evaluates filters "natively" (here: a type name given as the
// filter JSON) or declines with errors.ErrUnsupported.
type pushdown struct {
	store.Store
	calls int
}

func (p *pushdown) ScanFilter(ctx context.Context, opts store.ScanOptions) (store.Page, error) {
	p.calls++
	var typ string
	if json.Unmarshal(opts.Filter, &typ) != nil {
		return store.Page{}, fmt.Errorf("filter not supported: %w", errors.ErrUnsupported)
	}
	opts.Match, opts.Filter, opts.Types = nil, nil, []string{typ}
	return p.Store.Scan(ctx, opts)
}

// onlyStore hides the optional capabilities of what it wraps.
type onlyStore struct{ store.Store }

func fill(t *testing.T, s store.Store) {
	for i := range 10 {
		typ := []string{"malware", "tool"}[i%2]
		o, err := stix.New(typ, map[string]any{"name": fmt.Sprint(i)}, stix.Common{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Put(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
}

func types(p store.Page) []string {
	var out []string
	for _, r := range p.Records {
		out = append(out, r.Object.Type())
	}
	return out
}

func TestScanPushdown(t *testing.T) {
	p := &pushdown{Store: memstore.New(nil)}
	fill(t, p)
	isTool := func(o *stix.Object) bool { return o.Type() == "tool" }

	// The store evaluates a filter it understands: Match is not what decided.
	page, err := store.Scan(t.Context(), p, store.ScanOptions{Limit: 100, Filter: json.RawMessage(`"malware"`),
		Match: func(*stix.Object) bool { return false }})
	if err != nil || p.calls != 1 || len(page.Records) != 5 || slices.Contains(types(page), "tool") {
		t.Errorf("pushed-down filter: %d records %v, %d calls, %v; want the 5 malware from ScanFilter", len(page.Records), types(page), p.calls, err)
	}
	// A filter it declines falls back to Match.
	page, err = store.Scan(t.Context(), p, store.ScanOptions{Limit: 100, Filter: json.RawMessage(`{"mode":"and"}`), Match: isTool})
	if err != nil || p.calls != 2 || len(page.Records) != 5 || slices.Contains(types(page), "malware") {
		t.Errorf("declined filter: %d records %v, %v; want the 5 tools from Match", len(page.Records), types(page), err)
	}
	// Without a Filter, ScanFilter is not consulted.
	if _, err := store.Scan(t.Context(), p, store.ScanOptions{Limit: 100, Match: isTool}); err != nil || p.calls != 2 {
		t.Errorf("scan without Filter called ScanFilter (%d calls, %v)", p.calls, err)
	}
	// A store without the capability applies Match.
	plain := onlyStore{p.Store}
	page, err = store.Scan(t.Context(), plain, store.ScanOptions{Limit: 100, Filter: json.RawMessage(`"malware"`), Match: isTool})
	if err != nil || len(page.Records) != 5 || slices.Contains(types(page), "malware") {
		t.Errorf("no push-down: %v, %v; want the 5 tools from Match", types(page), err)
	}
}

func TestCountFallback(t *testing.T) {
	s := memstore.New(nil)
	fill(t, s)
	for name, sc := range map[string]store.Scanner{"Counter": s, "paging": onlyStore{s}} {
		if n, err := store.Count(t.Context(), sc); err != nil || n != 10 {
			t.Errorf("%s: Count = %d, %v; want 10", name, n, err)
		}
	}
}

func TestEventKindString(t *testing.T) {
	want := map[store.EventKind]string{store.EventCreate: "create", store.EventUpdate: "update",
		store.EventMerge: "merge", store.EventDelete: "delete", 0: "EventKind(0)", 9: "EventKind(9)"}
	for k, w := range want {
		if k.String() != w {
			t.Errorf("EventKind(%d).String() = %q, want %q", int(k), k.String(), w)
		}
	}
}
