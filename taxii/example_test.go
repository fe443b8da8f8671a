package taxii_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store/memstore"
	"github.com/ctifeed/ctifeed/taxii"
)

// A host serves one public collection of indicators; a Go client posts to it, pages
// through it two objects at a time, and reads its manifest.
func Example() {
	ctx := context.Background()
	indicators, _ := filter.ParseText("entity_type = Indicator")
	// The store's fixed clock gives every object the same date_added, so the output is
	// deterministic (objects with equal date_added are ordered by id).
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	h, err := taxii.NewHandler(&taxii.HandlerOptions{
		Store: memstore.New(&memstore.Options{Clock: func() time.Time { return at }}),
		Title: "Example feeds",
		APIRoots: []taxii.APIRoot{{Path: "api1", Title: "Indicators", Collections: []taxii.Collection{{
			ID: "5cc3b7f4-8c0d-4b53-9e5b-0d5c4a0e2b11", Alias: "indicators", Title: "Indicators",
			Filters: &indicators, Access: access.FeedAccess{Public: true}, CanRead: true, CanWrite: true,
		}}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	c, _ := taxii.NewClient(srv.URL, nil)
	d, _ := c.Discovery(ctx)
	fmt.Println(d.Title, len(d.APIRoots))
	root := d.Default

	var objs []*stix.Object
	for i, ip := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		o, _ := stix.NewIndicator("bad "+ip, "[ipv4-addr:value = '"+ip+"']", at,
			stix.Common{ID: stix.ID(fmt.Sprintf("indicator--00000000-0000-4000-8000-00000000000%d", i+1)), Created: at})
		objs = append(objs, o)
	}
	malware, _ := stix.NewMalware("not an indicator", false, stix.Common{ID: "malware--00000000-0000-4000-8000-000000000009", Created: at})
	st, err := c.AddObjects(ctx, root, "indicators", append(objs, malware))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Status, st.SuccessCount, "written,", st.FailureCount, "refused:", st.Failures[0].Message)

	for o, err := range c.Objects(ctx, root, "indicators", &taxii.Query{Limit: 2}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(o.Get("name"))
	}
	for m, err := range c.Manifest(ctx, root, "indicators", &taxii.Query{Types: []string{"indicator"}, Limit: 1}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(m.ID, m.Version)
	}
	// Output:
	// Example feeds 1
	// complete 3 written, 1 refused: the object does not match the collection's filters
	// bad 198.51.100.1
	// bad 198.51.100.2
	// bad 198.51.100.3
	// indicator--00000000-0000-4000-8000-000000000001 2024-05-01T10:00:00.000Z
	// indicator--00000000-0000-4000-8000-000000000002 2024-05-01T10:00:00.000Z
	// indicator--00000000-0000-4000-8000-000000000003 2024-05-01T10:00:00.000Z
}
