package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// Cursor is the decoded form of [Page.Next]: the key of the last record of a page and the
// order it belongs to. Implementations make Next with [Cursor.String] and read After with
// [ParseCursor], so that every store's cursors are validated the same way.
type Cursor struct {
	Order      Order
	Descending bool
	Time       time.Time // the record's ordering time
	ID         stix.ID
}

// cursorVersion prefixes the encoded form so it can change without misreading old cursors.
const cursorVersion = "c1"

// String encodes the cursor as an opaque URL-safe string.
func (c Cursor) String() string {
	dir := "a"
	if c.Descending {
		dir = "d"
	}
	plain := cursorVersion + "|" + strconv.Itoa(int(c.Order)) + "|" + dir + "|" +
		strconv.FormatInt(c.Time.UnixNano(), 10) + "|" + string(c.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(plain))
}

// ParseCursor decodes a string made by [Cursor.String]; anything else gives an error
// wrapping [ErrInvalidCursor].
func ParseCursor(s string) (Cursor, error) {
	bad := func(why string) (Cursor, error) {
		return Cursor{}, fmt.Errorf("%w: %s", ErrInvalidCursor, why)
	}
	if len(s) > 1024 {
		return bad("too long")
	}
	// Strict decoding and no line breaks: one spelling per cursor.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || strings.ContainsAny(s, "\r\n") {
		return bad("not base64url")
	}
	var parts [5]string
	rest, n := string(raw), 0
	for ; n < 4; n++ {
		var ok bool
		if parts[n], rest, ok = strings.Cut(rest, "|"); !ok {
			break
		}
	}
	parts[n] = rest
	if n != 4 || strings.Contains(rest, "|") || parts[0] != cursorVersion {
		return bad("unknown format")
	}
	var c Cursor
	switch parts[1] {
	case "0":
		c.Order = ByDateAdded
	case "1":
		c.Order = ByUpdated
	default:
		return bad("unknown order")
	}
	switch parts[2] {
	case "a":
	case "d":
		c.Descending = true
	default:
		return bad("unknown direction")
	}
	ns, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || strconv.FormatInt(ns, 10) != parts[3] {
		return bad("malformed time")
	}
	c.Time = time.Unix(0, ns).UTC()
	c.ID = stix.ID(parts[4])
	if err := c.ID.Validate(); err != nil {
		return bad("malformed id")
	}
	return c, nil
}

// CursorOf returns the cursor of r in the given order and direction.
func CursorOf(r Record, order Order, descending bool) Cursor {
	return Cursor{Order: order, Descending: descending, Time: order.TimeOf(r), ID: r.Object.ID()}
}
