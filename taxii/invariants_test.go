package taxii_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// microTime is a TAXII timestamp with exactly microsecond precision.
var microTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

// Rules that hold for every response of every golden exchange, which real clients such as
// the OASIS taxii2-client check: the media type with version=2.1 as its own token, no empty
// list anywhere, error resources whose http_status is the status as a string, status
// resources whose counts add up and match their lists, collections and API roots with their
// required members, and microsecond date_added and request_timestamp.
func TestResponseInvariants(t *testing.T) {
	for _, ex := range exchanges() {
		f := newFixture(t, ex.mod)
		for _, b := range ex.before {
			send(f.h, b)
		}
		if ex.nextFrom != "" {
			continue // covered by the goldens; these need the first page's token
		}
		rec := send(f.h, ex)
		tokens := strings.Split(strings.ReplaceAll(rec.Header().Get("Content-Type"), " ", ""), ";")
		if tokens[0] != "application/taxii+json" || !contains(strings.Join(tokens[1:], ";"), "version=2.1") {
			t.Errorf("%s: Content-Type %q", ex.name, rec.Header().Get("Content-Type"))
		}
		for _, h := range []string{"X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"} {
			if v := rec.Header().Get(h); v != "" && !microTime.MatchString(v) {
				t.Errorf("%s: %s = %q", ex.name, h, v)
			}
		}
		if rec.Body.Len() == 0 {
			if rec.Code != 200 || ex.method != "DELETE" {
				t.Errorf("%s: empty body with %d", ex.name, rec.Code)
			}
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("%s: body is not a JSON object: %v", ex.name, err)
			continue
		}
		if path := emptyList(body, ""); path != "" {
			t.Errorf("%s: empty list at %s", ex.name, path)
		}
		if rec.Code >= 400 {
			if body["http_status"] != strconv.Itoa(rec.Code) || body["title"] == "" {
				t.Errorf("%s: error resource %v for %d", ex.name, body, rec.Code)
			}
			continue
		}
		if _, ok := body["total_count"]; ok {
			n := func(k string) int { f, _ := body[k].(float64); return int(f) }
			l := func(k string) int { a, _ := body[k].([]any); return len(a) }
			if n("success_count")+n("failure_count")+n("pending_count") != n("total_count") ||
				l("successes") != n("success_count") || l("failures") != n("failure_count") || l("pendings") != n("pending_count") ||
				body["id"] == "" || body["status"] == "" || !microTime.MatchString(body["request_timestamp"].(string)) {
				t.Errorf("%s: inconsistent status %v", ex.name, body)
			}
		}
		for _, c := range append(listOf(body["collections"]), body) {
			m, _ := c.(map[string]any)
			if _, isColl := m["can_read"]; isColl {
				if m["id"] == nil || m["title"] == nil || m["can_write"] == nil {
					t.Errorf("%s: collection without id, title or can_write: %v", ex.name, m)
				}
			}
		}
		if _, isRoot := body["versions"].([]any); isRoot && body["max_content_length"] != nil && body["title"] == nil {
			t.Errorf("%s: API root without title", ex.name)
		}
		if strings.Contains(ex.target, "/manifest/") {
			for _, r := range listOf(body["objects"]) {
				if m := r.(map[string]any); !microTime.MatchString(m["date_added"].(string)) {
					t.Errorf("%s: date_added %v", ex.name, m["date_added"])
				}
			}
		}
	}
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

// emptyList returns the path of an empty JSON array in v, or "".
func emptyList(v any, path string) string {
	switch v := v.(type) {
	case []any:
		if len(v) == 0 {
			return path
		}
		for i, e := range v {
			if p := emptyList(e, path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	case map[string]any:
		for k, e := range v {
			if p := emptyList(e, path+"."+k); p != "" {
				return p
			}
		}
	}
	return ""
}
