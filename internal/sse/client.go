package sse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"mime"
	"net/http"
	"sync/atomic"
	"time"
)

// ErrIdleTimeout reports a connection that sent nothing (not even a comment) for
// [ClientOptions.IdleTimeout]; the client treats it as dead and reconnects.
var ErrIdleTimeout = errors.New("sse: stream idle")

// ErrNotEventStream reports a 200 response whose Content-Type is not text/event-stream; the
// specification says to fail the connection rather than retry.
var ErrNotEventStream = errors.New("sse: response is not an event stream")

// ErrTooManyFailures ends a stream after [ClientOptions.MaxFailures] consecutive failed
// connections; the error also wraps the last failure.
var ErrTooManyFailures = errors.New("sse: too many consecutive failures")

// StatusError is an HTTP response status that ends a stream: any 4xx except 408 and 429,
// and 3xx responses the HTTP client did not follow. Body holds the start of the response body.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("sse: HTTP %d %s", e.Code, http.StatusText(e.Code))
	}
	return fmt.Sprintf("sse: HTTP %d %s: %s", e.Code, http.StatusText(e.Code), e.Body)
}

// Reconnect describes a reconnection, passed to [ClientOptions.OnReconnect].
type Reconnect struct {
	// Err is why the previous connection ended or failed (io.EOF for a clean end of stream,
	// ErrIdleTimeout, a *StatusError for a 5xx/408/429, a network error).
	Err error
	// Failures counts consecutive failed attempts, this one included; 0 when the previous
	// connection had delivered events before it ended.
	Failures int
	// Delay is how long the client waits before connecting again.
	Delay time.Duration
	// LastEventID is the id the next request sends as Last-Event-ID.
	LastEventID string
}

// ClientOptions configures a [Client]. A nil *ClientOptions means the defaults.
type ClientOptions struct {
	// HTTPClient sends the requests; nil means http.DefaultClient. Its Timeout must be zero
	// (a timeout would cut every long-lived stream).
	HTTPClient *http.Client
	// Header, if set, is called before each request to add headers (authentication); an
	// error from it ends the stream.
	Header func(ctx context.Context, h http.Header) error
	// LastEventID is sent as Last-Event-ID on the first request (resume point).
	LastEventID string
	// MinBackoff and MaxBackoff bound the wait between attempts, which doubles with each
	// consecutive failure and is jittered to between half and all of its value. Defaults:
	// 1 s and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// IgnoreServerRetry disables honouring the server's retry field, which otherwise replaces
	// MinBackoff as the base wait (and may exceed MaxBackoff).
	IgnoreServerRetry bool
	// MaxFailures ends the stream with ErrTooManyFailures after that many consecutive failed
	// attempts (a connection that delivers an event resets the count); 0 means never.
	MaxFailures int
	// IdleTimeout is how long the server may stay silent before the connection is considered
	// dead and replaced; 0 means 45 s (what OpenCTI's Python client uses), negative disables.
	IdleTimeout time.Duration
	// Reader bounds the parser (nil means defaults); its LastEventID is ignored.
	Reader *ReaderOptions
	// OnReconnect, if set, is called (on the iterating goroutine) before each wait.
	OnReconnect func(Reconnect)
	// StartID, if set, is offered every event dispatched while no last event id is in
	// force (none was given and the stream has set none); when it returns ok, id becomes
	// the last event id, as if the event had carried it. A server that reports where a
	// stream started in a frame without an id (OpenCTI's connected frame) lets a client
	// that cannot resume from anything else resume from there.
	StartID func(ev Event) (id string, ok bool)
}

// Client consumes event streams, reconnecting as needed. It is safe for concurrent use; each
// Stream call is independent.
type Client struct {
	opts ClientOptions
}

// NewClient returns a Client with the given options.
func NewClient(opts *ClientOptions) *Client {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 45 * time.Second
	}
	return &Client{opts: o}
}

// Stream connects to url with GET and yields the events it receives, reconnecting after
// network errors, end of stream, idle timeouts and 5xx/408/429 responses, each time sending the
// last event id received as Last-Event-ID, so that a server which resumes correctly delivers
// every event once.
//
// Errors are yielded once, with a zero Event, and end the iteration: a *StatusError for other
// non-200 statuses (401, 403, 404, 410, …), ErrNotEventStream, ErrTooManyFailures, an
// error from ClientOptions.Header, a parse error (ErrTooLarge), or ctx.Err() when ctx ends.
// A 204 No Content ends the iteration without an error (the server asks not to reconnect).
// Stopping the iteration or cancelling ctx closes the connection; no goroutine is left.
func (c *Client) Stream(ctx context.Context, url string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		s := &session{c: c, url: url, lastID: c.opts.LastEventID}
		failures := 0
		for {
			delivered, err := s.connect(ctx, yield)
			switch {
			case errors.Is(err, errStop), errors.Is(err, errNoContent):
				return
			case ctx.Err() != nil:
				yield(Event{}, ctx.Err())
				return
			case !retryable(err):
				if err != nil {
					yield(Event{}, err)
				}
				return
			}
			if delivered {
				failures = 0
			} else {
				failures++
			}
			if c.opts.MaxFailures > 0 && failures >= c.opts.MaxFailures {
				yield(Event{}, fmt.Errorf("%w (%d): %w", ErrTooManyFailures, failures, err))
				return
			}
			delay := s.backoff(max(failures, 1))
			if c.opts.OnReconnect != nil {
				c.opts.OnReconnect(Reconnect{Err: err, Failures: failures, Delay: delay, LastEventID: s.lastID})
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				yield(Event{}, ctx.Err())
				return
			case <-t.C:
			}
		}
	}
}

