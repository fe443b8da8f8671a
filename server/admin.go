package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stream"
)

// CapManageStreams lets a principal create, change, stop and delete live streams through
// the admin API. The name is OpenCTI's capability for managing data sharing (streams,
// TAXII collections and CSV feeds: "Manage data sharing"); as with every capability name,
// BYPASS implies it, and it implies access.CapAccessDataSharing (TAXIIAPI), its ancestor.
const CapManageStreams access.Capability = "TAXIIAPI_SETCOLLECTIONS"

// maxDefinitionBytes bounds an admin request body: a definition is a few kilobytes.
const maxDefinitionBytes = 1 << 20

// problem is an error answer of the admin API: RFC 9457 problem details, with the fields
// at fault in errors.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []fieldProblem `json:"errors,omitempty"`
}

// fieldProblem names one member of a definition and what is wrong with it.
type fieldProblem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func writeProblem(w http.ResponseWriter, status int, detail string, fields ...fieldProblem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: detail, Errors: fields})
}

// adminDefinition is a definition as the admin API answers it: OpenCTI's stream JSON plus
// where it comes from. A definition read back can be PUT as it is (source is ignored).
type adminDefinition struct {
	stream.Definition
	// Source is "configuration" (changed only there) or "run_time".
	Source string `json:"source"`
}

func (s *Server) adminView(d stream.Definition) adminDefinition {
	src := "run_time"
	if s.defs.Configured(d.ID) {
		src = "configuration"
	}
	return adminDefinition{Definition: d, Source: src}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) mountAdmin() {
	s.mux.HandleFunc("/admin/streams", s.adminStreams)
	s.mux.HandleFunc("/admin/streams/{id}", s.adminStream)
	s.mux.HandleFunc("/admin/", func(w http.ResponseWriter, _ *http.Request) {
		writeProblem(w, http.StatusNotFound, "no such admin resource (the admin API serves /admin/streams and /admin/streams/{id})")
	})
}

// manager authenticates r and checks that the caller may manage streams, answering the
// request when not.
func (s *Server) manager(w http.ResponseWriter, r *http.Request) (*access.Principal, bool) {
	p, err := s.auth.Authenticate(r)
	switch {
	case err != nil:
		access.WriteChallenge(w)
		writeProblem(w, http.StatusUnauthorized, "credentials not accepted: "+err.Error())
		return nil, false
	case p == nil:
		access.WriteChallenge(w)
		writeProblem(w, http.StatusUnauthorized, "authentication required")
		return nil, false
	case !p.Has(CapManageStreams):
		writeProblem(w, http.StatusForbidden, "managing live streams needs the capability "+string(CapManageStreams))
		return nil, false
	}
	return p, true
}

// mayManage reports whether p may know of def: a stream limited to members p is not among
// is hidden from p, in the admin API as in the feeds.
func (s *Server) mayManage(p *access.Principal, def stream.Definition) bool {
	_, dec := access.FeedAccess{Public: def.Public, PublicPrincipal: s.plan.public, AuthorizedMembers: def.AuthorizedMembers}.Authorize(p)
	return dec != access.Hidden
}

