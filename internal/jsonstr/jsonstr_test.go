package jsonstr_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ctifeed/ctifeed/internal/jsonstr"
)

var seeds = []string{"", "plain", "quote\" back\\ nl\n cr\r tab\t nul\x00 \x1f \b \f", "é\u2028\u2029", "\xff\xfe", "<&>", "\uFFFD"}

// FuzzAppend checks Append against encoding/json.
func FuzzAppend(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := jsonstr.Append(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("Append(%q) = %s, want %s", s, got, want)
		}
	})
}

// FuzzAppendStable checks that AppendStable writes valid JSON that decodes to s (invalid
// UTF-8 replaced) and that writing the decoded string again gives the same bytes.
func FuzzAppendStable(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := jsonstr.AppendStable(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("AppendStable(%q) = %s: %v", s, out, err)
		}
		if again := jsonstr.AppendStable(nil, back); !bytes.Equal(again, out) {
			t.Fatalf("not stable: %s, then %s", out, again)
		}
	})
}
