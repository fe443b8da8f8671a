package iocstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/stix"
)

// A host feeds the stream from a STIX live-stream subscription and serves it to
// VirusTotal clients.
func Example() {
	ctx := context.Background()
	now := time.Date(2023, 2, 7, 12, 0, 0, 0, time.UTC)
	store := iocstream.NewMemStore(&iocstream.StoreOptions{Now: func() time.Time { return now }})

	// An indicator arrives on the subscription: one notification per IoC it names.
	ind := stix.MustParse(`{"type":"indicator","spec_version":"2.1",` +
		`"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2023-02-07T10:00:00.000Z",` +
		`"modified":"2023-02-07T10:00:00.000Z","pattern_type":"stix","valid_from":"2023-02-07T10:00:00Z",` +
		`"pattern":"[domain-name:value = 'evil.example'] OR [url:value = 'http://evil.example/x']"}`)
	ns, err := iocstream.FromSTIX(ind, &iocstream.Notification{
		ID:      "live-42",
		Date:    now.Add(-time.Hour),
		Origin:  iocstream.OriginSubscriptions,
		Sources: []iocstream.Source{{Type: iocstream.SourceCollection, ID: "live-1", Label: "Partner feed"}},
		Tags:    []string{"apt"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range ns {
		if err := store.Add(ctx, n); err != nil {
			fmt.Println(err)
			return
		}
	}

	h := iocstream.NewHandler(&iocstream.HandlerOptions{
		Store:  store,
		Access: access.FeedAccess{Public: true, PublicPrincipal: &access.Principal{Name: "anonymous"}},
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v3/ioc_stream?filter=entity_type:domain&descriptors_only=true", nil))
	var out bytes.Buffer
	_ = json.Indent(&out, rec.Body.Bytes(), "", "  ")
	fmt.Println(rec.Code)
	fmt.Println(out.String())
	// Output:
	// 200
	// {
	//   "data": [
	//     {
	//       "type": "domain",
	//       "id": "evil.example",
	//       "context_attributes": {
	//         "notification_id": "live-42-1",
	//         "notification_date": 1675767600,
	//         "origin": "subscriptions",
	//         "sources": [
	//           {
	//             "type": "collection",
	//             "id": "live-1",
	//             "label": "Partner feed"
	//           }
	//         ],
	//         "tags": [
	//           "apt"
	//         ]
	//       }
	//     }
	//   ],
	//   "links": {
	//     "self": "http://example.com/api/v3/ioc_stream?descriptors_only=true&filter=entity_type%3Adomain"
	//   }
	// }
}

func ExampleParseFilter() {
	q, err := iocstream.ParseFilter("origin:hunting date:2023-02-07- entity_type:file entity_type:url")
	fmt.Println(q, err)

	_, err = iocstream.ParseFilter("origin:hunting origin:notHunting")
	var fe *iocstream.FilterError
	if errors.As(err, &fe) {
		fmt.Println(fe.Token)
		fmt.Println(err)
	}
	// Output:
	// date:2023-02-07T00:00:00- origin:hunting entity_type:file entity_type:url <nil>
	// origin:notHunting
	// invalid filter token "origin:notHunting": origin must be one of hunting, subscriptions
}

// Paging with a cursor while the stream changes: the next page starts after the last
// notification seen, whatever was added or deleted meanwhile.
func ExampleList() {
	ctx := context.Background()
	now := time.Date(2023, 2, 7, 12, 0, 0, 0, time.UTC)
	store := iocstream.NewMemStore(&iocstream.StoreOptions{Now: func() time.Time { return now }})
	add := func(id string, minutesAgo int) {
		_ = store.Add(ctx, &iocstream.Notification{ID: id, Date: now.Add(-time.Duration(minutesAgo) * time.Minute),
			Origin: iocstream.OriginSubscriptions, Entity: iocstream.Entity{Type: iocstream.EntityDomain, ID: id + ".example"}})
	}
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		add(id, i+1) // a is the newest
	}
	p, _ := iocstream.List(ctx, store, nil, &iocstream.ListOptions{Limit: 2})
	for _, n := range p.Notifications {
		fmt.Print(n.ID, " ")
	}
	fmt.Println("| next page exists:", p.Cursor != "")

	_ = store.Delete(ctx, "c") // not yet seen: it will not be listed
	add("z", 0)                // newer than the position: belongs to a page already read
	add("f", 10)               // older: it will be listed
	p, _ = iocstream.List(ctx, store, nil, &iocstream.ListOptions{Limit: 2, Cursor: p.Cursor})
	for _, n := range p.Notifications {
		fmt.Print(n.ID, " ")
	}
	p, _ = iocstream.List(ctx, store, nil, &iocstream.ListOptions{Limit: 2, Cursor: p.Cursor})
	for _, n := range p.Notifications {
		fmt.Print(n.ID, " ")
	}
	fmt.Println("| next page exists:", p.Cursor != "")
	// Output:
	// a b | next page exists: true
	// d e f | next page exists: false
}

// A restricted stream: VirusTotal clients authenticate with the x-apikey header, checked
// by an access authenticator; the caller needs the data-sharing capability.
func ExampleNewHandler() {
	auth, err := access.NewStatic(access.StaticOptions{Tokens: []access.StaticToken{{
		Token:     "secret-key",
		Principal: &access.Principal{UserID: "analyst", Capabilities: []access.Capability{access.CapAccessDataSharing}},
	}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := iocstream.NewHandler(&iocstream.HandlerOptions{Authenticator: auth}) // restricted by default
	_ = h.Store().Add(context.Background(), &iocstream.Notification{
		ID: "n1", Date: time.Now(), Origin: iocstream.OriginHunting,
		Sources: []iocstream.Source{{Type: iocstream.SourceHuntingRuleset, ID: "rs1"}},
		Entity:  iocstream.Entity{Type: iocstream.EntityIPAddress, ID: "198.51.100.7"},
	})
	do := func(method, target, key string) {
		r := httptest.NewRequest(method, target, nil)
		if key != "" {
			r.Header.Set("x-apikey", key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(method, " ", target, " ", rec.Code, " ", rec.Body.String())))
	}
	do("GET", "/api/v3/ioc_stream_notifications/n1", "")
	do("GET", "/api/v3/ioc_stream_notifications/n1", "wrong-key")
	do("DELETE", "/api/v3/ioc_stream_notifications/n1", "secret-key")
	do("GET", "/api/v3/ioc_stream_notifications/n1", "secret-key")
	// Output:
	// GET /api/v3/ioc_stream_notifications/n1 401 {"error":{"code":"AuthenticationRequiredError","message":"This operation requires an API key in the x-apikey header"}}
	// GET /api/v3/ioc_stream_notifications/n1 401 {"error":{"code":"WrongCredentialsError","message":"Wrong API key"}}
	// DELETE /api/v3/ioc_stream_notifications/n1 200
	// GET /api/v3/ioc_stream_notifications/n1 404 {"error":{"code":"NotFoundError","message":"Notification \"n1\" not found"}}
}
