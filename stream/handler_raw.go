package stream

import (
	"mime"
	"net/http"
	"strings"

	"github.com/ctifeed/ctifeed/access"
)

// wantsEventStream reports whether r asks for Server-Sent Events: its Accept header names
// text/event-stream (what EventSource, OpenCTI's Python client and our Client send).
func wantsEventStream(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
				return true
			}
		}
	}
	return false
}

// rawDefinition is the platform-wide stream served at {prefix}/stream: every object, no
// filters, with the definition defaults a live stream has.
var rawDefinition = Definition{ID: "", Name: "raw platform stream", Live: true}

// mayReadRaw reports whether p may read the raw stream: only a principal that sees the
// whole platform ([access.CapBypass]), as OpenCTI restricts it.
func mayReadRaw(p *access.Principal) bool { return p != nil && p.Has(access.CapBypass) }

// serveRaw answers GET {prefix}/stream asked as an event stream: the raw platform stream.
func (h *Handler) serveRaw(w http.ResponseWriter, r *http.Request, p *access.Principal) {
	switch {
	case p == nil:
		access.WriteChallenge(w)
		httpError(w, http.StatusUnauthorized, "authentication required: the raw stream needs the BYPASS capability")
		return
	case !mayReadRaw(p):
		httpError(w, http.StatusForbidden, "the raw stream needs the BYPASS capability")
		return
	}
	prm, err := parseParams(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	h.serveDefinition(w, r, prm, "", rawDefinition, p, p)
}
