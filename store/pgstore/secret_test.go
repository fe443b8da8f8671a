package pgstore_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/ctifeed/ctifeed/store/pgstore"
)

// Nodes asking for a secret at once all get the same bytes, which later calls and other
// nodes get too; another size is refused.
func TestSecretIsSharedByNodes(t *testing.T) {
	a, b := twoNodes(t)
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := []*pgstore.Store{a, b}[i%2]
			k, err := node.Secret(t.Context(), "taxii-next-key", 32)
			if err != nil {
				t.Error(err)
			}
			got[i] = k
		}()
	}
	wg.Wait()
	for i, k := range got {
		if len(k) != 32 || !bytes.Equal(k, got[0]) {
			t.Errorf("call %d got %x, call 0 got %x", i, k, got[0])
		}
	}
	if _, err := b.Secret(t.Context(), "taxii-next-key", 16); err == nil {
		t.Error("a secret kept with 32 bytes was returned for a size of 16")
	}
	if other, err := a.Secret(t.Context(), "another", 32); err != nil || bytes.Equal(other, got[0]) {
		t.Errorf("another secret: %x, %v", other, err)
	}
}