// errStop is the consumer stopping the iteration.
var errStop = errors.New("sse: consumer stopped")

// errNoContent is a 204 response: stop without an error.
var errNoContent = errors.New("sse: no content")

// retryable reports whether a connection's end calls for another attempt.
func retryable(err error) bool {
	var se *StatusError
	switch {
	case err == nil, errors.Is(err, errNoContent), errors.Is(err, ErrNotEventStream),
		errors.Is(err, ErrTooLarge), errors.Is(err, errRequest):
		return false
	case errors.As(err, &se):
		return se.Code >= 500 || se.Code == http.StatusTooManyRequests || se.Code == http.StatusRequestTimeout
	}
	return true
}

// errRequest marks failures to build a request (a bad URL, a Header callback error), which retrying cannot fix.
var errRequest = errors.New("sse: request")

// session is the state one Stream call carries across connections.
type session struct {
	c      *Client
	url    string
	lastID string
	retry  time.Duration // from the server's retry field
}

func (s *session) backoff(failures int) time.Duration {
	base, ceiling := s.c.opts.MinBackoff, s.c.opts.MaxBackoff
	if s.retry > 0 && !s.c.opts.IgnoreServerRetry {
		base, ceiling = s.retry, max(ceiling, s.retry)
	}
	d := base
	for i := 1; i < failures && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + rand.N(d/2+1)
}

// connect runs one connection until it ends; delivered reports whether it yielded an event.
// It returns errStop when the consumer stopped, io.EOF when the server closed the stream.
func (s *session) connect(ctx context.Context, yield func(Event, error) bool) (delivered bool, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, s.url, nil)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errRequest, err) // a bad URL never gets better
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if s.lastID != "" {
		req.Header.Set("Last-Event-ID", s.lastID)
	}
	if h := s.c.opts.Header; h != nil {
		if err := h(ctx, req.Header); err != nil {
			return false, fmt.Errorf("%w: %w", errRequest, err)
		}
	}
	resp, err := s.c.opts.HTTPClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNoContent:
		return false, errNoContent
	case resp.StatusCode != http.StatusOK:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return false, &StatusError{Code: resp.StatusCode, Body: string(body)}
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return false, fmt.Errorf("%w: Content-Type %q", ErrNotEventStream, resp.Header.Get("Content-Type"))
	}

	var body io.Reader = resp.Body
	var idle *idleReader
	if s.c.opts.IdleTimeout > 0 {
		idle = &idleReader{r: resp.Body, timeout: s.c.opts.IdleTimeout}
		idle.timer = time.AfterFunc(time.Hour, func() { idle.fired.Store(true); cancel() })
		idle.timer.Stop()
		defer idle.timer.Stop()
		body = idle
	}
	var ro ReaderOptions
	if s.c.opts.Reader != nil {
		ro = *s.c.opts.Reader
	}
	ro.LastEventID = s.lastID
	r := NewReader(body, &ro)
	for {
		ev, err := r.Next()
		s.lastID = r.LastEventID() // an id in a block without data still moves the resume point
		if err == nil && s.lastID == "" && s.c.opts.StartID != nil {
			if id, ok := s.c.opts.StartID(ev); ok && validField(id) {
				r.setLastEventID(id)
				s.lastID, ev.ID = id, id
			}
		}
		if rt := r.Retry(); rt > 0 {
			s.retry = rt
		}
		if err != nil {
			if idle != nil && idle.fired.Load() && ctx.Err() == nil {
				err = ErrIdleTimeout
			}
			return delivered, err
		}
		delivered = true
		if !yield(ev, nil) {
			return delivered, errStop
		}
	}
}

// idleReader fails a connection whose server stays silent too long. The timer runs only while
// a Read waits, so a consumer slow to handle events is not mistaken for a dead server.
type idleReader struct {
	r       io.Reader
	timeout time.Duration
	timer   *time.Timer
	fired   atomic.Bool
}

func (ir *idleReader) Read(p []byte) (int, error) {
	ir.timer.Reset(ir.timeout)
	n, err := ir.r.Read(p)
	ir.timer.Stop()
	return n, err
}
