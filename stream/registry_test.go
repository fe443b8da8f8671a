package stream

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ctifeed/ctifeed/filter"
)

func TestRegistry(t *testing.T) {
	ctx := context.Background()
	var r Registry // the zero Registry is usable
	if _, err := r.Get(ctx, "a"); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("Get of an empty registry: %v, want ErrUnknownStream", err)
	}
	for _, d := range []Definition{{ID: "b", Live: true}, {ID: "a"}, {ID: "b", Name: "B"}} {
		if err := r.Put(d); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := r.Get(ctx, "b"); err != nil || d.Name != "B" {
		t.Errorf("Get(b) = %+v, %v; want the replacing definition", d, err)
	}
	list, _ := r.List(ctx)
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Errorf("List = %+v, want a and b in id order", list)
	}
	if !r.Delete("a") || r.Delete("a") {
		t.Error("Delete reports wrongly whether there was a definition")
	}
	bad := filter.Group{Mode: "and", Filters: []filter.Filter{{Key: []string{"no-such-key"}, Values: []string{"x"}}}}
	for _, d := range []Definition{{}, {ID: "a/b"}, {ID: "f", Filters: &bad}} {
		if err := r.Put(d); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put(%+v): %v, want ErrInvalid", d, err)
		}
	}
	if _, err := NewRegistry(&RegistryOptions{Definitions: []Definition{{ID: ""}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NewRegistry with an invalid definition: %v", err)
	}
	// Concurrent use (run with -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_ = r.Put(Definition{ID: string(rune('c' + i))})
			_, _ = r.Get(ctx, "b")
			_, _ = r.List(ctx)
		})
	}
	wg.Wait()
}
