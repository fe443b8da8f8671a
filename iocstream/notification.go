package iocstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// EntityType is the kind of object a notification is about, as VirusTotal names it.
type EntityType string

// The entity types of the IoC stream.
const (
	EntityFile      EntityType = "file"
	EntityURL       EntityType = "url"
	EntityDomain    EntityType = "domain"
	EntityIPAddress EntityType = "ip_address"
)

// Origin says what produced a notification.
type Origin string

// The origins of the IoC stream.
const (
	OriginHunting       Origin = "hunting"       // the host's own hunting rules (VirusTotal: Livehunt, Retrohunt)
	OriginSubscriptions Origin = "subscriptions" // a subscription, e.g. to a live stream or a collection
)

// SourceType is the kind of object that triggered a notification.
type SourceType string

// The source types of the IoC stream.
const (
	SourceHuntingRuleset SourceType = "hunting_ruleset"
	SourceRetrohuntJob   SourceType = "retrohunt_job"
	SourceCollection     SourceType = "collection"
	SourceThreatActor    SourceType = "threat_actor"
)

// Entity is the IoC a notification carries: a file, URL, domain or IP address, identified
// as VirusTotal identifies it (a file by its SHA-256, else SHA-1, else MD5; a URL by the
// unpadded base64url of the URL; a domain or IP address by itself).
type Entity struct {
	Type EntityType
	ID   string
	// Attributes is a JSON object with the entity's own attributes (nil is written as {}).
	// Attributes named date or *_date should hold Unix seconds: VirusTotal's Python client
	// converts such attributes to datetimes.
	Attributes json.RawMessage
}

// Source is an object that triggered a notification, such as a hunting ruleset or a collection.
type Source struct {
	Type  SourceType `json:"type"`
	ID    string     `json:"id"`
	Label string     `json:"label,omitempty"`
}

// HuntingInfo is the context of a hunting match; only notifications of origin hunting have it.
type HuntingInfo struct {
	RuleName      string   `json:"rule_name"`
	RuleTags      []string `json:"rule_tags"`
	Snippet       string   `json:"snippet,omitempty"` // hexdump with begin_highlight/end_highlight markers
	SourceCountry string   `json:"source_country,omitempty"`
	SourceKey     string   `json:"source_key,omitempty"`
}

// Notification is one entry of the IoC stream: an entity and the context in which it was
// reported. A store keeps Date in whole seconds (UTC); finer precision is dropped.
type Notification struct {
	ID      string
	Date    time.Time
	Origin  Origin
	Sources []Source
	Tags    []string
	Hunting *HuntingInfo // only for OriginHunting; nil when there is nothing to say
	Entity  Entity
}

// maxIDLen bounds notification identifiers, which travel in URL paths and cursors.
const maxIDLen = 128

// Key returns the notification's position in date order.
func (n *Notification) Key() Key { return Key{Date: n.Date.Unix(), ID: n.ID} }

// Validate reports whether n can be stored: an identifier of 1 to 128 characters from
// [A-Za-z0-9._~:-], a non-zero date, a known origin, known source types, hunting_info only
// for origin hunting, a known entity type, and a JSON object (or nothing) as attributes.
// Entity ids, source ids and tags must be non-empty and free of white space, so that every
// stored value can be named in a filter. The error wraps [ErrInvalid].
func (n *Notification) Validate() error {
	if n == nil {
		return fmt.Errorf("%w: nil notification", ErrInvalid)
	}
	if err := checkID(n.ID); err != nil {
		return err
	}
	if n.Date.IsZero() {
		return fmt.Errorf("%w: notification %q has no date", ErrInvalid, n.ID)
	}
	if !validOrigin(string(n.Origin)) {
		return fmt.Errorf("%w: notification %q: origin %q is not hunting or subscriptions", ErrInvalid, n.ID, n.Origin)
	}
	if n.Hunting != nil && n.Origin != OriginHunting {
		return fmt.Errorf("%w: notification %q: hunting_info is only for origin hunting", ErrInvalid, n.ID)
	}
	for _, s := range n.Sources {
		if !validSourceType(string(s.Type)) {
			return fmt.Errorf("%w: notification %q: source type %q is not one of %s", ErrInvalid, n.ID, s.Type, sourceTypeList)
		}
		if !filterable(s.ID) {
			return fmt.Errorf("%w: notification %q: source id %q is empty or holds white space", ErrInvalid, n.ID, s.ID)
		}
	}
	for _, t := range n.Tags {
		if !filterable(t) {
			return fmt.Errorf("%w: notification %q: tag %q is empty or holds white space", ErrInvalid, n.ID, t)
		}
	}
	if !validEntityType(string(n.Entity.Type)) {
		return fmt.Errorf("%w: notification %q: entity type %q is not one of %s", ErrInvalid, n.ID, n.Entity.Type, entityTypeList)
	}
	if !filterable(n.Entity.ID) {
		return fmt.Errorf("%w: notification %q: entity id %q is empty or holds white space", ErrInvalid, n.ID, n.Entity.ID)
	}
	if a := n.Entity.Attributes; a != nil {
		if t := bytes.TrimLeft(a, " \t\r\n"); len(t) == 0 || t[0] != '{' || !json.Valid(a) {
			return fmt.Errorf("%w: notification %q: entity attributes are not a JSON object", ErrInvalid, n.ID)
		}
	}
	return nil
}

// clone returns a deep copy of n with its date in whole seconds, UTC, so that a store never
// shares memory with its callers.
func (n *Notification) clone() *Notification {
	c := *n
	c.Date = time.Unix(n.Date.Unix(), 0).UTC()
	c.Sources = append([]Source(nil), n.Sources...)
	c.Tags = append([]string(nil), n.Tags...)
	if n.Hunting != nil {
		h := *n.Hunting
		h.RuleTags = append([]string(nil), h.RuleTags...)
		c.Hunting = &h
	}
	if n.Entity.Attributes != nil {
		c.Entity.Attributes = append(json.RawMessage(nil), n.Entity.Attributes...)
	}
	return &c
}

func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("%w: notification id %q must be 1 to %d characters", ErrInvalid, id, maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._~:-", c) >= 0
		if !ok {
			return fmt.Errorf("%w: notification id %q may hold only letters, digits and ._~:-", ErrInvalid, id)
		}
	}
	return nil
}

// filterable reports whether s can be a filter value: non-empty, valid UTF-8 without white space.
func filterable(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

const (
	originList     = "hunting, subscriptions"
	entityTypeList = "file, domain, url, ip_address"
	sourceTypeList = "hunting_ruleset, retrohunt_job, collection, threat_actor"
)

func validOrigin(s string) bool {
	return s == string(OriginHunting) || s == string(OriginSubscriptions)
}

func validEntityType(s string) bool {
	switch EntityType(s) {
	case EntityFile, EntityURL, EntityDomain, EntityIPAddress:
		return true
	}
	return false
}

func validSourceType(s string) bool {
	switch SourceType(s) {
	case SourceHuntingRuleset, SourceRetrohuntJob, SourceCollection, SourceThreatActor:
		return true
	}
	return false
}
