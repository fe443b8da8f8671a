package iocstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/internal/golden"
	"github.com/ctifeed/ctifeed/iocstream"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var handlerNow = time.Date(2023, 2, 7, 12, 0, 0, 0, time.UTC)

// testKeys accepts two API keys in the x-apikey header, through access's static
// authenticator: one for a reader, one for a principal without the data-sharing capability.
var testKeys = func() *access.Static {
	a, err := access.NewStatic(access.StaticOptions{Tokens: []access.StaticToken{
		{Token: "reader-key", Principal: &access.Principal{UserID: "u1", Name: "reader", Capabilities: []access.Capability{access.CapAccessDataSharing}}},
		{Token: "nocap-key", Principal: &access.Principal{UserID: "u2", Name: "no capability"}},
	}})
	if err != nil {
		panic(err)
	}
	return a
}()

// handlerStream is the stream the golden responses show: a hunting match on a file, a
// subscription URL with attributes, a domain and an IP address without attributes.
func handlerStream() []*iocstream.Notification {
	return []*iocstream.Notification{
		{ID: "9047905968", Date: handlerNow.Add(-10 * time.Minute), Origin: iocstream.OriginHunting,
			Sources: []iocstream.Source{{Type: iocstream.SourceHuntingRuleset, ID: "7926136120", Label: "Ransomware"}},
			Tags:    []string{"c9c4ee34d9c9f769f884f720e1d37ce1e864aae1be81a4a274bb1a88704cb11c", "vulnerability_weaponization", "ransomware"},
			Hunting: &iocstream.HuntingInfo{RuleName: "vulnerability_weaponization", RuleTags: []string{"exploit"},
				Snippet: "4D 5A 90 00 begin_highlight 50 45 end_highlight 00 00", SourceCountry: "ES", SourceKey: "b3190c38"},
			Entity: iocstream.Entity{Type: iocstream.EntityFile, ID: "c9c4ee34d9c9f769f884f720e1d37ce1e864aae1be81a4a274bb1a88704cb11c",
				Attributes: json.RawMessage(`{"size":1024,"type_tag":"peexe","last_analysis_date":1675760000}`)}},
		{ID: "9047905969", Date: handlerNow.Add(-20 * time.Minute), Origin: iocstream.OriginSubscriptions,
			Sources: []iocstream.Source{{Type: iocstream.SourceCollection, ID: "live-1", Label: "Partner feed"}},
			Tags:    []string{"phishing"},
			Entity: iocstream.Entity{Type: iocstream.EntityURL, ID: "aHR0cDovL2V2aWwuZXhhbXBsZS9sb2dpbj9hPTEmYj0y",
				Attributes: json.RawMessage(`{"url":"http://evil.example/login?a=1&b=2"}`)}},
		{ID: "9047905970", Date: handlerNow.Add(-30 * time.Minute), Origin: iocstream.OriginSubscriptions,
			Sources: []iocstream.Source{{Type: iocstream.SourceThreatActor, ID: "threat-actor--eadd7673-d81f-54f3-83a7-cbaa461828e4", Label: "APT-X"}},
			Entity:  iocstream.Entity{Type: iocstream.EntityDomain, ID: "evil.example"}},
		{ID: "9047905971", Date: handlerNow.Add(-40 * time.Minute), Origin: iocstream.OriginHunting,
			Sources: []iocstream.Source{{Type: iocstream.SourceRetrohuntJob, ID: "rj-1"}},
			Entity:  iocstream.Entity{Type: iocstream.EntityIPAddress, ID: "198.51.100.7"}},
	}
}

