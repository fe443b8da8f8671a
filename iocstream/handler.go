package iocstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ctifeed/ctifeed/access"
)

// DefaultPrefix is where VirusTotal serves its API.
const DefaultPrefix = "/api/v3"

// DefaultMaxBodyBytes bounds request bodies; no endpoint reads one.
const DefaultMaxBodyBytes = 64 << 10

// HandlerOptions configure [NewHandler]. The zero value serves an empty in-memory stream
// at /api/v3 to nobody: without an Authenticator every caller is anonymous, and a feed
// that is not Public turns anonymous callers away.
type HandlerOptions struct {
	// Store holds the notifications (default: a new MemStore, see [Handler.Store]).
	// All callers allowed by Access share it, deletions included.
	Store Store
	// Prefix is the path before /ioc_stream (default "/api/v3"; "/" for none).
	Prefix string
	// Authenticator turns a request's credentials (VirusTotal clients send the x-apikey
	// header) into a principal. Nil treats every request as anonymous.
	Authenticator access.Authenticator
	// Access decides who may use the stream.
	Access access.FeedAccess
	// BaseURL is the scheme and host that links start with, such as
	// "https://feeds.example.com", for a handler behind a proxy. Default: the request's
	// own, http or https and its Host header. VirusTotal's Go client needs absolute links.
	BaseURL string
	// ReadOnly refuses deletions with 403.
	ReadOnly bool
	// MaxBodyBytes refuses requests declaring a longer body with 413 (default 64 KiB).
	MaxBodyBytes int64
	// Logger receives store failures, which callers see only as a TransientError
	// (default: none).
	Logger *slog.Logger
}

// Handler serves the IoC stream over HTTP with VirusTotal's API v3 paths, parameters,
// response shapes and error objects:
//
//	GET    {prefix}/ioc_stream?filter=&limit=&cursor=&descriptors_only=&order=
//	DELETE {prefix}/ioc_stream?filter=
//	GET    {prefix}/ioc_stream_notifications/{id}
//	DELETE {prefix}/ioc_stream_notifications/{id}
//
// A limit above 40 is refused with 400, as VirusTotal does ("Limit can't be larger than
// 40"). The cursor in meta.cursor may be sent back with the same filter (VirusTotal's
// Python client) or links.next followed as it is (its Go client). Successful deletions
// answer 200 with an empty body, as VirusTotal does. Errors are VirusTotal error objects
// with its codes and statuses; for a wrong method (405 MethodNotAllowedError) and an
// oversized body (413 PayloadTooLargeError), where VirusTotal documents no code, the
// codes are this package's. A Handler is safe for concurrent use.
type Handler struct {
	store    Store
	prefix   string
	auth     access.Authenticator
	access   access.FeedAccess
	baseURL  string
	readOnly bool
	maxBody  int64
	log      *slog.Logger
}

// NewHandler returns a handler; opts may be nil.
func NewHandler(opts *HandlerOptions) *Handler {
	var o HandlerOptions
	if opts != nil {
		o = *opts
	}
	h := &Handler{store: o.Store, auth: o.Authenticator, access: o.Access, readOnly: o.ReadOnly,
		maxBody: o.MaxBodyBytes, log: o.Logger, baseURL: strings.TrimSuffix(o.BaseURL, "/")}
	if h.store == nil {
		h.store = NewMemStore(nil)
	}
	switch o.Prefix {
	case "":
		h.prefix = DefaultPrefix
	case "/":
		h.prefix = ""
	default:
		h.prefix = "/" + strings.Trim(o.Prefix, "/")
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Store returns the store the handler serves, so that a host can add notifications to
// the default one.
func (h *Handler) Store() Store { return h.store }

const (
	streamPath       = "/ioc_stream"
	notificationPath = "/ioc_stream_notifications/"
)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	id, isNotification := strings.CutPrefix(rest, notificationPath)
	if !ok || (rest != streamPath && (!isNotification || id == "" || strings.Contains(id, "/"))) {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Resource %q not found", r.URL.Path))
		return
	}
	if !h.authorize(w, r) {
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet // net/http drops the body
	}
	if method != http.MethodGet && method != http.MethodDelete {
		w.Header().Set("Allow", "GET, HEAD, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowedError", fmt.Sprintf("Method %s is not allowed here", r.Method))
		return
	}
	if r.ContentLength > h.maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeError", fmt.Sprintf("Request body larger than %d bytes", h.maxBody))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	if method == http.MethodDelete && h.readOnly {
		writeError(w, http.StatusForbidden, "ForbiddenError", "This stream is read-only")
		return
	}
	switch {
	case rest == streamPath && method == http.MethodGet:
		h.list(w, r)
	case rest == streamPath:
		h.deleteMatching(w, r)
	case method == http.MethodGet:
		h.get(w, r, id)
	default:
		h.delete(w, r, id)
	}
}

