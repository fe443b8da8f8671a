package storetest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/store"
)

// Dump is every version of every stored object with its times, and the log's last
// position and count: equal dumps mean the store did not change. Tests use it to show that
// a refused write left a store as it was.
func Dump(ctx context.Context, st store.Store) (string, error) {
	var b strings.Builder
	for rec, err := range store.All(ctx, st, store.ScanOptions{}) {
		if err != nil {
			return "", err
		}
		vs, err := st.Versions(ctx, rec.Object.ID())
		if err != nil {
			return "", err
		}
		for _, v := range vs {
			fmt.Fprintf(&b, "%s %s %s\n", v.DateAdded.Format(time.RFC3339Nano), v.Updated.Format(time.RFC3339Nano), v.Object.Raw())
		}
	}
	bounds, err := st.Bounds(ctx)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "log %s %d\n", bounds.Last, bounds.Count)
	return b.String(), nil
}