func newTestHandler(t testing.TB, opts iocstream.HandlerOptions) *iocstream.Handler {
	t.Helper()
	store := iocstream.NewMemStore(&iocstream.StoreOptions{Now: func() time.Time { return handlerNow }})
	for _, n := range handlerStream() {
		if err := store.Add(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	opts.Store = store
	if opts.Authenticator == nil {
		opts.Authenticator = testKeys
	}
	return iocstream.NewHandler(&opts)
}

// cursorFor returns the cursor of the first page of the given request.
func cursorFor(t *testing.T, target string) string {
	t.Helper()
	rec := serve(newTestHandler(t, iocstream.HandlerOptions{}), "GET", target, "reader-key", nil)
	var resp struct{ Meta struct{ Cursor string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Meta.Cursor == "" {
		t.Fatalf("no cursor from %s: %s", target, rec.Body)
	}
	return resp.Meta.Cursor
}

func serve(h http.Handler, method, target, key string, body []byte) *httptest.ResponseRecorder {
	var r *http.Request
	if body != nil {
		r = httptest.NewRequest(method, target, bytes.NewReader(body))
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if key != "" {
		r.Header.Set("x-apikey", key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// render is the golden form of a response: why it exists, the request, the status and
// content type, and the body as indented JSON (or nothing).
func render(why, method, target string, rec *httptest.ResponseRecorder) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n%s %s\n%d %s\n", why, method, target, rec.Code, rec.Header().Get("Content-Type"))
	for _, h := range []string{"Allow", "WWW-Authenticate"} {
		if v := rec.Header().Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	if rec.Body.Len() > 0 {
		var out bytes.Buffer
		if err := json.Indent(&out, rec.Body.Bytes(), "", "  "); err != nil {
			fmt.Fprintf(&b, "NOT JSON: %q\n", rec.Body.String())
		} else {
			b.Write(out.Bytes())
		}
	}
	return b.String()
}

func TestHandlerGolden(t *testing.T) {
	tamper := func(c string) string {
		if c[5] == 'A' {
			return c[:5] + "B" + c[6:]
		}
		return c[:5] + "A" + c[6:]
	}
	tests := []struct {
		name, why      string
		opts           iocstream.HandlerOptions
		method, target string
		key            string
		body           []byte
	}{
		{name: "list-full", why: "A full page: entities with attributes and context attributes, meta.cursor, links.self and links.next repeating the parameters and adding the cursor.",
			method: "GET", target: "/api/v3/ioc_stream?limit=2&filter=date:2023-02-07%2B", key: "reader-key"},
		{name: "list-descriptors-only", why: "descriptors_only drops attributes but keeps type, id and context_attributes, as VirusTotal does; links repeat descriptors_only.",
			method: "GET", target: "/api/v3/ioc_stream?descriptors_only=true&limit=1&filter=origin:hunting", key: "reader-key"},
		{name: "list-last-page", why: "The last page has neither meta.cursor nor links.next, so that both VirusTotal clients stop.",
			method: "GET", target: "/api/v3/ioc_stream?filter=entity_type:domain%20entity_type:ip_address", key: "reader-key"},
		{name: "list-second-page", why: "A page reached with a cursor: links.self carries that cursor so that VirusTotal's Go client can re-read the page to resume mid-page.",
			method: "GET", target: "/api/v3/ioc_stream?limit=2&cursor=" + cursorFor(t, "/api/v3/ioc_stream?limit=2"), key: "reader-key"},
		{name: "list-oldest-first", why: "order=date+ lists oldest first; links repeat the order so that the next page keeps it.",
			method: "GET", target: "/api/v3/ioc_stream?order=date%2B&limit=1", key: "reader-key"},
		{name: "list-empty", why: "Nothing matches: data is an empty list, not null.",
			method: "GET", target: "/api/v3/ioc_stream?filter=notification_tag:nothing", key: "reader-key"},
		{name: "list-prefix-and-base-url", why: "A configured prefix and base URL (a handler behind a proxy) shape the links.",
			opts:   iocstream.HandlerOptions{Prefix: "/vt/", BaseURL: "https://feeds.example.org/"},
			method: "GET", target: "/vt/ioc_stream?limit=1", key: "reader-key"},
		{name: "get-hunting", why: "A notification of origin hunting as an ioc_stream_notification object, with hunting_info.",
			method: "GET", target: "/api/v3/ioc_stream_notifications/9047905968", key: "reader-key"},
		{name: "get-subscriptions", why: "A notification of origin subscriptions has no hunting_info and lists tags as [] when it has none.",
			method: "GET", target: "/api/v3/ioc_stream_notifications/9047905970", key: "reader-key"},
		{name: "delete-one", why: "Deleting a notification answers 200 with an empty body, as VirusTotal does.",
			method: "DELETE", target: "/api/v3/ioc_stream_notifications/9047905968", key: "reader-key"},
		{name: "delete-matching", why: "Deleting by filter answers 200 with an empty body.",
			method: "DELETE", target: "/api/v3/ioc_stream?filter=origin:subscriptions", key: "reader-key"},
		{name: "error-filter-unknown-key", why: "An unknown filter key is a BadRequestError naming the token.",
			method: "GET", target: "/api/v3/ioc_stream?filter=rule:foo", key: "reader-key"},
		{name: "error-filter-origin", why: "An invalid origin is a BadRequestError naming the token (VirusTotal's own example).",
			method: "GET", target: "/api/v3/ioc_stream?filter=origin:notHunting", key: "reader-key"},
		{name: "error-filter-plus-as-space", why: "A + left unescaped in a URL arrives as a space; the error says how to write it.",
			method: "GET", target: "/api/v3/ioc_stream?filter=date:2023-02-07T10:00:00+", key: "reader-key"},
		{name: "error-delete-bad-filter", why: "DELETE by filter checks the filter like GET.",
			method: "DELETE", target: "/api/v3/ioc_stream?filter=entity_type:hash", key: "reader-key"},
		{name: "error-limit-too-large", why: "A limit above 40 is refused with VirusTotal's own message, not clamped.",
			method: "GET", target: "/api/v3/ioc_stream?limit=41", key: "reader-key"},
		{name: "error-limit-zero", why: "A limit below 1 is refused.",
			method: "GET", target: "/api/v3/ioc_stream?limit=0", key: "reader-key"},
		{name: "error-limit-not-a-number", why: "A limit that is not a number is refused, never a 500.",
			method: "GET", target: "/api/v3/ioc_stream?limit=ten", key: "reader-key"},
		{name: "error-descriptors-only", why: "descriptors_only must be a boolean.",
			method: "GET", target: "/api/v3/ioc_stream?descriptors_only=maybe", key: "reader-key"},
		{name: "error-order", why: "Only date- and date+ are orders.",
			method: "GET", target: "/api/v3/ioc_stream?order=date", key: "reader-key"},
		{name: "error-cursor-tampered", why: "An altered cursor is a BadRequestError.",
			method: "GET", target: "/api/v3/ioc_stream?limit=2&cursor=" + tamper(cursorFor(t, "/api/v3/ioc_stream?limit=2")), key: "reader-key"},
		{name: "error-cursor-other-filter", why: "A cursor sent with another filter is a BadRequestError, not a silently wrong page.",
			method: "GET", target: "/api/v3/ioc_stream?filter=origin:hunting&cursor=" + cursorFor(t, "/api/v3/ioc_stream?limit=2"), key: "reader-key"},
		{name: "error-malformed-query", why: "A query string that does not decode is a BadRequestError.",
			method: "GET", target: "/api/v3/ioc_stream?filter=%zz", key: "reader-key"},
		{name: "error-get-not-found", why: "An unknown notification is a NotFoundError.",
			method: "GET", target: "/api/v3/ioc_stream_notifications/nope", key: "reader-key"},
		{name: "error-delete-not-found", why: "Deleting an unknown notification is a NotFoundError.",
			method: "DELETE", target: "/api/v3/ioc_stream_notifications/nope", key: "reader-key"},
		{name: "error-unknown-path", why: "A path the handler does not serve is a NotFoundError object, not a plain-text 404.",
			method: "GET", target: "/api/v3/files/abc", key: "reader-key"},
		{name: "error-method", why: "A wrong method is 405 with Allow, as a VirusTotal-style error object.",
			method: "POST", target: "/api/v3/ioc_stream", key: "reader-key"},
		{name: "error-no-api-key", why: "A restricted stream asks for credentials: AuthenticationRequiredError 401.",
			method: "GET", target: "/api/v3/ioc_stream"},
		{name: "error-wrong-api-key", why: "An unknown key is WrongCredentialsError 401.",
			method: "GET", target: "/api/v3/ioc_stream", key: "stolen-key"},
		{name: "error-forbidden", why: "An authenticated caller without the data-sharing capability is ForbiddenError 403.",
			method: "GET", target: "/api/v3/ioc_stream", key: "nocap-key"},
		{name: "error-read-only", why: "A read-only stream refuses deletions with ForbiddenError.",
			opts:   iocstream.HandlerOptions{ReadOnly: true},
			method: "DELETE", target: "/api/v3/ioc_stream", key: "reader-key"},
		{name: "error-body-too-large", why: "A request declaring a body over the limit is refused before anything else is done.",
			opts:   iocstream.HandlerOptions{MaxBodyBytes: 16},
			method: "DELETE", target: "/api/v3/ioc_stream", key: "reader-key", body: []byte(`{"data":"more than sixteen bytes"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(newTestHandler(t, tt.opts), tt.method, tt.target, tt.key, tt.body)
			got := render(tt.why, tt.method, tt.target, rec)
			path := filepath.Join("testdata", "golden", tt.name+".golden")
			golden.Check(t, path, got, *update)
		})
	}
}
