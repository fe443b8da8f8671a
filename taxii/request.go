package taxii

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/ctifeed/ctifeed/access"
)

// request is one request being served, with what has been decided about it so far.
type request struct {
	h         *Handler
	w         http.ResponseWriter
	r         *http.Request
	principal *access.Principal // nil when anonymous
	root      *root
	sees      *access.Principal // whom objects are shown as, once a collection authorized
}

// method checks the request method, answering 405 when it is not among allowed.
func (q *request) method(allowed ...string) bool {
	m := q.r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	for _, a := range allowed {
		if m == a {
			return true
		}
	}
	q.w.Header().Set("Allow", strings.Join(allowed, ", "))
	q.h.fail(q.w, &Error{Status: http.StatusMethodNotAllowed, Title: "Method not allowed",
		Description: q.r.Method + " is not allowed on this resource"})
	return false
}

// authenticate returns the caller's principal (nil when anonymous), answering 401 itself
// for credentials that are wrong.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*access.Principal, bool) {
	if h.auth == nil {
		return nil, true
	}
	p, err := h.auth.Authenticate(r)
	switch {
	case errors.Is(err, access.ErrInvalidCredentials):
		access.WriteChallenge(w)
		h.fail(w, &Error{Status: http.StatusUnauthorized, Title: "Unauthorized", Description: "the credentials are not valid"})
		return nil, false
	case err != nil:
		h.log.Error("taxii: authentication failed", "err", err)
		h.fail(w, &Error{Status: http.StatusServiceUnavailable, Title: "Service unavailable", Description: "authentication is unavailable; retry later"})
		return nil, false
	}
	return p, true
}

// collection finds the collection named by id or alias and applies its access policy,
// answering the request itself when the caller may not use it. A collection the caller
// may not know of answers 404, exactly as one that does not exist.
func (q *request) collection(idOrAlias string) (*collection, bool) {
	for _, c := range q.root.colls {
		if c.ID != idOrAlias && (c.Alias == "" || c.Alias != idOrAlias) {
			continue
		}
		p, d := c.Access.Authorize(q.principal)
		switch d.Status() {
		case http.StatusOK:
			q.sees = p
			return c, true
		case http.StatusUnauthorized:
			access.WriteChallenge(q.w)
			q.h.fail(q.w, &Error{Status: http.StatusUnauthorized, Title: "Unauthorized", Description: "this collection requires authentication"})
		case http.StatusNotFound:
			q.h.fail(q.w, errNotFound("no such collection"))
		default:
			q.h.fail(q.w, errForbidden("you may not use this collection"))
		}
		return nil, false
	}
	q.h.fail(q.w, errNotFound("no such collection"))
	return nil, false
}

func errNotFound(desc string) *Error {
	return &Error{Status: http.StatusNotFound, Title: "Not found", Description: desc}
}

func errForbidden(desc string) *Error {
	return &Error{Status: http.StatusForbidden, Title: "Forbidden", Description: desc}
}

func errNotAcceptable() *Error {
	return &Error{Status: http.StatusNotAcceptable, Title: "Not acceptable",
		Description: "the server answers with " + MediaType}
}

// errParam is the 400 answer for a malformed or unsupported query parameter; it names the
// parameter in its description and in details.parameter.
func errParam(name, why string) *Error {
	return &Error{Status: http.StatusBadRequest, Title: "Bad request", Description: name + ": " + why,
		Details: map[string]string{"parameter": name}}
}

func errInternal() *Error {
	return &Error{Status: http.StatusInternalServerError, Title: "Internal error", Description: "the request could not be completed"}
}

// fail writes e as the response. Content-Type is set by ServeHTTP for every response.
func (h *Handler) fail(w http.ResponseWriter, e *Error) {
	e.HTTPStatus = strconv.Itoa(e.Status)
	h.writeJSON(w, e.Status, e)
}

// storeFailed logs a store error and answers 500 (or 503 when the request was cancelled).
func (h *Handler) storeFailed(q *request, err error) {
	if q.r.Context().Err() != nil {
		h.fail(q.w, &Error{Status: http.StatusServiceUnavailable, Title: "Service unavailable", Description: "the request was cancelled"})
		return
	}
	h.log.Error("taxii: store failed", "path", q.r.URL.Path, "err", err)
	h.fail(q.w, errInternal())
}

func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		h.log.Error("taxii: encoding a response failed", "err", err)
		status = http.StatusInternalServerError
		b.Reset()
		b.WriteString(`{"title":"Internal error","http_status":"500"}`)
	}
	w.WriteHeader(status)
	w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// acceptable reports whether the Accept header values admit a TAXII 2.1 answer:
// application/taxii+json with version 2.1 or no version, application/json, application/*
// or */* (OpenCTI's own ingester sends "application/json, text/plain, */*"). No Accept
// header accepts anything. A range with q=0 is refused.
func acceptable(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			switch mt {
			case "*/*", "application/*", "application/json":
				return true
			case "application/taxii+json":
				if ver, ok := params["version"]; !ok || ver == "2.1" {
					return true
				}
			}
		}
	}
	return false
}
