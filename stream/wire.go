package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ctifeed/ctifeed/internal/jsonstr"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// The wire format of a change frame's data is OpenCTI's (docs/live-streams.md §2):
//
//	{"version":"4","type":"create","scope":"external","message":"creates a Indicator `x`",
//	 "origin":{},"data":{<STIX object>},"context":{}}
//
// Updates carry context.patch and context.reverse_patch (RFC 6902), merges context.sources
// (the merged-away objects), and dependencies origin {"referer":"init-dependencies"}.

// wireVersion is the event version OpenCTI's consumers check (they skip older ones).
const wireVersion = "4"

// dependencyReferer is OpenCTI's origin.referer of a dependency, and recoveredReferer that
// of an object of a recovery snapshot (OpenCTI's sseMiddleware.js: EVENT_TYPE_DEPENDENCIES
// and EVENT_TYPE_INIT).
const (
	dependencyReferer = "init-dependencies"
	recoveredReferer  = "init-create"
)

// ErrBadFrame is wrapped by the errors of a [Client] for a frame whose data it cannot
// decode: not JSON, not of OpenCTI's shape, or without a valid STIX object.
var ErrBadFrame = errors.New("stream: malformed frame")

// appendData appends the one-line JSON data of m's frame to b; recovered marks a frame of
// a recovery snapshot, whose own objects (not dependencies) OpenCTI marks init-create.
func appendData(b []byte, m Message, recovered bool) ([]byte, error) {
	if m.Object == nil {
		return b, fmt.Errorf("stream: %s message without an object", m.Type)
	}
	b = append(b, `{"version":"`+wireVersion+`","type":`...)
	b = jsonstr.Append(b, string(m.Type))
	b = append(b, `,"scope":"external","message":`...)
	b = jsonstr.Append(b, messageText(m))
	switch {
	case m.Dependency:
		b = append(b, `,"origin":{"referer":"`+dependencyReferer+`"},"data":`...)
	case recovered:
		b = append(b, `,"origin":{"referer":"`+recoveredReferer+`"},"data":`...)
	default:
		b = append(b, `,"origin":{},"data":`...)
	}
	b = appendCompact(b, m.Object.Raw())
	b = append(b, `,"context":{`...)
	switch m.Type {
	case Update:
		b = append(b, `"patch":`...)
		b = appendCompact(b, orEmptyArray(m.Patch))
		b = append(b, `,"reverse_patch":`...)
		b = appendCompact(b, orEmptyArray(m.ReversePatch))
	case Merge:
		b = append(b, `"sources":[`...)
		for i, s := range m.Sources {
			if s == nil {
				continue
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCompact(b, s.Raw())
		}
		b = append(b, ']')
	}
	return append(b, "}}"...), nil
}

func orEmptyArray(p json.RawMessage) []byte {
	if len(bytes.TrimSpace(p)) == 0 {
		return []byte("[]")
	}
	return p
}

// appendCompact appends raw JSON on one line: SSE data must not contain line ends, and
// an object's original bytes may (pretty-printed input).
func appendCompact(b, raw []byte) []byte {
	if !bytes.ContainsAny(raw, "\r\n") {
		return append(b, raw...)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		// Raw bytes of a parsed object are valid JSON; keep them rather than lose data.
		return append(b, bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r"), nil), []byte("\n"), []byte(" "))...)
	}
	return append(b, buf.Bytes()...)
}

// wireData is the decoding side of the data of a change frame.
type wireData struct {
	Version string          `json:"version"`
	Type    MessageType     `json:"type"`
	Message string          `json:"message"`
	Origin  json.RawMessage `json:"origin"`
	Data    json.RawMessage `json:"data"`
	Context struct {
		Patch        json.RawMessage   `json:"patch"`
		ReversePatch json.RawMessage   `json:"reverse_patch"`
		Sources      []json.RawMessage `json:"sources"`
	} `json:"context"`
}

// decodeData decodes the data of a frame named event with id into a Message. Pos and Time
// come from the id when it is an event's position, the last frame of a group (they are
// zero otherwise: for a mid-group id, see the package doc's "Frame ids", and for ids
// that are not positions).
func decodeData(event, id string, data []byte) (Message, error) {
	typ := MessageType(event)
	switch typ {
	case Create, Update, Merge, Delete:
	default:
		return Message{}, fmt.Errorf("%w: %q is not a change event", ErrBadFrame, event)
	}
	var w wireData
	if err := json.Unmarshal(data, &w); err != nil {
		return Message{}, fmt.Errorf("%w: %s data: %w", ErrBadFrame, event, err)
	}
	if w.Type != "" && w.Type != typ {
		return Message{}, fmt.Errorf("%w: %s frame carries a %q message", ErrBadFrame, event, w.Type)
	}
	if len(w.Data) == 0 || w.Data[0] != '{' {
		return Message{}, fmt.Errorf("%w: %s frame has no STIX object in data", ErrBadFrame, event)
	}
	obj, err := stix.Parse(w.Data)
	if err != nil {
		return Message{}, fmt.Errorf("%w: %s frame: %w", ErrBadFrame, event, err)
	}
	m := Message{Type: typ, Object: obj}
	if len(w.Origin) > 0 && w.Origin[0] == '{' {
		var o struct {
			Referer string `json:"referer"`
		}
		if json.Unmarshal(w.Origin, &o) == nil {
			m.Dependency = o.Referer == dependencyReferer
		}
	}
	if typ == Update {
		m.Patch, m.ReversePatch = nullToNil(w.Context.Patch), nullToNil(w.Context.ReversePatch)
	}
	if typ == Merge {
		for i, raw := range w.Context.Sources {
			s, err := stix.Parse(raw)
			if err != nil {
				return Message{}, fmt.Errorf("%w: merge source %d: %w", ErrBadFrame, i, err)
			}
			m.Sources = append(m.Sources, s)
		}
	}
	if p, err := store.ParsePosition(id); err == nil && p.Seq < store.MaxSeq {
		m.Pos, m.Time = p, p.Time() // a mid-group id is no event's position: left zero
	}
	return m, nil
}

func nullToNil(r json.RawMessage) json.RawMessage {
	if len(r) == 0 || string(r) == "null" {
		return nil
	}
	return r
}

// messageText is the human-readable message in OpenCTI's manner ("creates a Indicator
// `name`"). It is informative only: consumers must not parse it.
func messageText(m Message) string {
	o := m.Object
	var verb string
	switch m.Type {
	case Create:
		verb = "creates"
	case Update:
		verb = "updates"
	case Delete:
		verb = "deletes"
	case Merge:
		names := make([]string, 0, len(m.Sources))
		for _, s := range m.Sources {
			if s != nil {
				names = append(names, "`"+displayName(s)+"`")
			}
		}
		return fmt.Sprintf("merges %s %s into `%s`", typeLabel(o.Type()), strings.Join(names, ", "), displayName(o))
	default:
		verb = string(m.Type)
	}
	if o.Type() == "relationship" {
		return fmt.Sprintf("%s the relation %s from `%s` to `%s`", verb, o.Get("relationship_type").String(),
			o.Get("source_ref").String(), o.Get("target_ref").String())
	}
	return fmt.Sprintf("%s a %s `%s`", verb, typeLabel(o.Type()), displayName(o))
}

// typeLabel spells a STIX type as OpenCTI's entity types do: "attack-pattern" → "Attack-Pattern".
func typeLabel(typ string) string {
	parts := strings.Split(typ, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// displayName is what a message calls an object: its name, else its value (observables),
// else its id.
func displayName(o *stix.Object) string {
	for _, prop := range [...]string{"name", "value", "definition.tlp", "definition.statement"} {
		if r := o.Get(prop); r.Exists() && r.String() != "" {
			return r.String()
		}
	}
	return string(o.ID())
}

// heartbeatData is the data of a heartbeat frame: the date of the position, as a JSON string.
func heartbeatData(p store.Position) []byte {
	return jsonstr.Append(nil, stix.FormatTime(p.Time()))
}

// Connected is the data of the connected frame that opens every stream (OpenCTI's shape):
// the retained log's bounds when the connection was made and the connection's id.
type Connected struct {
	LastEventID    string `json:"lastEventId"`
	FirstEventID   string `json:"firstEventId"`
	FirstEventDate string `json:"firstEventDate"`
	LastEventDate  string `json:"lastEventDate"`
	StreamSize     int    `json:"streamSize"`
	ConnectionID   string `json:"connectionId"`
}

func connectedFrom(b store.LogBounds, connID string) Connected {
	c := Connected{LastEventID: b.Last.String(), FirstEventID: b.First.String(), StreamSize: b.Count, ConnectionID: connID}
	if !b.FirstTime.IsZero() {
		c.FirstEventDate = stix.FormatTime(b.FirstTime)
	}
	if !b.LastTime.IsZero() {
		c.LastEventDate = stix.FormatTime(b.LastTime)
	}
	return c
}

// Gap is the data of a gap frame: the consumer asked to resume after Requested, but the log
// no longer holds every event after it (retention dropped some). The handler then sends, as
// create frames, a recovery snapshot of the objects whose last change lies between
// Requested's date and FirstRetained's (inclusive), and continues live after the events it
// dropped. Deletions made in the dropped window cannot be replayed; a consumer that needs an
// exact copy must rebuild it (reconnect with from=0 and recover=now).
type Gap struct {
	Requested         store.Position `json:"requested"`
	FirstRetained     store.Position `json:"firstRetained"`
	FirstRetainedDate string         `json:"firstRetainedDate"`
	Message           string         `json:"message"`
}

func newGap(requested store.Position, b store.LogBounds) Gap {
	return Gap{
		Requested: requested, FirstRetained: b.First, FirstRetainedDate: stix.FormatTime(b.FirstTime),
		Message: fmt.Sprintf("the stream no longer holds the events after %s (the oldest retained is %s); "+
			"sending a recovery snapshot of the objects changed in between as create events; deletions "+
			"in that window are lost: to rebuild an exact copy, reconnect with from=0 and recover=<now>", requested, b.First),
	}
}
