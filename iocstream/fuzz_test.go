package iocstream

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"", "date:2023-02-07T10:00:00+", "date:2023-02-07-", "origin:hunting origin:subscriptions",
		"entity_id:2001:db8::1 entity_type:ip_address", "source_type:collection source_id:x notification_tag:y",
		"date:2023-02-07+ date:2023-02-08-", "date:2023-02-08+ date:2023-02-07-", "bogus", "origin:", ":x", "date:+",
		"date:2023-02-07T10:00:00", "date:9999-12-31T23:59:59+", "date:0000-01-01-", "\u00a0origin:hunting\u2003",
	} {
		f.Add(s)
	}
	n := &Notification{ID: "n1", Date: time.Date(2023, 2, 7, 10, 0, 0, 0, time.UTC), Origin: OriginHunting,
		Sources: []Source{{Type: SourceHuntingRuleset, ID: "x"}}, Tags: []string{"y"},
		Entity: Entity{Type: EntityIPAddress, ID: "2001:db8::1"}}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseFilter(s)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) || fe.Token == "" {
				t.Fatalf("ParseFilter(%q) error %v is not a *FilterError naming a token", s, err)
			}
			if len(s) <= MaxFilterLen {
				for _, part := range strings.Split(fe.Token, " ") {
					if !strings.Contains(s, part) {
						t.Fatalf("error token %q is not from the filter %q", fe.Token, s)
					}
				}
			}
			return
		}
		// The canonical form is a fixed point and means the same.
		q2, err := ParseFilter(q.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", q.String(), s, err)
		}
		if q2.String() != q.String() {
			t.Fatalf("canonical form not stable: %q then %q", q.String(), q2.String())
		}
		if q.Match(n) != q2.Match(n) {
			t.Fatalf("%q and its canonical form %q disagree on a notification", s, q.String())
		}
	})
}

func FuzzDecodeCursor(f *testing.F) {
	q, _ := ParseFilter("origin:hunting")
	f.Add(encodeCursor(q, cursor{order: OrderNewest, key: Key{Date: 1675764000, ID: "n1"}}))
	f.Add(encodeCursor(q, cursor{order: OrderOldest, key: Key{Date: -1, ID: strings.Repeat("z", maxIDLen)}}))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(q, s)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("decodeCursor(%q) = %v, want ErrBadCursor", s, err)
			}
			return
		}
		if got := encodeCursor(q, c); got != s {
			t.Fatalf("accepted cursor %q re-encodes as %q", s, got)
		}
	})
}

func FuzzCursorRoundTrip(f *testing.F) {
	f.Add("origin:hunting", int64(1675764000), "n1", false)
	f.Add("", int64(-5), "a:b.c~d-e_f", true)
	f.Fuzz(func(t *testing.T, filter string, date int64, id string, oldest bool) {
		q, err := ParseFilter(filter)
		if err != nil || checkID(id) != nil {
			return
		}
		want := cursor{order: OrderNewest, key: Key{Date: date, ID: id}}
		if oldest {
			want.order = OrderOldest
		}
		s := encodeCursor(q, want)
		got, err := decodeCursor(q, s)
		if err != nil || got != want {
			t.Fatalf("round trip of %+v: %+v, %v", want, got, err)
		}
		if len(s) > maxCursorLen {
			t.Fatalf("cursor %q is longer than the %d a decoder accepts", s, maxCursorLen)
		}
		other, _ := ParseFilter("notification_tag:other-" + filter)
		if other != nil && other.String() != q.String() {
			if _, err := decodeCursor(other, s); !errors.Is(err, ErrBadCursor) {
				t.Fatalf("cursor for %q accepted for %q", q, other)
			}
		}
	})
}
