package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// addObjects serves POST {collection}/objects/: it writes each object of the envelope (or
// STIX bundle) through the store and answers 202 with a status resource.
func (h *Handler) addObjects(q *request, c *collection) {
	if !c.CanWrite {
		h.fail(q.w, errForbidden("this collection cannot be written"))
		return
	}
	if !postable(q.r.Header.Get("Content-Type")) {
		h.fail(q.w, &Error{Status: http.StatusUnsupportedMediaType, Title: "Unsupported media type",
			Description: "send " + MediaType})
		return
	}
	limit := q.root.MaxContentLength
	tooLarge := &Error{Status: http.StatusRequestEntityTooLarge, Title: "Content too large",
		Description: "the body is larger than max_content_length, " + strconv.FormatInt(limit, 10) + " bytes"}
	if q.r.ContentLength > limit {
		h.fail(q.w, tooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, limit))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			h.fail(q.w, tooLarge)
			return
		}
		h.fail(q.w, &Error{Status: http.StatusBadRequest, Title: "Bad request", Description: "the body could not be read"})
		return
	}
	if n := countObjects(body); n > h.maxObjects {
		h.fail(q.w, &Error{Status: http.StatusRequestEntityTooLarge, Title: "Too many objects",
			Description: "the envelope holds " + strconv.Itoa(n) + " objects; at most " + strconv.Itoa(h.maxObjects) + " are accepted in one request"})
		return
	}
	raws, err := decodeEnvelope(body)
	if err != nil {
		h.fail(q.w, &Error{Status: http.StatusUnprocessableEntity, Title: "Unprocessable content", Description: err.Error()})
		return
	}
	ctx := q.r.Context()
	now := h.clock()
	// The filter check of every object of the envelope is decided as of the request's
	// start (see bind), as a GET is.
	bound, err := h.bind(ctx, c, now)
	if err != nil {
		h.storeFailed(q, err)
		return
	}
	rec := StatusRecord{Root: q.root.path, Owner: owner(q), Expires: now.Add(h.statusTTL)}
	p := newProgress(Status{ID: h.newID(), RequestTimestamp: FormatTime(now)}, raws, h.maxDetails)
	if !h.async {
		for _, raw := range raws {
			p.record(h.addOne(ctx, bound, now, q.sees, raw))
		}
		rec.Status = p.status()
		if err := h.statuses.PutStatus(ctx, rec); err != nil {
			h.storeFailed(q, err)
			return
		}
		h.writeJSON(q.w, http.StatusAccepted, rec.Status)
		return
	}
	// The pending status is kept before anything is written, so that a status the client
	// is told about can always be polled.
	rec.Status = p.status()
	if err := h.statuses.PutStatus(ctx, rec); err != nil {
		h.storeFailed(q, err)
		return
	}
	h.writeJSON(q.w, http.StatusAccepted, rec.Status)
	if len(raws) == 0 {
		return
	}
	// The writes outlive the request but not their own work: the goroutine ends when every
	// object is written.
	go h.addInBackground(context.WithoutCancel(ctx), bound, now, q.sees, rec, p)
}

// statusFlushEvery and statusFlushAfter bound how stale a pending status may be while
// its objects are written in the background, without one status write per object.
const (
	statusFlushEvery = 100
	statusFlushAfter = 250 * time.Millisecond
)

func (h *Handler) addInBackground(ctx context.Context, bound *filter.Bound, now time.Time, writer *access.Principal, rec StatusRecord, p *progress) {
	last := time.Now()
	for i, raw := range p.raws {
		p.record(h.addOne(ctx, bound, now, writer, raw))
		if i == len(p.raws)-1 || (i+1)%statusFlushEvery == 0 || time.Since(last) >= statusFlushAfter {
			rec.Status = p.status()
			if err := h.statuses.PutStatus(ctx, rec); err != nil {
				h.log.Error("taxii: updating a status failed", "status", rec.Status.ID, "err", err)
			}
			last = time.Now()
		}
	}
}

// countObjects returns how many elements the body's "objects" array has (0 when the body
// is not JSON or has none), without decoding them, so that an oversized envelope is
// refused before it costs memory.
func countObjects(body []byte) int {
	if !gjson.ValidBytes(body) {
		return 0
	}
	return int(gjson.GetBytes(body, "objects.#").Int())
}

