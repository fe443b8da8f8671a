package iocstream

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// A cursor is the key of the last notification of a page, with the order and a
// fingerprint of the filter it was made for, sealed with a checksum and written in
// unpadded base64url (safe in a URL, and free of '=' that clients might strip).
//
// Layout: version(1) order(1) fingerprint(8) date(varint) len(uvarint) id checksum(8).
//
// The checksum catches altered or made-up cursors; it is not a secret. A forged cursor
// can only move the start of a page, never widen what the filter and access allow.
const (
	cursorVersion = 1
	maxCursorLen  = 256 // encoded; a real one is at most ~200
	sumLen        = 8
)

type cursor struct {
	order Order
	key   Key
}

// fingerprint identifies the filter a cursor belongs to.
func fingerprint(q *Query) []byte {
	h := sha256.Sum256([]byte("iocstream filter\x00" + q.String()))
	return h[:8]
}

func checksum(b []byte) []byte {
	h := sha256.New()
	h.Write([]byte("iocstream cursor\x00"))
	h.Write(b)
	return h.Sum(nil)[:sumLen]
}

func encodeCursor(q *Query, c cursor) string {
	b := make([]byte, 0, 32+len(c.key.ID))
	b = append(b, cursorVersion, orderByte(c.order))
	b = append(b, fingerprint(q)...)
	b = binary.AppendVarint(b, c.key.Date)
	b = binary.AppendUvarint(b, uint64(len(c.key.ID)))
	b = append(b, c.key.ID...)
	b = append(b, checksum(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor checks and decodes s, made for q. Errors wrap ErrBadCursor.
func decodeCursor(q *Query, s string) (cursor, error) {
	bad := func(why string) (cursor, error) { return cursor{}, fmt.Errorf("%w: %s", ErrBadCursor, why) }
	if len(s) > maxCursorLen {
		return bad("too long")
	}
	for i := 0; i < len(s); i++ { // the decoder would skip new lines; a cursor has one spelling
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return bad("not base64url")
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < 2+8+2+sumLen {
		return bad("malformed")
	}
	body, sum := b[:len(b)-sumLen], b[len(b)-sumLen:]
	if !bytes.Equal(sum, checksum(body)) {
		return bad("altered or not made by this server")
	}
	if body[0] != cursorVersion {
		return bad("unknown version")
	}
	var c cursor
	switch body[1] {
	case 0:
		c.order = OrderNewest
	case 1:
		c.order = OrderOldest
	default:
		return bad("unknown order")
	}
	if !bytes.Equal(body[2:10], fingerprint(q)) {
		return bad("made for another filter")
	}
	rest := body[10:]
	date, n := binary.Varint(rest)
	if n <= 0 {
		return bad("malformed date")
	}
	rest = rest[n:]
	l, n := binary.Uvarint(rest)
	if n <= 0 || l > maxIDLen || uint64(len(rest)-n) != l {
		return bad("malformed identifier")
	}
	c.key = Key{Date: date, ID: string(rest[n:])}
	if checkID(c.key.ID) != nil {
		return bad("malformed identifier")
	}
	return c, nil
}

func orderByte(o Order) byte {
	if o == OrderOldest {
		return 1
	}
	return 0
}
