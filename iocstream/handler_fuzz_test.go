package iocstream_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/ctifeed/ctifeed/iocstream"
)

// FuzzHandler sends arbitrary paths and query strings: whatever they hold, the answer is
// a VirusTotal-shaped JSON document (or an empty 200 for a deletion) and never a 5xx.
func FuzzHandler(f *testing.F) {
	for _, s := range []struct{ method, path, query string }{
		{"GET", "/api/v3/ioc_stream", "limit=2&filter=origin:hunting&descriptors_only=1&order=date%2B"},
		{"GET", "/api/v3/ioc_stream", "cursor=AQBFy97lHSatw6Dikb4MCjkwNDc5MDU5NjkBWTyJVcuVmA&limit=2"},
		{"GET", "/api/v3/ioc_stream", "order=date+&limit=1"},
		{"GET", "/api/v3/ioc_stream", "order=date%20&order=date+"},
		{"GET", "/api/v3/ioc_stream", "order&order=date+"},
		{"GET", "/api/v3/ioc_stream", "limit=99999999999999999999&filter=%zz"},
		{"DELETE", "/api/v3/ioc_stream", "filter=date:2023-02-07-"},
		{"GET", "/api/v3/ioc_stream_notifications/9047905968", ""},
		{"DELETE", "/api/v3/ioc_stream_notifications/a/b", ""},
		{"PUT", "/api/v3/", "x=1"},
	} {
		f.Add(s.method, s.path, s.query)
	}
	h := newTestHandler(f, iocstream.HandlerOptions{})
	f.Fuzz(func(t *testing.T, method, path, query string) {
		if method != "GET" && method != "DELETE" && method != "HEAD" {
			method = "POST"
		}
		r := httptest.NewRequest(method, "/", nil)
		r.URL.Path, r.URL.RawQuery = path, query
		r.Header.Set("x-apikey", "reader-key")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s: status %d: %s", method, path, query, rec.Code, rec.Body)
		}
		if rec.Body.Len() == 0 {
			if rec.Code != 200 || method == "GET" {
				t.Fatalf("%s %s?%s: status %d with an empty body", method, path, query, rec.Code)
			}
			return
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s %s?%s: not a JSON document: %v %q", method, path, query, err, rec.Body)
		}
		_, isData := doc["data"]
		_, isError := doc["error"]
		if isData == isError || isError != (rec.Code != 200) {
			t.Fatalf("%s %s?%s: status %d with %s", method, path, query, rec.Code, rec.Body)
		}
	})
}