// authorize authenticates the caller and applies the feed's access rule, answering the
// request itself when the caller may not go on.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) bool {
	var p *access.Principal
	if h.auth != nil {
		var err error
		p, err = h.auth.Authenticate(r)
		switch {
		case errors.Is(err, access.ErrInvalidCredentials):
			access.WriteChallenge(w)
			writeError(w, http.StatusUnauthorized, "WrongCredentialsError", "Wrong API key")
			return false
		case err != nil:
			h.log.Error("iocstream: authentication failed", "err", err)
			writeError(w, http.StatusServiceUnavailable, "TransientError", "Authentication is unavailable; retry later")
			return false
		}
	}
	_, d := h.access.Authorize(p)
	switch d.Status() {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		access.WriteChallenge(w)
		writeError(w, http.StatusUnauthorized, "AuthenticationRequiredError", "This operation requires an API key in the x-apikey header")
	case http.StatusNotFound:
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Resource %q not found", r.URL.Path))
	default:
		writeError(w, http.StatusForbidden, "ForbiddenError", "You are not allowed to perform the requested operation")
	}
	return false
}

// listParams are the query parameters links.self and links.next repeat, as sent.
var listParams = [...]string{"filter", "limit", "descriptors_only", "order"}

// query parses the request's query string and its filter, answering 400 itself when either
// is malformed.
func (h *Handler) query(w http.ResponseWriter, r *http.Request) (url.Values, *Query, bool) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "Malformed query string")
		return nil, nil, false
	}
	q, err := ParseFilter(vals.Get("filter"))
	if err != nil {
		h.fail(w, err)
		return nil, nil, false
	}
	return vals, q, true
}

// rawParam returns the first value of the parameter name as written in the raw query,
// before decoding. It proves what a client meant by order=date+ sent without encoding the
// +: decoded, that is "date ", which is no order; the only order the raw bytes can spell is
// date+, so accepting it is unambiguous. Any other spelling of "date " (date%20) is not
// accepted and gets the hint.
func rawParam(rawQuery, name string) string {
	for part := range strings.SplitSeq(rawQuery, "&") {
		if k, v, _ := strings.Cut(part, "="); k == name {
			return v
		}
	}
	return ""
}

