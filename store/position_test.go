package store_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/ctifeed/ctifeed/store"
)

func TestParsePosition(t *testing.T) {
	cases := []struct {
		rule string
		in   string
		want store.Position
		ok   bool
	}{
		{"the start", "0-0", store.Position{}, true},
		{"milliseconds and sequence", "1714557601000-3", store.Position{Millis: 1714557601000, Seq: 3}, true},
		{"64-bit parts", "18446744073709551615-18446744073709551615", store.Position{Millis: math.MaxUint64, Seq: math.MaxUint64}, true},
		{"a sequence is required", "1714557601000", store.Position{}, false},
		{"no empty part", "-1", store.Position{}, false},
		{"no empty part", "1-", store.Position{}, false},
		{"no sign", "+1-0", store.Position{}, false},
		{"no sign", "1--1", store.Position{}, false},
		{"no leading zero (one spelling per position)", "01-0", store.Position{}, false},
		{"no overflow", "18446744073709551616-0", store.Position{}, false},
		{"no extra part", "1-2-3", store.Position{}, false},
		{"no spaces", " 1-2", store.Position{}, false},
		{"not a date", "2024-05-01", store.Position{}, false},
		{"not empty", "", store.Position{}, false},
	}
	for _, c := range cases {
		got, err := store.ParsePosition(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("%s: ParsePosition(%q) = %v, %v; want %v", c.rule, c.in, got, err, c.want)
		}
		if !c.ok && !errors.Is(err, store.ErrInvalidPosition) {
			t.Errorf("%s: ParsePosition(%q) error = %v, want ErrInvalidPosition", c.rule, c.in, err)
		}
		if c.ok && got.String() != c.in {
			t.Errorf("%s: %q reads back as %q", c.rule, c.in, got.String())
		}
	}
}

func TestPositionCompare(t *testing.T) {
	ordered := []store.Position{store.Position{}, {Millis: 0, Seq: 1}, {Millis: 1, Seq: 0}, {Millis: 1, Seq: 9}, {Millis: 2, Seq: 0}}
	for i, p := range ordered {
		for j, q := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := p.Compare(q); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", p, q, got, want)
			}
		}
	}
}

// PositionAt(t) sorts after every position of an earlier millisecond and before every
// position of t's millisecond or later.
func TestPositionAt(t *testing.T) {
	at := time.Date(2024, 5, 1, 10, 0, 0, 500_000, time.UTC) // sub-millisecond part is dropped
	ms := uint64(at.UnixMilli())
	p := store.PositionAt(at)
	for _, q := range []store.Position{{Millis: ms - 1, Seq: 0}, {Millis: ms - 1, Seq: math.MaxUint64 - 1}} {
		if p.Compare(q) <= 0 {
			t.Errorf("PositionAt(%v) = %s is not after %s, an earlier millisecond", at, p, q)
		}
	}
	for _, q := range []store.Position{{Millis: ms, Seq: 0}, {Millis: ms + 1, Seq: 0}} {
		if p.Compare(q) >= 0 {
			t.Errorf("PositionAt(%v) = %s is not before %s", at, p, q)
		}
	}
	for _, early := range []time.Time{time.Unix(0, 0), time.Unix(-5, 0), {}} {
		if got := store.PositionAt(early); !got.IsZero() {
			t.Errorf("PositionAt(%v) = %s, want the start", early, got)
		}
	}
}

func TestPositionJSON(t *testing.T) {
	p := store.Position{Millis: 1714557601000, Seq: 2}
	b, err := json.Marshal(p)
	if err != nil || string(b) != `"1714557601000-2"` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var q store.Position
	if err := json.Unmarshal(b, &q); err != nil || q != p {
		t.Errorf("Unmarshal = %v, %v; want %v", q, err, p)
	}
	if err := json.Unmarshal([]byte(`"junk"`), &q); !errors.Is(err, store.ErrInvalidPosition) {
		t.Errorf("Unmarshal(junk) error = %v, want ErrInvalidPosition", err)
	}
}

// A position string either fails with ErrInvalidPosition or reads back exactly.
func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"0-0", "1714557601000-3", "01-0", "1-", "18446744073709551616-0", "-", "9-9-9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := store.ParsePosition(s)
		if err != nil {
			if !errors.Is(err, store.ErrInvalidPosition) {
				t.Fatalf("error %v does not wrap ErrInvalidPosition", err)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("%q reads back as %q", s, p.String())
		}
	})
}
