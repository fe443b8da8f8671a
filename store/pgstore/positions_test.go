package pgstore_test

import (
	"context"
	"testing"

	"github.com/ctifeed/ctifeed/store/pgstore"
)

// A position saved on one node is loaded on the other and by a node opened later (a restart); an
// unknown source has none; a later save replaces an earlier one.
func TestPositionsAreSharedByNodes(t *testing.T) {
	a, dsn := open(t, nil)
	b, err := pgstore.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	if got, err := a.Positions().Load(ctx, "feed-a"); err != nil || got != "" {
		t.Fatalf("unknown source: %q, %v; want \"\", nil", got, err)
	}
	if err := a.Positions().Save(ctx, "feed-a", "2024-05-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if err := b.Positions().Save(ctx, "feed-b", "1714521600000-0"); err != nil {
		t.Fatal(err)
	}
	if err := b.Positions().Save(ctx, "feed-a", "2024-06-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ node, source, want string }{
		{"A", "feed-a", "2024-06-01T00:00:00Z"}, {"A", "feed-b", "1714521600000-0"},
		{"B", "feed-a", "2024-06-01T00:00:00Z"}, {"B", "feed-b", "1714521600000-0"},
	} {
		node := a
		if c.node == "B" {
			node = b
		}
		if got, err := node.Positions().Load(ctx, c.source); err != nil || got != c.want {
			t.Errorf("node %s, %s: %q, %v; want %q", c.node, c.source, got, err, c.want)
		}
	}
	b.Close()
	later, err := pgstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	if got, err := later.Positions().Load(ctx, "feed-b"); err != nil || got != "1714521600000-0" {
		t.Errorf("a node opened later: %q, %v; want the saved position", got, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := later.Positions().Save(cancelled, "feed-a", "x"); err == nil {
		t.Error("a save with a cancelled context succeeded")
	}
}