// orderHint is the 400 message for an invalid order s; a value with a space where a + was
// meant explains the URL encoding, as the date filter's message does. At most ~100 bytes
// of s are echoed.
func orderHint(s string) string {
	shown := s
	if len(shown) > 100 {
		shown = shown[:100] + "…"
	}
	if strings.HasSuffix(s, " ") {
		return fmt.Sprintf("Invalid order %q: a + in a URL means a space; write date+ as date%%2B", shown)
	}
	return fmt.Sprintf("Invalid order %q: want date- or date+", shown)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	vals, q, ok := h.query(w, r)
	if !ok {
		return
	}
	opts := &ListOptions{Cursor: vals.Get("cursor")}
	if s := vals.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			writeError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf("Invalid limit %q", s))
			return
		case n > MaxLimit:
			writeError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf("Limit can't be larger than %d", MaxLimit))
			return
		case n < 1:
			writeError(w, http.StatusBadRequest, "BadRequestError", "Limit must be at least 1")
			return
		}
		opts.Limit = n
	}
	var err error
	descriptorsOnly := false
	if s := vals.Get("descriptors_only"); s != "" {
		if descriptorsOnly, err = strconv.ParseBool(s); err != nil {
			writeError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf("Invalid descriptors_only %q: want true or false", s))
			return
		}
	}
	if s := vals.Get("order"); s != "" {
		if s == "date " && rawParam(r.URL.RawQuery, "order") == "date+" {
			s = string(OrderOldest) // see rawParam: the client wrote date+ itself
			vals.Set("order", s)    // so that links repeat it encoded
		}
		if opts.Order, err = ParseOrder(s); err != nil {
			writeError(w, http.StatusBadRequest, "BadRequestError", orderHint(s))
			return
		}
	}
	page, err := List(r.Context(), h.store, q, opts)
	if err != nil {
		h.fail(w, err)
		return
	}
	resp := listResponse{Data: make([]streamObject, 0, len(page.Notifications))}
	for _, n := range page.Notifications {
		resp.Data = append(resp.Data, toStreamObject(n, descriptorsOnly))
	}
	repeat := url.Values{}
	for _, k := range listParams {
		if vs, ok := vals[k]; ok {
			repeat.Set(k, vs[0])
		}
	}
	self := h.link(r, streamPath, repeat, opts.Cursor)
	resp.Links = listLinks{Self: self}
	if page.Cursor != "" {
		resp.Meta = &listMeta{Cursor: page.Cursor}
		resp.Links.Next = h.link(r, streamPath, repeat, page.Cursor)
	}
	h.write(w, resp)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, id string) {
	n, err := h.store.Get(r.Context(), id)
	if err != nil {
		h.fail(w, notFound(err, id))
		return
	}
	h.write(w, struct {
		Data notificationObject `json:"data"`
	}{toNotificationObject(n, h.link(r, notificationPath+id, nil, ""))})
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, id string) {
	if err := h.store.Delete(r.Context(), id); err != nil {
		h.fail(w, notFound(err, id))
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) deleteMatching(w http.ResponseWriter, r *http.Request) {
	_, q, ok := h.query(w, r)
	if !ok {
		return
	}
	if _, err := h.store.DeleteMatching(r.Context(), q); err != nil {
		h.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// link returns the absolute URL of a path under the prefix with the given parameters.
func (h *Handler) link(r *http.Request, path string, params url.Values, cursor string) string {
	base := h.baseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	u := base + h.prefix + path
	if cursor != "" {
		params = cloneValues(params)
		params.Set("cursor", cursor)
	}
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	return u
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v)+1)
	for k, vs := range v {
		c[k] = vs
	}
	return c
}

func (h *Handler) write(w http.ResponseWriter, v any) {
	if err := writeJSON(w, http.StatusOK, v); err != nil {
		h.log.Error("iocstream: writing a response", "err", err)
	}
}

// notFound replaces a store's not-found error, whose text may tell more than a caller
// should see, with VirusTotal's wording.
func notFound(err error, id string) error {
	if errors.Is(err, ErrNotFound) {
		return &notFoundError{id}
	}
	return err
}

type notFoundError struct{ id string }

func (e *notFoundError) Error() string { return fmt.Sprintf("Notification %q not found", e.id) }
func (e *notFoundError) Unwrap() error { return ErrNotFound }

// fail answers with the VirusTotal error object for err.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	var fe *FilterError
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, "BadRequestError", err.Error())
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrBadCursor):
		writeError(w, http.StatusBadRequest, "BadRequestError", strings.TrimPrefix(err.Error(), "iocstream: "))
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "NotFoundError", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "DeadlineExceededError", "The operation took too long to complete")
	case errors.Is(err, context.Canceled):
		// The client has gone; nobody reads an answer.
	default:
		h.log.Error("iocstream: store failure", "err", err)
		writeError(w, http.StatusServiceUnavailable, "TransientError", "Transient server error; retry later")
	}
}
