package csvfeed_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctifeed/ctifeed/csvfeed"
)

// FuzzDefinitionJSON: decoding any input never panics; a definition that validates
// compiles, and encodes to JSON that decodes to the same definition.
func FuzzDefinitionJSON(f *testing.F) {
	f.Add([]byte(openCTIFeed))
	f.Add([]byte(ipFeed))
	f.Add([]byte(`{"filters":"","feed_types":[],"interval":"1h"}`))
	f.Add([]byte(`{"id":"x","name":"x","feed_types":["Indicator"],"separator":"\t","feed_attributes":[{"attribute":"a","mappings":[{"type":"indicator","attribute":"a\\.b.c"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d csvfeed.Definition
		if err := json.Unmarshal(data, &d); err != nil {
			return
		}
		if d.Validate() != nil {
			return
		}
		if _, err := csvfeed.Compile(d, nil); err != nil {
			t.Fatalf("valid definition does not compile: %v", err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var again csvfeed.Definition
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		if diff := cmp.Diff(d, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzWriter: whatever the cells and separator, encoding/csv reads back exactly the cells
// written (after neutralisation, and with CRLF inside cells read as LF, as it normalises).
func FuzzWriter(f *testing.F) {
	f.Add(',', false, strings.Join(corpus, "\x00"))
	f.Add(';', true, "a;b\x00\"q\"\x00=1")
	f.Add('\t', false, "\tx\x00y\n\x00")
	f.Add('€', false, "€\x00\xe2\x82")
	f.Fuzz(func(t *testing.T, sep rune, allow bool, cells string) {
		var buf bytes.Buffer
		w, err := csvfeed.NewWriter(&buf, &csvfeed.WriterOptions{Separator: sep, AllowFormulas: allow})
		if err != nil {
			return
		}
		var want [][]string
		for row := range strings.SplitSeq(cells, "\x01") {
			cs := strings.Split(row, "\x00")
			if err := w.Write(cs); err != nil {
				t.Fatal(err)
			}
			exp := make([]string, len(cs))
			for i, c := range cs {
				exp[i] = expectRead(c, allow)
			}
			want = append(want, exp)
		}
		w.Flush()
		r := csv.NewReader(bytes.NewReader(buf.Bytes()))
		if sep != 0 {
			r.Comma = sep
		}
		r.FieldsPerRecord = -1
		got, err := r.ReadAll()
		if err != nil {
			t.Fatalf("encoding/csv: %v in %q", err, buf.Bytes())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q (-want +got):\n%s", buf.Bytes(), diff)
		}
	})
}

// FuzzHandler: any path, method, Accept and Authorization header gets a well-formed
// answer with a status the handler documents, never a panic or a 500.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/feeds/pub", "text/csv", "")
	f.Add("HEAD", "/feeds/restricted", "text/plain;q=0.1, text/csv;q=0.2", "Basic YW5hbHlzdDpwdw==")
	f.Add("GET", "/feeds/members", "*/*", "Bearer tok-analyst")
	f.Add("PUT", "/feeds/%2e%2e", "text/csv;q=x", "Basic !!")
	_, h := server(f, "") // safe for concurrent use, so shared by every input
	f.Fuzz(func(t *testing.T, method, path, accept, authz string) {
		r, err := http.NewRequest(method, "http://x"+path, nil)
		if err != nil {
			return
		}
		r.Header.Set("Accept", accept)
		r.Header.Set("Authorization", authz)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200, 304, 401, 403, 404, 405, 503:
		default:
			t.Fatalf("%s %s: status %d", method, path, w.Code)
		}
		if w.Code == 401 && w.Header().Get("WWW-Authenticate") != "Basic, Bearer" {
			t.Fatal("401 without the challenge")
		}
	})
}
