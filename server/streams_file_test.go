package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ctifeed/ctifeed/stream"
)

// TestFileStreamDefinitions: a definition put is read back after reopening the file, a
// deleted one is gone, an invalid one is refused and not written, and a damaged file or
// a stored definition that no longer validates is an error naming it rather than streams
// that silently disappear.
func TestFileStreamDefinitions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stream-definitions.json")
	f, err := OpenFileStreamDefinitions(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, id := range []string{"b", "a", "c"} { // concurrent writers: each one lands
		wg.Go(func() {
			if err := f.Put(ctx, stream.Definition{ID: id, Name: strings.ToUpper(id), Live: true}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if found, err := f.Delete(ctx, "c"); !found || err != nil {
		t.Fatalf("Delete: %v %v", found, err)
	}
	if found, err := f.Delete(ctx, "c"); found || err != nil {
		t.Fatalf("Delete again: %v %v", found, err)
	}
	if err := f.Put(ctx, stream.Definition{ID: "bad/id"}); !errors.Is(err, stream.ErrInvalid) {
		t.Fatalf("an invalid definition: %v", err)
	}
	f2, err := OpenFileStreamDefinitions(path)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := f2.List(ctx)
	if err != nil || len(defs) != 2 || defs[0].ID != "a" || defs[1].ID != "b" || defs[1].Name != "B" || !defs[1].Live {
		t.Fatalf("reopened: %+v %v", defs, err)
	}
	if _, err := f2.Get(ctx, "c"); !errors.Is(err, stream.ErrUnknownStream) {
		t.Fatalf("the deleted definition: %v", err)
	}

	for name, content := range map[string]string{
		"damaged":        `[{"id": "a"`,
		"invalid filter": `[{"id": "a", "filters": {"mode": "and", "filters": [{"key": ["no_such_key"], "values": ["x"]}]}}]`,
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenFileStreamDefinitions(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s file: %v, want an error naming the file", name, err)
		}
	}
}
