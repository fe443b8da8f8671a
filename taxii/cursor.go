package taxii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/ctifeed/ctifeed/stix"
)

// A `next` token is stateless: it carries the position to resume from and the fingerprint
// of the query it belongs to, signed with the handler's key, so any replica holding the
// key can serve the next page, any number of times, for as long as the client likes.
//
// The position is keyset: the (date_added, id) key of the last object fully served, plus,
// when a page ended inside an object's versions, how many versions of the following
// object were already served (skip) and that object's key, so the skip applies only if
// the object has not changed since.
//
// Layout: version(1) fingerprint(16) flags(1) [after: time(varint) idlen(uvarint) id]
// [skip(uvarint) skipTime(varint) idlen(uvarint) id] mac(16), in unpadded base64url.
const (
	tokenVersion = 1
	macLen       = 16
	maxTokenLen  = 1024 // encoded; a real token is at most ~250
	flagAfter    = 1
	flagSkip     = 2
)

// key is a position in the scan order: (date_added of the current version, id).
type key struct {
	t  time.Time
	id stix.ID
}

// position is where a page starts: after `after` (nil: from the start), skipping the first
// skip versions of the next object if it is skipID at skipTime (a zero skipTime matches
// any time, for single-object endpoints).
type position struct {
	after    *key
	skip     int
	skipID   stix.ID
	skipTime time.Time
}

var (
	errTokenInvalid = errors.New("not a token this server issued, or altered")
	errTokenQuery   = errors.New("made for a different query; repeat the query it came from")
)

func (h *Handler) mac(b []byte) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte("taxii next\x00"))
	m.Write(b)
	return m.Sum(nil)[:macLen]
}

func (h *Handler) encodeToken(fp [16]byte, p position) string {
	b := make([]byte, 0, 128)
	b = append(b, tokenVersion)
	b = append(b, fp[:]...)
	var flags byte
	if p.after != nil {
		flags |= flagAfter
	}
	if p.skip > 0 {
		flags |= flagSkip
	}
	b = append(b, flags)
	if p.after != nil {
		b = appendKey(b, p.after.t, p.after.id)
	}
	if p.skip > 0 {
		b = binary.AppendUvarint(b, uint64(p.skip))
		b = appendKey(b, p.skipTime, p.skipID)
	}
	b = append(b, h.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func appendKey(b []byte, t time.Time, id stix.ID) []byte {
	ns := int64(0)
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	b = binary.AppendVarint(b, ns)
	b = binary.AppendUvarint(b, uint64(len(id)))
	return append(b, id...)
}

// decodeToken checks s and returns its position; the error is errTokenInvalid or
// errTokenQuery.
func (h *Handler) decodeToken(fp [16]byte, s string) (position, error) {
	if len(s) > maxTokenLen {
		return position{}, errTokenInvalid
	}
	for i := 0; i < len(s); i++ { // the decoder skips line breaks; a token has one spelling
		if s[i] == '\r' || s[i] == '\n' {
			return position{}, errTokenInvalid
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < 1+16+1+macLen || b[0] != tokenVersion {
		return position{}, errTokenInvalid
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	if !hmac.Equal(sum, h.mac(body)) {
		return position{}, errTokenInvalid
	}
	if [16]byte(body[1:17]) != fp {
		return position{}, errTokenQuery
	}
	flags, rest := body[17], body[18:]
	var p position
	var ok bool
	if flags&flagAfter != 0 {
		var k key
		if k.t, k.id, rest, ok = readKey(rest); !ok {
			return position{}, errTokenInvalid
		}
		p.after = &k
	}
	if flags&flagSkip != 0 {
		n, m := binary.Uvarint(rest)
		if m <= 0 || m != uvarintLen(n) || n == 0 || n > 1<<31 {
			return position{}, errTokenInvalid
		}
		p.skip, rest = int(n), rest[m:]
		if p.skipTime, p.skipID, rest, ok = readKey(rest); !ok {
			return position{}, errTokenInvalid
		}
	}
	if len(rest) != 0 || flags&^(flagAfter|flagSkip) != 0 {
		return position{}, errTokenInvalid
	}
	return p, nil
}

func readKey(b []byte) (time.Time, stix.ID, []byte, bool) {
	ns, n := binary.Varint(b)
	if n <= 0 || n != len(binary.AppendVarint(nil, ns)) { // one spelling: no overlong varints
		return time.Time{}, "", nil, false
	}
	b = b[n:]
	l, n := binary.Uvarint(b)
	if n <= 0 || n != uvarintLen(l) || l > uint64(len(b)-n) {
		return time.Time{}, "", nil, false
	}
	id := stix.ID(b[n : n+int(l)])
	if id.Validate() != nil {
		return time.Time{}, "", nil, false
	}
	var t time.Time
	if ns != 0 {
		t = time.Unix(0, ns).UTC()
	}
	return t, id, b[n+int(l):], true
}

func uvarintLen(v uint64) int { return len(binary.AppendUvarint(nil, v)) }
