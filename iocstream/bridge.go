package iocstream

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/tidwall/gjson"
)

// ErrUnsupported: the STIX object names no IoC the stream can carry (an object of another
// type, a file without a usable hash, an IP range, or a pattern beyond `=` comparisons).
var ErrUnsupported = errors.New("iocstream: no IoC in this STIX object")

// EntitiesFromSTIX returns the IoCs a STIX object names, identified as VirusTotal
// identifies them:
//   - file: by its SHA-256, else SHA-1, else MD5 (lower-case hex);
//   - url: by the unpadded base64url of the URL;
//   - domain-name: by the domain, lower-case, without a trailing dot;
//   - ipv4-addr, ipv6-addr: by the address (a CIDR value only when it is a single address);
//   - indicator with pattern_type stix: by each `=` comparison on those objects' value or
//     hashes, e.g. [domain-name:value = 'x' OR file:hashes.'SHA-256' = '…'].
//
// A file's attributes hold its md5, sha1 and sha256, and its size and name when known; a
// URL's hold url. The error wraps [ErrUnsupported] when o names no such IoC.
func EntitiesFromSTIX(o *stix.Object) ([]Entity, error) {
	var es []Entity
	var err error
	switch t := o.Type(); t {
	case "indicator":
		es, err = indicatorEntities(o)
	case "file":
		var e Entity
		e, err = fileEntity(hashesOf(o.Get("hashes")), o.Get("size"), o.Get("name"))
		es = []Entity{e}
	case "url", "domain-name", "ipv4-addr", "ipv6-addr":
		var e Entity
		e, err = valueEntity(t, o.Get("value").String())
		es = []Entity{e}
	default:
		err = fmt.Errorf("%w: type %s", ErrUnsupported, t)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.ID(), err)
	}
	return es, nil
}

// FromSTIX returns one notification per IoC that o names (see [EntitiesFromSTIX]), each a
// copy of tmpl with the entity filled in. tmpl supplies the context: Origin, Sources,
// Tags, Hunting and Date (zero means now). When tmpl.ID is empty each notification gets an
// identifier derived from the origin, the sources, o's id and version and the entity, so
// that feeding the same object twice yields [ErrExists] from the store rather than a
// duplicate; otherwise tmpl.ID is used, suffixed with -1, -2… when o names several IoCs.
// Notifications that would not pass [Notification.Validate] are an error.
func FromSTIX(o *stix.Object, tmpl *Notification) ([]*Notification, error) {
	if tmpl == nil {
		return nil, fmt.Errorf("%w: nil template", ErrInvalid)
	}
	es, err := EntitiesFromSTIX(o)
	if err != nil {
		return nil, err
	}
	out := make([]*Notification, 0, len(es))
	for i, e := range es {
		n := *tmpl
		n.Entity = e
		if n.Date.IsZero() {
			n.Date = time.Now()
		}
		switch {
		case tmpl.ID == "":
			n.ID = derivedID(o, &n)
		case len(es) > 1:
			n.ID = fmt.Sprintf("%s-%d", tmpl.ID, i+1)
		}
		if err := n.Validate(); err != nil {
			return nil, err
		}
		out = append(out, n.clone())
	}
	return out, nil
}

