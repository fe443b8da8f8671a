package stream

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/ctifeed/ctifeed/store"
)

// params are a connection's tuning parameters (docs/live-streams.md §2), each read from the query
// first, then from the header of the same name.
type params struct {
	// hasFrom is false when neither from nor Last-Event-ID was given: the stream starts at
	// the log's end (live only).
	hasFrom bool
	from    resumePoint
	// fromDate is true when from was given as a date (any date is accepted: one after the
	// log's end starts there), fromName names where from came from, for errors.
	fromDate bool
	fromName string
	fromRaw  string
	// recover, when non-zero, asks for a recovery snapshot up to that date first.
	recover time.Time
	// sw holds the switches the consumer set, true or false.
	sw Switches
}

// paramError is a bad tuning parameter, answered with 400 naming it.
type paramError struct {
	name, value, reason string
}

func (e *paramError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.name, clip(e.value), e.reason)
}

// maxEcho bounds how much of a client-supplied value an error message repeats, so that a
// huge header does not come back as a huge answer (or fill a log).
const maxEcho = 100

// clip returns s cut to about maxEcho bytes (on a UTF-8 boundary), marked when cut.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	i := maxEcho
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + fmt.Sprintf("… (%d bytes)", len(s))
}

// parseParams reads the tuning parameters of r.
func parseParams(r *http.Request) (params, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return params{}, &paramError{name: "query", value: r.URL.RawQuery, reason: "malformed query string"}
	}
	get := func(name, header string) (string, string) {
		if v := q.Get(name); v != "" {
			return v, name
		}
		return r.Header.Get(header), header
	}
	var p params
	if v, name := get("from", "Last-Event-ID"); v != "" {
		rp, date, err := parseStart(v)
		if err != nil {
			return params{}, &paramError{name: name, value: v, reason: err.Error()}
		}
		p.hasFrom, p.from, p.fromDate, p.fromName, p.fromRaw = true, rp, date, name, v
	}
	if v, name := get("recover", "recover"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return params{}, &paramError{name: name, value: v, reason: "not an RFC 3339 date"}
		}
		p.recover = t
	}
	bools := []struct {
		name string
		set  func(bool)
	}{
		{"no-dependencies", func(b bool) { p.sw.NoDependencies = &b }},
		{"listen-delete", func(b bool) { b = !b; p.sw.NoDeletions = &b }},
		{"with-inferences", func(b bool) { p.sw.WithInferences = &b }},
	}
	for _, b := range bools {
		v, name := get(b.name, b.name)
		switch v {
		case "":
		case "true":
			b.set(true)
		case "false":
			b.set(false)
		default:
			return params{}, &paramError{name: name, value: v, reason: "want true or false"}
		}
	}
	return p, nil
}

// parseStart parses a resume point: "0" or "0-0" (the start of the log), a frame id
// "<milliseconds>-<sequence>" (resume after that frame, see [resumeFrom]), or an RFC 3339
// date (resume with the first event at or after it); date reports the last.
func parseStart(s string) (rp resumePoint, date bool, err error) {
	if s == "0" {
		return resumePoint{skip: -1}, false, nil
	}
	if p, err := store.ParsePosition(s); err == nil {
		return resumeFrom(p), false, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return resumePoint{pos: store.PositionAt(t), skip: -1}, true, nil
	}
	return resumePoint{}, false, fmt.Errorf("want 0, <milliseconds>-<sequence> or an RFC 3339 date")
}