// addOne parses, validates and stores one object as the writer w. Objects the
// collection's filter does not select are refused: a collection only ever gains what it
// would serve, as decided by bound, the request's bound filter (nil: none), with the
// request's time now as the record times created_at and updated_at read (the times a new
// record gets). So is what the access rule for writes refuses (see checkedPut).
func (h *Handler) addOne(ctx context.Context, bound *filter.Bound, now time.Time, w *access.Principal, raw json.RawMessage) (StatusDetail, bool) {
	d := StatusDetail{ID: gjson.GetBytes(raw, "id").String()}
	o, err := stix.Parse(raw)
	if err != nil {
		d.Message = err.Error()
		return d, false
	}
	d.Version = o.ModifiedRaw()
	if d.Version == "" {
		d.Version = o.CreatedRaw()
	}
	if err := stix.Validate(o); err != nil {
		d.Message = err.Error()
		return d, false
	}
	if bound != nil && !bound.Match(o, filter.Times{CreatedAt: now, UpdatedAt: now}) {
		d.Message = "the object does not match the collection's filters"
		return d, false
	}
	_, changed, err := h.checkedPut(ctx, w, o)
	var refused *access.WriteError
	switch {
	case errors.As(err, &refused):
		// One message for "hidden from you" and "beyond your clearance", and no version:
		// the status must not confirm anything about an object the writer may not see.
		d.Message, d.Version = access.RefusedMessage, ""
		return d, false
	case errors.Is(err, store.ErrConflict):
		d.Message = "a different object with this id and version is stored"
		return d, false
	case err != nil:
		h.log.Error("taxii: storing an object failed", "id", o.ID(), "err", err)
		d.Message = "the object could not be stored"
		return d, false
	case !changed:
		d.Message = "already stored (a duplicate or an older version)"
	}
	if d.Version == "" { // an object without versions: its version is when it was stored
		if r, err := h.store.Get(ctx, o.ID()); err == nil {
			d.Version = FormatTime(r.Updated)
		}
	}
	return d, true
}

// postable accepts the TAXII media type (version 2.1 or none), the STIX one for a bundle,
// and plain application/json.
func postable(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json":
		return true
	case "application/taxii+json", "application/stix+json":
		v, ok := params["version"]
		return !ok || v == "2.1"
	}
	return false
}

// decodeEnvelope returns the objects of a TAXII envelope or a STIX bundle: a JSON object
// whose "objects", if present, is an array of JSON objects. A "type" other than "bundle"
// is refused, so that a single STIX object is not mistaken for an empty envelope.
func decodeEnvelope(body []byte) ([]json.RawMessage, error) {
	var env struct {
		Type    *string           `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, errors.New("the body is not a TAXII envelope or a STIX bundle (a JSON object)")
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("the body is not a TAXII envelope or a STIX bundle: %v", err)
	}
	if env.Type != nil && *env.Type != "bundle" {
		return nil, fmt.Errorf("the body has type %q: send an envelope or a bundle", *env.Type)
	}
	for i, raw := range env.Objects {
		if len(raw) == 0 || raw[0] != '{' {
			return nil, fmt.Errorf("objects[%d] is not a JSON object", i)
		}
	}
	return env.Objects, nil
}

// checkedPut stores o for the writer w if the access rule for writes allows it
// (access.Visibility.CheckWrite): o within w's clearance, and the id's current version, if
// any, one w may see, whether o is newer, older or the same. The check and the write are
// one step for this handler's writers. A refusal is an *access.WriteError.
func (h *Handler) checkedPut(ctx context.Context, w *access.Principal, o *stix.Object) (store.Event, bool, error) {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	wr := access.Write{Object: o}
	cur, err := h.store.Get(ctx, o.ID())
	switch {
	case err == nil:
		wr.Current = cur.Object
	case !errors.Is(err, store.ErrNotFound):
		return store.Event{}, false, err
	}
	if err := h.vis.CheckWrite(ctx, w, wr, store.Lookup{From: h.store}); err != nil {
		return store.Event{}, false, err
	}
	return h.store.Put(ctx, o)
}
