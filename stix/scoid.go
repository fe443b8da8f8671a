package stix

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
	"github.com/tidwall/gjson"
)

// SCONamespace is the UUID namespace of deterministic cyber-observable identifiers.
const SCONamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7"

var scoNamespace = uuid.MustParse(SCONamespace)

// IDContributingProperties returns the properties whose values determine the identifier of a
// cyber-observable type, in the standard's order; nil for types without any (process, and
// types that are not STIX 2.1 cyber-observables).
func IDContributingProperties(typ string) []string {
	switch typ {
	case "artifact":
		return []string{"hashes", "payload_bin"}
	case "autonomous-system":
		return []string{"number"}
	case "directory":
		return []string{"path"}
	case "domain-name", "email-addr", "ipv4-addr", "ipv6-addr", "mac-addr", "url":
		return []string{"value"}
	case "email-message":
		return []string{"from_ref", "subject", "body"}
	case "file":
		return []string{"hashes", "name", "extensions", "parent_directory_ref"}
	case "mutex":
		return []string{"name"}
	case "network-traffic":
		return []string{"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"}
	case "software":
		return []string{"name", "cpe", "swid", "vendor", "version"}
	case "user-account":
		return []string{"account_type", "user_id", "account_login"}
	case "windows-registry-key":
		return []string{"key", "values"}
	case "x509-certificate":
		return []string{"hashes", "serial_number"}
	}
	return nil
}

// hashPreference is the order in which one hash is chosen to contribute to an identifier.
var hashPreference = [...]string{"MD5", "SHA-1", "SHA-256", "SHA-512"}

// SCOID returns the identifier a cyber-observable must have, given its JSON: a UUIDv5 in
// [SCONamespace] over the RFC 8785 canonical JSON of its ID-contributing properties (of
// `hashes`, only one: MD5, SHA-1, SHA-256, SHA-512, else the first present). When none of
// those properties is present, or the type has none, the identifier is random (UUIDv4) and
// deterministic is false.
//
// The timestamps start and end of network-traffic contribute as the instant they denote,
// not as spelled: in UTC, with the fraction of a second trimmed of trailing zeros and
// omitted when zero (2024-05-01T10:00:00.000Z and 2024-05-01T10:00:00Z give one id, as
// 10:00:00.120Z and 10:00:00.12Z do). The standard defines a timestamp by its instant
// (sub-second precision is optional) and the OASIS reference implementation,
// python-stix2, hashes its parsed timestamps re-serialised exactly so; a value that is
// not a timestamp contributes as written.
func SCOID(raw []byte) (id ID, err error) {
	id, _, err = scoID(raw)
	return id, err
}

// ExpectedID reports, for a cyber-observable whose identifier is deterministic, the
// identifier it must have; ok is false when its identifier is not determined by content.
func (o *Object) ExpectedID() (id ID, ok bool, err error) {
	return scoID(o.raw)
}

func scoID(raw []byte) (ID, bool, error) {
	root := gjson.ParseBytes(raw)
	typ := root.Get("type").String()
	if CategoryOf(typ) != CategorySCO {
		return "", false, fmt.Errorf("stix: %q is not a STIX 2.1 cyber-observable type", typ)
	}
	var b []byte
	for _, p := range IDContributingProperties(typ) {
		v := root.Get(gjson.Escape(p))
		if !v.Exists() {
			continue
		}
		raw := v.Raw
		switch {
		case p == "hashes":
			raw = chooseHash(v)
			if raw == "" {
				continue
			}
		case typ == "network-traffic" && (p == "start" || p == "end"):
			raw = idTimestamp(v)
		}
		if len(b) == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(b, quote(p)...)
		b = append(b, ':')
		b = append(b, raw...)
	}
	if len(b) == 0 {
		return NewID(typ), false, nil
	}
	b = append(b, '}')
	canon, err := jcs.Transform(b)
	if err != nil {
		return "", false, fmt.Errorf("stix: canonicalising %s: %w", typ, err)
	}
	return ID(typ + "--" + uuid.NewSHA1(scoNamespace, canon).String()), true, nil
}

// idTimestamp returns the JSON string of the canonical spelling of a timestamp v, or v
// as written when it is not one.
func idTimestamp(v gjson.Result) string {
	if v.Type != gjson.String {
		return v.Raw
	}
	t, err := time.Parse(time.RFC3339Nano, v.Str)
	if err != nil {
		return v.Raw
	}
	return quote(t.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"))
}

// chooseHash returns the JSON of a one-entry hashes dictionary, or "" when hashes is empty.
func chooseHash(hashes gjson.Result) string {
	for _, name := range hashPreference {
		if v := hashes.Get(gjson.Escape(name)); v.Exists() {
			return "{" + quote(name) + ":" + v.Raw + "}"
		}
	}
	var out string
	hashes.ForEach(func(k, v gjson.Result) bool {
		out = "{" + k.Raw + ":" + v.Raw + "}"
		return false
	})
	return out
}
