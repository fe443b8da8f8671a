package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limits are the per-request protections in front of the feeds.
type limits struct {
	cfg        HTTPConfig
	auth       *authenticator
	throttle   *throttle
	m          *metrics
	log        *slog.Logger
	accessLog  bool
	mu         sync.Mutex
	streamsPer map[string]int
}

// wrap puts the protections, CORS, metrics and the access log around next.
func (l *limits) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		feed, endpoint := classify(r.URL.Path)
		// Live streams (and the raw platform stream, /stream asked as Server-Sent Events)
		// never finish by themselves: no write deadline, no latency histogram, and a cap.
		live := feed == "stream" && r.Method == http.MethodGet &&
			(endpoint == "stream" || strings.Contains(r.Header.Get("Accept"), "text/event-stream"))
		rw := &recorder{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			code := strconv.Itoa(rw.code)
			l.m.requests.WithLabelValues(feed, endpoint, code).Inc()
			if !live {
				l.m.requestSeconds.WithLabelValues(feed, endpoint).Observe(time.Since(start).Seconds())
			}
			if l.accessLog {
				l.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rw.code,
					"bytes", rw.bytes, "duration", time.Since(start), "client", clientAddr(r), "feed", feed)
			}
		}()
		if !l.cors(rw, r) {
			return
		}
		if blocked, wait := l.throttled(r); blocked {
			l.m.rejected.WithLabelValues("auth_throttle").Inc()
			tooMany(rw, wait, "too many failed authentications from this address; retry later")
			return
		}
		rc := http.NewResponseController(rw)
		if !live && l.cfg.WriteTimeout > 0 {
			_ = rc.SetWriteDeadline(time.Now().Add(l.cfg.WriteTimeout))
		}
		if hasBody(r) && l.cfg.BodyTimeout > 0 {
			// The deadline covers the body only: once it is read, it is lifted, so that a
			// slow answer is not cut by the read side.
			_ = rc.SetReadDeadline(time.Now().Add(l.cfg.BodyTimeout))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, m: l.m}
		}
		if live {
			release, ok := l.acquireStream(r)
			if !ok {
				l.m.rejected.WithLabelValues("streams").Inc()
				tooMany(rw, l.cfg.RetryAfter, "too many live streams open for this caller; retry later")
				return
			}
			defer release()
		}
		next.ServeHTTP(rw, r)
	})
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// throttled reports whether r carries credentials from an address that used up its
// failed authentications. Requests without credentials are not throttled.
func (l *limits) throttled(r *http.Request) (bool, time.Duration) {
	if l.throttle == nil || (r.Header.Get("Authorization") == "" && r.Header.Get("X-Apikey") == "") {
		return false, 0
	}
	return l.throttle.blocked(clientAddr(r))
}

// acquireStream counts a live-stream connection against its caller: the user, or for
// an anonymous or unauthenticated caller, the client address.
func (l *limits) acquireStream(r *http.Request) (release func(), ok bool) {
	if l.cfg.MaxStreamsPerPrincipal < 0 {
		return func() {}, true
	}
	key := "addr:" + clientAddr(r)
	if name := l.auth.identify(r); name != "" {
		key = "user:" + name
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.streamsPer[key] >= l.cfg.MaxStreamsPerPrincipal {
		return nil, false
	}
	l.streamsPer[key]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.streamsPer[key]--; l.streamsPer[key] == 0 {
			delete(l.streamsPer, key)
		}
	}, true
}

func tooMany(w http.ResponseWriter, wait time.Duration, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
	http.Error(w, msg, http.StatusTooManyRequests)
}

// cors answers preflights and marks responses for allowed origins; it returns false when
// the request was answered.
func (l *limits) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(l.cfg.CORSOrigins) == 0 {
		return true
	}
	allowed := slices.Contains(l.cfg.CORSOrigins, "*") || slices.Contains(l.cfg.CORSOrigins, origin)
	h := w.Header()
	h.Add("Vary", "Origin")
	if !allowed {
		return true // no CORS headers: the browser refuses the answer
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", "Retry-After, X-TAXII-Date-Added-First, X-TAXII-Date-Added-Last, Last-Event-ID")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS") // PUT: the admin API
		h.Set("Access-Control-Allow-Headers", "Authorization, Accept, Content-Type, Last-Event-ID, x-apikey")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	return true
}

// deadlineBody lifts the read deadline once the body is read.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	m    *metrics
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
		if isTimeout(err) {
			b.m.rejected.WithLabelValues("body_timeout").Inc()
		}
	}
	return n, err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// recorder keeps the status and size of a response. It passes Flush and the
// ResponseController's methods on (Unwrap).
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
	wrote bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	r.wrote = true
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// classify names a request's feed and endpoint for metrics, with a bounded set of values.
func classify(path string) (feed, endpoint string) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case seg[0] == "stream":
		if len(seg) == 1 {
			return "stream", "list"
		}
		return "stream", "stream"
	case seg[0] == "admin":
		if len(seg) > 1 && seg[1] == "streams" {
			return "admin", "streams"
		}
		return "admin", "other"
	case seg[0] == "feeds":
		return "csv", "feed"
	case seg[0] == "api" && len(seg) > 2 && seg[1] == "v3":
		if seg[2] == "ioc_stream" || seg[2] == "ioc_stream_notifications" {
			return "ioc", seg[2]
		}
		return "ioc", "other" // a label per path segment would be unbounded
	case seg[0] == "healthz" || seg[0] == "readyz" || seg[0] == "metrics" || seg[0] == "debug":
		return "ops", seg[0]
	case seg[0] == "taxii2" && len(seg) == 1:
		return "taxii", "discovery"
	}
	// A TAXII API root: /{root}/..., where root may have several segments.
	for i, s := range seg {
		switch s {
		case "collections":
			rest := seg[i+1:]
			switch {
			case len(rest) <= 1:
				return "taxii", map[bool]string{true: "collections", false: "collection"}[len(rest) == 0]
			case rest[1] == "manifest":
				return "taxii", "manifest"
			case rest[1] == "objects" && len(rest) == 2:
				return "taxii", "objects"
			case rest[1] == "objects" && len(rest) == 3:
				return "taxii", "object"
			case rest[1] == "objects":
				return "taxii", "versions"
			}
			return "taxii", "other"
		case "status":
			return "taxii", "status"
		}
	}
	return "other", "other"
}
