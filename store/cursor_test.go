package store_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []store.Cursor{
		{Order: store.ByDateAdded, Time: time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC), ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
		{Order: store.ByUpdated, Descending: true, Time: time.Unix(0, 0).UTC(), ID: "malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"},
	} {
		got, err := store.ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCursor(%v.String()) = %v, %v", c, got, err)
		}
	}
}

func TestParseCursorRejects(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	id := "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	cases := []struct{ rule, in string }{
		{"not base64url", "!!!"},
		{"padding is not part of the form", enc("c1|0|a|5|"+id) + "="},
		{"a known version", enc("c9|0|a|5|" + id)},
		{"five parts", enc("c1|0|a|5")},
		{"a known order", enc("c1|2|a|5|" + id)},
		{"a known direction", enc("c1|0|x|5|" + id)},
		{"a decimal time", enc("c1|0|a|five|" + id)},
		{"a canonical time", enc("c1|0|a|+5|" + id)},
		{"a valid id", enc("c1|0|a|5|indicator--nope")},
		{"not overlong", enc(string(make([]byte, 2000)))},
	}
	for _, c := range cases {
		if _, err := store.ParseCursor(c.in); !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("%s: ParseCursor(%q) error = %v, want ErrInvalidCursor", c.rule, c.in, err)
		}
	}
}

// A cursor string either fails with ErrInvalidCursor or re-encodes to itself.
func FuzzParseCursor(f *testing.F) {
	f.Add(store.Cursor{Order: store.ByUpdated, Time: time.Unix(5, 0), ID: stix.ID("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")}.String())
	f.Add("")
	f.Add("YzF8MHxhfDV8")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseCursor(s)
		if err != nil {
			if !errors.Is(err, store.ErrInvalidCursor) {
				t.Fatalf("error %v does not wrap ErrInvalidCursor", err)
			}
			return
		}
		if c.String() != s {
			t.Fatalf("%q re-encodes as %q", s, c.String())
		}
	})
}
