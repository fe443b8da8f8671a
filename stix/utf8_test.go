package stix_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctifeed/ctifeed/stix"
)

// TestParseRefusesInvalidUTF8 guards finding 4 of issue 16: bytes that are not UTF-8, and
// escapes of unpaired surrogates, were stored and then served raw by every feed, so one
// writer could break every strict JSON consumer. Parse must refuse them and name where.
func TestParseRefusesInvalidUTF8(t *testing.T) {
	const head = `{"type":"x-a","id":"x-a--b","name":"`
	cases := []struct {
		name, in, want string
	}{
		{"lone continuation byte", head + "a\x80b\"}", "invalid UTF-8 at byte offset 37"},
		{"truncated sequence", head + "ab\xe2\x82\"}", "invalid UTF-8 at byte offset 38"},
		{"overlong encoding", head + "\xc0\xaf\"}", "invalid UTF-8 at byte offset 36"},
		{"encoded surrogate", head + "\xed\xa0\x80\"}", "invalid UTF-8 at byte offset 36"},
		{"Latin-1 in a key", `{"type":"x-a","id":"x-a--b","n` + "\xe9" + `":1}`, "invalid UTF-8 at byte offset 30"},
		{"after a long ASCII run", head + strings.Repeat("a", 40) + "\xff\"}", "invalid UTF-8 at byte offset 76"},
		{"high surrogate alone", head + `x\ud83dy"}`, `unpaired surrogate escape \ud83d at byte offset 37`},
		{"high surrogate at the end", head + `\uD83D"}`, `unpaired surrogate escape \uD83D at byte offset 36`},
		{"two high surrogates", head + `\ud83d\ud83d"}`, `unpaired surrogate escape \ud83d at byte offset 36`},
		{"low surrogate alone", head + `\ude00"}`, `unpaired surrogate escape \ude00 at byte offset 36`},
		{"surrogate in a key", `{"type":"x-a","id":"x-a--b","\udc00":1}`, `unpaired surrogate escape \udc00 at byte offset 29`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := stix.Parse([]byte(c.in))
			var se *stix.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", c.in, err)
			}
			if !strings.Contains(se.Msg, c.want) {
				t.Errorf("Parse(%q): %q, want it to say %q", c.in, se.Msg, c.want)
			}
		})
	}
}

// TestParseAcceptsUTF8 checks the other side: valid multi-byte text and paired surrogate
// escapes (an emoji written as JSON escapes) still parse, byte for byte.
func TestParseAcceptsUTF8(t *testing.T) {
	for _, name := range []string{"Zürich – 東京 🙂", `\ud83d\ude42`, `\uD83D\uDE42 and \u00e9`, `\u20ac`, `a\\ud83d`} {
		in := `{"type":"x-a","id":"x-a--b","name":"` + name + `"}`
		o, err := stix.Parse([]byte(in))
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if string(o.Raw()) != in {
			t.Errorf("Raw() = %q, want %q", o.Raw(), in)
		}
	}
}
