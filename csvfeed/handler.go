package csvfeed

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/ctifeed/ctifeed/access"
)

// HandlerOptions configure [NewHandler]. Scheduler is required.
type HandlerOptions struct {
	// Scheduler provides the feeds and their files.
	Scheduler *Scheduler
	// Prefix is the path before /feeds/{id} (default none, as OpenCTI's base path).
	Prefix string
	// Authenticator turns a request's credentials into a principal. Nil treats every
	// request as anonymous, so only public feeds can be read.
	Authenticator access.Authenticator
	// Logger receives store and authentication failures, which callers see as 503.
	Logger *slog.Logger
}

// Handler serves the latest file of each feed at OpenCTI's path:
//
//	GET|HEAD {prefix}/feeds/{id}
//
// The answer is the file as the caller's principal sees it (see [Scheduler]), with
// Content-Type text/plain; charset=utf-8 as OpenCTI sends, or text/csv (RFC 4180, with
// its header parameter) when the Accept header names text/csv and not text/plain first;
// a strong ETag (a hash of the content), Last-Modified (the generation's time) and
// Cache-Control: private, no-cache. Conditional requests (If-None-Match → 304,
// If-Modified-Since) and byte ranges are answered as net/http's ServeContent does.
//
// Access follows the feed's definition through access.FeedAccess: 401 with
// WWW-Authenticate: Basic, Bearer when credentials are missing or wrong, 403 when the
// caller may not use data sharing, and 404, exactly as for an unknown feed, when the feed
// is restricted to members the caller is not one of. With an Authenticator, an
// unauthenticated request for an unknown id is answered 401 like one for a restricted
// feed, so anonymous callers cannot probe which ids exist; the method is checked (405)
// only once access is granted, for the same reason. Before the first generation the
// answer is 503 with Retry-After. Errors are short plain-text messages. A Handler is safe
// for concurrent use.
type Handler struct {
	sched  *Scheduler
	prefix string
	auth   access.Authenticator
	log    *slog.Logger
}

// NewHandler returns a handler; it returns an error wrapping [ErrInvalid] when
// opts.Scheduler is missing.
func NewHandler(opts *HandlerOptions) (*Handler, error) {
	if opts == nil || opts.Scheduler == nil {
		return nil, fmt.Errorf("%w: a handler needs a Scheduler", ErrInvalid)
	}
	h := &Handler{sched: opts.Scheduler, auth: opts.Authenticator, log: opts.Logger}
	if p := strings.Trim(opts.Prefix, "/"); p != "" {
		h.prefix = "/" + p
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, h.prefix+"/feeds/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		plainError(w, http.StatusNotFound, "csvfeed: no feed at this path")
		return
	}
	var p *access.Principal
	if h.auth != nil {
		var err error
		p, err = h.auth.Authenticate(r)
		switch {
		case errors.Is(err, access.ErrInvalidCredentials):
			access.WriteChallenge(w)
			plainError(w, http.StatusUnauthorized, "csvfeed: invalid credentials")
			return
		case err != nil:
			h.log.Error("csvfeed: authentication failed", "err", err)
			plainError(w, http.StatusServiceUnavailable, "csvfeed: authentication is unavailable; retry later")
			return
		}
	}
	feed, ok := h.sched.Feed(rest)
	d := access.Hidden
	var runAs *access.Principal
	switch {
	case ok:
		runAs, d = feed.Access().Authorize(p)
	case p == nil && h.auth != nil:
		d = access.Unauthenticated // as for a restricted feed: ids are not revealed to anonymous callers
	}
	switch d {
	case access.Allowed:
	case access.Unauthenticated:
		access.WriteChallenge(w)
		plainError(w, http.StatusUnauthorized, "csvfeed: this feed requires authentication")
		return
	case access.Hidden:
		plainError(w, http.StatusNotFound, fmt.Sprintf("csvfeed: no feed %q", rest))
		return
	default:
		plainError(w, d.Status(), "csvfeed: you may not use this feed")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		plainError(w, http.StatusMethodNotAllowed, "csvfeed: only GET and HEAD are allowed")
		return
	}
	file, err := h.sched.File(r.Context(), rest, runAs)
	switch {
	case errors.Is(err, ErrNotGenerated):
		w.Header().Set("Retry-After", "10")
		plainError(w, http.StatusServiceUnavailable, "csvfeed: this feed has not been generated yet; retry later")
		return
	case err != nil:
		if r.Context().Err() == nil {
			h.log.Error("csvfeed: generation failed", "feed", rest, "err", err)
		}
		plainError(w, http.StatusServiceUnavailable, "csvfeed: the feed could not be generated; retry later")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType(r.Header.Values("Accept"), file.Header))
	hd.Set("ETag", file.ETag)
	hd.Set("Cache-Control", "private, no-cache")
	hd.Set("Vary", "Accept, Authorization, X-Apikey")
	hd.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", file.Generated, file.Reader())
}

// contentType picks text/csv when Accept prefers it to text/plain (by q-value, then
// order), else OpenCTI's text/plain.
func contentType(accept []string, header bool) string {
	csvQ, plainQ := -1.0, -1.0
	for _, a := range accept {
		for _, part := range strings.Split(a, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
					continue
				}
			}
			switch mt {
			case "text/csv":
				csvQ = max(csvQ, q)
			case "text/plain", "text/*", "*/*":
				plainQ = max(plainQ, q)
			}
		}
	}
	if csvQ > 0 && csvQ >= plainQ {
		if header {
			return "text/csv; charset=utf-8; header=present"
		}
		return "text/csv; charset=utf-8; header=absent"
	}
	return "text/plain; charset=utf-8"
}

func plainError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}