// adminStreams serves /admin/streams: GET lists the streams the caller may know of, POST
// creates one (its id generated when the body has none).
func (s *Server) adminStreams(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeProblem(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here (GET lists, POST creates)")
		return
	}
	p, ok := s.manager(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodPost {
		s.putStream(w, r, p, "", true)
		return
	}
	defs, err := s.defs.List(r.Context())
	if err != nil {
		s.unavailable(w, "listing live-stream definitions", err)
		return
	}
	out := []adminDefinition{}
	for _, d := range defs {
		if s.mayManage(p, d) {
			out = append(out, s.adminView(d))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// adminStream serves /admin/streams/{id}: GET, PUT (create or replace), DELETE.
func (s *Server) adminStream(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodPut, http.MethodDelete:
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		writeProblem(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here (GET, PUT, DELETE)")
		return
	}
	p, ok := s.manager(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if r.Method == http.MethodPut {
		s.putStream(w, r, p, id, false)
		return
	}
	def, err := s.defs.Get(r.Context(), id)
	switch {
	case errors.Is(err, stream.ErrUnknownStream) || err == nil && !s.mayManage(p, def):
		writeProblem(w, http.StatusNotFound, "no such stream")
		return
	case err != nil:
		s.unavailable(w, "reading a live-stream definition", err)
		return
	}
	if r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, s.adminView(def))
		return
	}
	switch err := s.defs.Delete(r.Context(), id); {
	case errors.Is(err, ErrConfiguredStream):
		writeProblem(w, http.StatusConflict, "this stream is defined by the configuration; remove it there", fieldProblem{"id", err.Error()})
	case errors.Is(err, stream.ErrUnknownStream):
		writeProblem(w, http.StatusNotFound, "no such stream")
	case err != nil:
		s.unavailable(w, "deleting a live-stream definition", err)
	default:
		s.log.Info("live stream deleted", "stream", id, "by", p.Name)
		w.WriteHeader(http.StatusNoContent)
	}
}

// putStream creates (POST, or PUT of a new id) or replaces (PUT) the stream the request
// body defines. id is the path's id ("" for POST).
func (s *Server) putStream(w http.ResponseWriter, r *http.Request, p *access.Principal, id string, post bool) {
	// Required, not assumed: a cross-site form or no-cors fetch cannot send it without a
	// CORS preflight, so a browser's cached Basic credentials cannot be used to define streams.
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		writeProblem(w, http.StatusUnsupportedMediaType, "send the definition with Content-Type: application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDefinitionBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a definition is at most %d bytes", maxDefinitionBytes))
		return
	case err != nil:
		writeProblem(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	def, fields := decodeStream(body)
	switch {
	case fields != nil:
	case post && def.ID == "":
		def.ID = uuid.NewString()
	case !post && def.ID == "":
		def.ID = id
	case !post && def.ID != id:
		fields = append(fields, fieldProblem{"id", fmt.Sprintf("%q differs from the id in the path, %q", def.ID, id)})
	}
	if fields == nil {
		fields = fieldProblems(validateStream(def))
	}
	if fields != nil {
		writeProblem(w, http.StatusBadRequest, "invalid stream definition", fields...)
		return
	}
	old, err := s.defs.Get(r.Context(), def.ID)
	switch {
	case errors.Is(err, stream.ErrUnknownStream):
	case err != nil:
		s.unavailable(w, "reading a live-stream definition", err)
		return
	case post:
		writeProblem(w, http.StatusConflict, "a stream with this id exists; PUT /admin/streams/{id} replaces it", fieldProblem{"id", "taken"})
		return
	case !s.mayManage(p, old):
		// Not 404: a PUT of an unknown id creates it, so refuse without replacing.
		writeProblem(w, http.StatusForbidden, "you may not change this stream", fieldProblem{"id", "taken by a stream you may not manage"})
		return
	}
	if def.Public && !s.coversPublic(p) {
		writeProblem(w, http.StatusForbidden, "a public stream would give you more than you may see",
			fieldProblem{"stream_public", "anonymous consumers get the public clearance, which allows markings yours does not"})
		return
	}
	created, err := s.defs.Put(r.Context(), def)
	switch {
	case errors.Is(err, ErrConfiguredStream):
		writeProblem(w, http.StatusConflict, "this stream is defined by the configuration; change it there", fieldProblem{"id", err.Error()})
		return
	case errors.Is(err, stream.ErrInvalid):
		writeProblem(w, http.StatusBadRequest, "invalid stream definition", fieldProblems(err)...)
		return
	case err != nil:
		s.unavailable(w, "storing a live-stream definition", err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/admin/streams/"+url.PathEscape(def.ID))
	}
	s.log.Info("live stream defined", "stream", def.ID, "live", def.Live, "public", def.Public, "created", created, "by", p.Name)
	writeJSON(w, status, s.adminView(def))
}

// unavailable answers a failure of the definitions' store: not the caller's mistake.
func (s *Server) unavailable(w http.ResponseWriter, what string, err error) {
	s.log.Error(what+" failed", "err", err)
	writeProblem(w, http.StatusServiceUnavailable, what+" failed; retry later")
}

// decodeStream decodes a definition from the admin API's body: a JSON object in OpenCTI's
// stream form. Filters may be given as an object or, as OpenCTI stores them, as a string
// holding the JSON. Members it does not know are ignored (OpenCTI exports more). A member
// that does not decode is named; a body that is not valid UTF-8 is refused whole.
func decodeStream(body []byte) (stream.Definition, []fieldProblem) {
	if !utf8.Valid(body) { // RFC 8259; encoding/json would keep or replace bad bytes silently
		return stream.Definition{}, []fieldProblem{{"definition", "the body is not valid UTF-8"}}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		detail := "the body is not a JSON object"
		if err != nil {
			detail += ": " + err.Error()
		}
		return stream.Definition{}, []fieldProblem{{"definition", detail}}
	}
	if f, ok := m["filters"]; ok && len(f) > 0 && f[0] == '"' {
		var inner string
		if err := json.Unmarshal(f, &inner); err == nil {
			m["filters"] = json.RawMessage(inner)
			if strings.TrimSpace(inner) == "" {
				m["filters"] = json.RawMessage("null")
			}
		}
	}
	var def stream.Definition
	var fields []fieldProblem
	for k, v := range m { // one member at a time, so that an error names its member
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		if err := json.Unmarshal(one, &def); err != nil {
			fields = append(fields, fieldProblem{k, err.Error()})
		}
	}
	sortFields(fields)
	return def, fields
}

// fieldProblems turns the joined stream.FieldErrors of a validation into field problems.
func fieldProblems(err error) []fieldProblem {
	if err == nil {
		return nil
	}
	var out []fieldProblem
	var walk func(error)
	walk = func(err error) {
		var fe *stream.FieldError
		switch j, ok := err.(interface{ Unwrap() []error }); {
		case errors.As(err, &fe) && err == error(fe):
			out = append(out, fieldProblem{fe.Field, fe.Err.Error()})
		case ok:
			for _, e := range j.Unwrap() {
				walk(e)
			}
		default:
			out = append(out, fieldProblem{"definition", err.Error()})
		}
	}
	walk(err)
	sortFields(out)
	return out
}

// sortFields orders problems by field, so that an answer does not depend on map order.
func sortFields(f []fieldProblem) {
	slices.SortStableFunc(f, func(a, b fieldProblem) int { return strings.Compare(a.Field, b.Field) })
}
