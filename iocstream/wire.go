package iocstream

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// The JSON shapes of VirusTotal's API v3, field order as VirusTotal writes them.

// streamObject is one entry of GET /ioc_stream: the entity with its context attributes.
type streamObject struct {
	Type       EntityType      `json:"type"`
	ID         string          `json:"id"`
	Attributes json.RawMessage `json:"attributes,omitempty"` // absent with descriptors_only
	Context    contextAttrs    `json:"context_attributes"`
}

type contextAttrs struct {
	NotificationID   string       `json:"notification_id"`
	NotificationDate int64        `json:"notification_date"`
	Origin           Origin       `json:"origin"`
	Sources          []Source     `json:"sources"`
	Tags             []string     `json:"tags"`
	HuntingInfo      *HuntingInfo `json:"hunting_info,omitempty"`
}

type listResponse struct {
	Data  []streamObject `json:"data"`
	Meta  *listMeta      `json:"meta,omitempty"` // only when there is a next page
	Links listLinks      `json:"links"`
}

type listMeta struct {
	Cursor string `json:"cursor"`
}

type listLinks struct {
	Self string `json:"self"`
	Next string `json:"next,omitempty"`
}

// notificationObject is the ioc_stream_notification object of GET /ioc_stream_notifications/{id}.
type notificationObject struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Attributes notificationAttrs `json:"attributes"`
	Links      notificationLinks `json:"links"`
}

type notificationAttrs struct {
	Date        int64        `json:"date"`
	EntityType  EntityType   `json:"entity_type"`
	EntityID    string       `json:"entity_id"`
	Origin      Origin       `json:"origin"`
	Sources     []Source     `json:"sources"`
	Tags        []string     `json:"tags"`
	HuntingInfo *HuntingInfo `json:"hunting_info,omitempty"`
}

type notificationLinks struct {
	Self string `json:"self"`
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// sourcesOf, tagsOf and huntingOf write absent lists as [] so that clients may iterate
// without checking for null.
func sourcesOf(n *Notification) []Source {
	if n.Sources == nil {
		return []Source{}
	}
	return n.Sources
}

func tagsOf(n *Notification) []string {
	if n.Tags == nil {
		return []string{}
	}
	return n.Tags
}

func huntingOf(n *Notification) *HuntingInfo {
	if n.Hunting == nil || n.Hunting.RuleTags != nil {
		return n.Hunting
	}
	h := *n.Hunting
	h.RuleTags = []string{}
	return &h
}

func toStreamObject(n *Notification, descriptorsOnly bool) streamObject {
	o := streamObject{
		Type: n.Entity.Type,
		ID:   n.Entity.ID,
		Context: contextAttrs{
			NotificationID:   n.ID,
			NotificationDate: n.Date.Unix(),
			Origin:           n.Origin,
			Sources:          sourcesOf(n),
			Tags:             tagsOf(n),
			HuntingInfo:      huntingOf(n),
		},
	}
	if !descriptorsOnly {
		o.Attributes = n.Entity.Attributes
		if o.Attributes == nil {
			o.Attributes = json.RawMessage("{}")
		}
	}
	return o
}

func toNotificationObject(n *Notification, self string) notificationObject {
	return notificationObject{
		Type: "ioc_stream_notification",
		ID:   n.ID,
		Attributes: notificationAttrs{
			Date:        n.Date.Unix(),
			EntityType:  n.Entity.Type,
			EntityID:    n.Entity.ID,
			Origin:      n.Origin,
			Sources:     sourcesOf(n),
			Tags:        tagsOf(n),
			HuntingInfo: huntingOf(n),
		},
		Links: notificationLinks{Self: self},
	}
}

// writeJSON writes v with the given status. It encodes before writing anything, so an
// encoding failure can still become an error response.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // URLs in attributes keep their & and <
	if err := enc.Encode(v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json") // exactly this: VirusTotal's Python client compares it
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	_ = writeJSON(w, status, e) // an apiError always encodes
}