func derivedID(o *stix.Object, n *Notification) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00", n.Origin, o.ID(), o.Version().UTC().Format(time.RFC3339Nano), n.Entity.Type, n.Entity.ID)
	for _, s := range n.Sources {
		fmt.Fprintf(h, "%s\x00%s\x00", s.Type, s.ID)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// hashesOf reads a STIX hashes dictionary into canonical names (MD5, SHA1, SHA256, …).
func hashesOf(v gjson.Result) map[string]string {
	hs := map[string]string{}
	v.ForEach(func(k, val gjson.Result) bool {
		hs[hashName(k.String())] = val.String()
		return true
	})
	return hs
}

// hashName folds the spellings producers use (SHA-256, sha256, SHA256) into one.
func hashName(s string) string { return strings.ReplaceAll(strings.ToUpper(s), "-", "") }

func fileEntity(hashes map[string]string, size, name gjson.Result) (Entity, error) {
	attrs := map[string]any{}
	id := ""
	for _, h := range []struct {
		name, attr string
		hexLen     int
	}{{"MD5", "md5", 32}, {"SHA1", "sha1", 40}, {"SHA256", "sha256", 64}} {
		v, ok := hashes[h.name]
		if !ok {
			continue
		}
		v = strings.ToLower(v)
		if _, err := hex.DecodeString(v); err != nil || len(v) != h.hexLen {
			return Entity{}, fmt.Errorf("%w: %s hash %q is not %d hex digits", ErrUnsupported, h.name, v, h.hexLen)
		}
		attrs[h.attr] = v
		id = v // the loop runs from the weakest hash to the strongest
	}
	if id == "" {
		return Entity{}, fmt.Errorf("%w: a file needs an MD5, SHA-1 or SHA-256 hash", ErrUnsupported)
	}
	if size.Type == gjson.Number {
		attrs["size"] = size.Int()
	}
	if name.Type == gjson.String {
		attrs["names"] = []string{name.Str}
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return Entity{}, err
	}
	return Entity{Type: EntityFile, ID: id, Attributes: raw}, nil
}

func valueEntity(stixType, value string) (Entity, error) {
	if value == "" {
		return Entity{}, fmt.Errorf("%w: %s without a value", ErrUnsupported, stixType)
	}
	switch stixType {
	case "url":
		raw, err := json.Marshal(map[string]string{"url": value})
		return Entity{Type: EntityURL, ID: base64.RawURLEncoding.EncodeToString([]byte(value)), Attributes: raw}, err
	case "domain-name":
		d := strings.TrimSuffix(strings.ToLower(value), ".")
		if !filterable(d) {
			return Entity{}, fmt.Errorf("%w: domain %q", ErrUnsupported, value)
		}
		return Entity{Type: EntityDomain, ID: d}, nil
	case "ipv4-addr", "ipv6-addr":
		addr, err := netip.ParseAddr(value)
		if err != nil {
			pfx, perr := netip.ParsePrefix(value)
			if perr != nil || !pfx.IsSingleIP() {
				return Entity{}, fmt.Errorf("%w: %q is not a single IP address", ErrUnsupported, value)
			}
			addr = pfx.Addr()
		}
		if addr.Is4() != (stixType == "ipv4-addr") || addr.Zone() != "" {
			return Entity{}, fmt.Errorf("%w: %q is not an %s", ErrUnsupported, value, stixType)
		}
		return Entity{Type: EntityIPAddress, ID: addr.String()}, nil
	}
	return Entity{}, fmt.Errorf("%w: type %s", ErrUnsupported, stixType)
}

func indicatorEntities(o *stix.Object) ([]Entity, error) {
	if pt := o.Get("pattern_type"); pt.Exists() && pt.String() != "stix" {
		return nil, fmt.Errorf("%w: pattern_type %q", ErrUnsupported, pt.String())
	}
	alts, err := parsePattern(o.Get("pattern").String())
	if err != nil {
		return nil, err
	}
	var es []Entity
	for _, group := range alts {
		e, err := groupEntity(group)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(es, func(x Entity) bool { return x.Type == e.Type && x.ID == e.ID }) {
			es = append(es, e)
		}
	}
	return es, nil
}

// groupEntity turns comparisons joined by AND into one entity: they must all describe
// the same object, a file by its hashes or another type by its value.
func groupEntity(group []comparison) (Entity, error) {
	typ := group[0].objType
	hashes := map[string]string{}
	value := ""
	for _, c := range group {
		switch {
		case c.objType != typ:
			return Entity{}, fmt.Errorf("%w: AND across %s and %s", ErrUnsupported, typ, c.objType)
		case typ == "file" && len(c.path) == 2 && c.path[0] == "hashes":
			hashes[hashName(c.path[1])] = c.value
		case typ == "file" && len(c.path) == 1 && c.path[0] == "name":
			// A name narrows nothing once a hash identifies the file.
		case typ != "file" && len(c.path) == 1 && c.path[0] == "value" && (value == "" || value == c.value):
			value = c.value
		default:
			return Entity{}, fmt.Errorf("%w: comparison on %s:%s", ErrUnsupported, typ, strings.Join(c.path, "."))
		}
	}
	if typ == "file" {
		return fileEntity(hashes, gjson.Result{}, gjson.Result{})
	}
	return valueEntity(typ, value)
}
