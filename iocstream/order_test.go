package iocstream_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/iocstream"
)

// TestOrderPlusUnencoded guards issue 20 item 4: order=date+ written without URL-encoding
// arrives as "date " and was refused with `Invalid order "date "` and no hint. A literal +
// in the raw query can only mean date+, so it is accepted (oldest first, and links repeat
// it encoded); "date " spelled any other way is refused with a message explaining %2B.
func TestOrderPlusUnencoded(t *testing.T) {
	h := newTestHandler(t, iocstream.HandlerOptions{})
	ids := func(target string) ([]string, string) {
		rec := serve(h, "GET", target, "reader-key", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		var resp struct {
			Data []struct {
				Context map[string]any `json:"context_attributes"`
			}
			Links struct{ Next string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range resp.Data {
			out = append(out, d.Context["notification_id"].(string))
		}
		return out, resp.Links.Next
	}
	encoded, _ := ids("/api/v3/ioc_stream?order=date%2B&limit=2")
	literal, next := ids("/api/v3/ioc_stream?order=date+&limit=2")
	if strings.Join(literal, ",") != strings.Join(encoded, ",") || len(literal) != 2 {
		t.Errorf("order=date+ unencoded listed %v, encoded %v", literal, encoded)
	}
	if !strings.Contains(next, "order=date%2B") {
		t.Errorf("links.next %q does not repeat the order encoded", next)
	}
	rec := serve(h, "GET", "/api/v3/ioc_stream?order=date%20", "reader-key", nil)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "%2B") {
		t.Errorf("order=date%%20: %d %s, want 400 explaining %%2B", rec.Code, rec.Body)
	}
	long := strings.Repeat("x", 5000)
	rec = serve(h, "GET", "/api/v3/ioc_stream?order="+long, "reader-key", nil)
	if rec.Code != http.StatusBadRequest || rec.Body.Len() > 300 {
		t.Errorf("a 5,000-byte order: %d, %d bytes of error", rec.Code, rec.Body.Len())
	}
}
