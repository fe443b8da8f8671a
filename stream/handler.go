package stream

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/internal/sse"
	"github.com/ctifeed/ctifeed/store"
)

// Source is what a [Handler] reads: objects (for dependencies), scans (for recovery
// snapshots) and the change log. A [store.Store] is one.
type Source interface {
	store.Reader
	store.History
	store.Scanner
	store.Log
}

// Defaults of [HandlerOptions].
const (
	DefaultHeartbeat    = 5 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	DefaultBatchSize    = 256
)

// HandlerOptions configure [NewHandler]. Store is required; everything else has a default.
type HandlerOptions struct {
	// Store is where objects and the change log are read.
	Store Source
	// Streams looks stream definitions up by id (nil: no stream exists, every request 404).
	Streams Definitions
	// Prefix is the path before /stream (default: none, so streams are at /stream/{id}).
	Prefix string
	// Authenticator turns a request's credentials into a principal. Nil treats every
	// request as anonymous, which only public streams serve.
	Authenticator access.Authenticator
	// Visibility decides which objects a principal sees (default: TLP markings only, no
	// organization segregation).
	Visibility *access.Visibility
	// PublicPrincipal is whom anonymous requests to public streams run as (see
	// access.FeedAccess.PublicPrincipal).
	PublicPrincipal *access.Principal
	// FilterOptions compile the streams' filters (host-defined filter keys).
	FilterOptions *filter.CompileOptions
	// Heartbeat is the interval of heartbeat frames on an idle connection and of the checks
	// that the stream still exists, is live and the caller may still use it (default 5 s).
	Heartbeat time.Duration
	// WriteTimeout bounds each write to a consumer; a consumer that does not read for that
	// long is disconnected (default 30 s).
	WriteTimeout time.Duration
	// BatchSize is how many log events a connection reads at once (default 256); with the
	// frames of one event it bounds a connection's memory.
	BatchSize int
	// Logger receives failures the consumer sees only as a closed stream (default: none).
	Logger *slog.Logger
	// Clock drives the subscribers' sent-objects caches (default time.Now).
	Clock func() time.Time
	// Observer, if set, watches connections (see [Observer]); nil costs nothing.
	Observer Observer
	// Share is the memo of planned, encoded groups the connections share (see [Share]):
	// nil gives the handler its own, with the default bounds. Give several handlers of one
	// store the same Share to share across them too.
	Share *Share
	// MaxLag, if positive, cuts a connection that has fallen behind the log by more than
	// MaxLag at two consecutive checks (Heartbeat intervals) and further behind at the
	// second (see the Handler's "Slow consumers"). Zero: never.
	MaxLag time.Duration
	// NoShare turns sharing off: every connection plans and encodes every event itself
	// (for comparison, or to trade CPU for the Share's memory).
	NoShare bool
}

// Handler serves live streams as OpenCTI does (docs/live-streams.md §2):
//
//	GET {prefix}/stream        the streams the caller may use, as a JSON array; asked with
//	                           Accept: text/event-stream, the raw platform stream (below)
//	GET {prefix}/stream/{id}   the stream, as Server-Sent Events
//
// # Access
//
// A stream is public (no credentials needed) or restricted to principals with
// access.CapAccessDataSharing, optionally only its authorized members
// ([access.FeedAccess.Authorize]). Answers: 401 with WWW-Authenticate for missing or wrong
// credentials on a restricted stream, 403 for a caller who may not use data sharing, 404
// for an unknown stream or one the caller may not know of, 410 for a stopped stream (Live
// false), 400 naming a malformed parameter, 405 for another method. Errors are plain text.
//
// # The raw stream
//
// OpenCTI serves its platform-wide live stream at /stream, and its Python client connects
// there when no live stream id is configured. A request to {prefix}/stream whose Accept
// header names text/event-stream (as EventSource and OpenCTI's clients send it) gets that
// raw stream: every event of the log, no filters, with dependencies, with the same
// parameters, frames and resume semantics as a live stream. Only a principal holding
// access.CapBypass may read it (OpenCTI restricts it the same way): 401 without
// credentials, 403 without the capability; it is re-checked at every heartbeat. Any other
// Accept (application/json, */*, none) keeps getting the list of streams.
//
// # Frames
//
// The response opens with a connected frame (no id; data: [Connected]). Each log event
// yields the messages of [Subscriber.Process], one frame each, named by the message type
// (create, update, merge, delete) with OpenCTI's data (version 4, message, origin, data,
// context). A connection that sent no change frame for a Heartbeat interval gets a
// heartbeat frame, whose id is the
// last log position read (events the stream filters out included) and whose data is that
// position's date as a JSON string; ids never come from the wall clock.
//
// # Resuming
//
// Every id has OpenCTI's (Redis stream) form "<milliseconds>-<sequence>", and
// reconnecting with any id received (as Last-Event-ID or from) delivers exactly the
// messages not received, in order: none is repeated, none lost, even after a cut inside a
// group (the messages of one event). The last frame of a group carries the event's log
// position; each earlier frame carries a mid-group id, described in the package doc
// ("Frame ids"). A resumed connection starts with an empty sent-objects cache: its later
// groups may repeat dependencies the consumer already received (creates are idempotent),
// but never omit one. Replaying the cache window before the resume point would avoid
// those repeats, but could also mark as sent objects this consumer never received (it may
// have started later), so it is not done.
//
// A resume point beyond the log's last position (an id of the future, or of another log
// whose clock ran ahead) is answered 400 naming the parameter; one older than the log
// (retention dropped events after it, or it is of a log that restarted: an in-memory store,
// a restored backup) is a gap (below). A date after the log's last event starts at the
// log's end. Error messages repeat at most about 100 bytes of a value the client sent.
//
// Parameters, from the query first, then the header of the same name: from (or the
// Last-Event-ID header): "0" or "0-0" for the whole log, a position, or an RFC 3339 date
// (the first event at or after it); without either the stream starts at the log's end,
// live only (an early OpenCTI release sent every matching object first; a consumer that
// wants that asks for it with recover). recover: an RFC 3339 date; first a recovery snapshot (create frames, with
// dependencies) of the objects whose last change lies in [from's date, recover) (from
// defaults to the start here), then live from recover, or from the log's end if recover
// lies beyond it. The snapshot is streamed in batches (memory per connection is one batch
// whatever its size) and resumes like one group; a resume point past recover skips it. no-dependencies, listen-delete and with-inferences set the
// [Options] switches explicitly, either way, over the definition's [Definition.Defaults]
// ([Switches]); absent, the default holds; any value other than true or false is 400.
//
// # Gaps
//
// When the log no longer holds every event after the resume point (retention, a consumer
// slower than retention, or a resume point of another log: [store.LogBounds.Check] reports
// store.ErrGap), the connection sends a gap frame (no id; data: [Gap]) instead of skipping
// silently, then a recovery snapshot, as of the position after which the log is complete
// (its last dropped event, or its origin), of the objects changed in the missed window
// (create frames), then continues live from that position.
//
// # Changes and flow control
//
// At every heartbeat interval the connection reads its definition again and
// re-authenticates the original request: a deleted or stopped stream, revoked access,
// failed credentials or a principal whose rights changed end the connection (the consumer
// reconnects and gets the matching status); a filter change applies from the next event.
// Each connection pulls from the log at its own pace (Read a batch, Wait when caught up),
// so a slow consumer delays no other and memory per connection is bounded by one batch
// and one event's frames; a write blocked for WriteTimeout ends the connection. A
// connection ends when the request's context ends or [Handler.Close] is called; once Close
// is called, writes get at most one second more, so a consumer that stopped reading does
// not hold Close up for WriteTimeout.
//
// # Shared work
//
// Connections share each event's plan and encoded frames through a [Share] (one per
// Handler unless [HandlerOptions.Share] names one; [HandlerOptions.NoShare] turns it off),
// by class: connections whose principals have the same redaction class
// ([access.Visibility.ClassKey]) on the same stream with the same switches. What each
// connection still does itself is applying the plan to its sent cache and writing its
// frames (ids are per connection). A connection buffers frames up to its share of 64 MiB
// among the open connections (between 4 and 32 KiB) before flushing them, so that the
// frame buffers of ten thousand connections hold about 64 MiB in all.
//
// # Slow consumers
//
// In this pull design a slow consumer holds up no one: it reads the log at its own pace,
// and its memory is its batch, its sent cache and its frame buffer. What it costs is CPU:
// once it is further behind than the Share's window, it plans its events alone. A
// consumer that stops reading is cut by WriteTimeout. One that keeps reading, but slower
// than the log grows, is cut when [HandlerOptions.MaxLag] is set: its lag is the time
// from the last event it was sent to the log's last event while more events are waiting
// (zero when it is caught up), in the log's own time, checked at every Heartbeat
// interval; when it exceeds MaxLag at two consecutive checks and grew between them, the
// connection writes an SSE comment line (": ctifeed: closing: …", which every compliant
// SSE parser ignores) saying why and where to resume, logs it, and ends with an error
// wrapping [ErrTooFarBehind] ([EndData.Err]). A replay of a log written long ago is not
// cut: the log does not run away from it, so its lag shrinks. The cut falls between
// groups, so reconnecting with the last id received resumes losslessly, with nothing
// repeated.
//
// A Handler is safe for concurrent use.
type Handler struct {
	src       Source
	streams   Definitions
	prefix    string
	auth      access.Authenticator
	vis       *access.Visibility
	public    *access.Principal
	filterOpt *filter.CompileOptions
	heartbeat time.Duration
	wtimeout  time.Duration
	batch     int
	log       *slog.Logger
	clock     func() time.Time
	obs       Observer
	share     *Share // nil: not shared
	maxLag    time.Duration

	// newProcessor makes a connection's processor; tests replace it.
	newProcessor func(src store.History, def Definition, opts SubscriberOptions) (processor, error)

	mu        sync.Mutex    // orders conns.Add before Close's Wait
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	conns     sync.WaitGroup
	active    atomic.Int64 // open streams, for tests
}

// encodedProcessor is a processor that may give its messages' frame data already encoded
// (shared with other connections); a [Subscriber] is one.
type encodedProcessor interface {
	processEncoded(ctx context.Context, ev store.Event, msgs []Message, data [][]byte) ([]Message, [][]byte, error)
	// takeShared takes the shared plans of a batch of events about to be processed in
	// order; nil drops them.
	takeShared(evs []store.Event)
}

// processor is what a connection needs of a [Subscriber].
type processor interface {
	Process(ctx context.Context, ev store.Event) ([]Message, error)
	Recover(ctx context.Context, scan store.Scanner, since, until time.Time, at store.Position) ([]Message, error)
	RecoverBatches(ctx context.Context, scan store.Scanner, since, until time.Time, at store.Position, batch int) iter.Seq2[[]Message, error]
	SetDefinition(def Definition) error
}

func newEngineProcessor(src store.History, def Definition, opts SubscriberOptions) (processor, error) {
	s, err := NewSubscriber(src, def, opts)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return s, nil
}

// NewHandler returns a Handler. It returns an error when opts or opts.Store is nil.
func NewHandler(opts *HandlerOptions) (*Handler, error) {
	if opts == nil || opts.Store == nil {
		return nil, errors.New("stream: NewHandler needs a Store")
	}
	o := *opts
	h := &Handler{
		src: o.Store, streams: o.Streams, auth: o.Authenticator, vis: o.Visibility, public: o.PublicPrincipal,
		filterOpt: o.FilterOptions, heartbeat: o.Heartbeat, wtimeout: o.WriteTimeout, batch: o.BatchSize,
		log: o.Logger, clock: o.Clock, obs: o.Observer, newProcessor: newEngineProcessor, done: make(chan struct{}),
		share: o.Share, maxLag: o.MaxLag,
	}
	if o.NoShare {
		h.share = nil
	} else if h.share == nil {
		h.share = NewShare(nil)
	}
	if h.streams == nil {
		h.streams = &Registry{}
	}
	if p := strings.Trim(o.Prefix, "/"); p != "" {
		h.prefix = "/" + p
	}
	if h.vis == nil {
		v, err := access.NewVisibility(nil)
		if err != nil {
			return nil, err
		}
		h.vis = v
	}
	if h.heartbeat <= 0 {
		h.heartbeat = DefaultHeartbeat
	}
	if h.wtimeout <= 0 {
		h.wtimeout = DefaultWriteTimeout
	}
	if h.batch <= 0 {
		h.batch = DefaultBatchSize
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.clock == nil {
		h.clock = time.Now
	}
	return h, nil
}

// Close ends every open connection, makes new requests answer 503, and waits until the
// connections have returned. Call it on server shutdown (http.Server.RegisterOnShutdown),
// since http.Server.Shutdown does not end streaming responses by itself.
func (h *Handler) Close() {
	h.closeOnce.Do(func() {
		h.mu.Lock()
		close(h.done)
		h.mu.Unlock()
	})
	h.conns.Wait()
}

func (h *Handler) closed() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	var id string
	switch {
	case ok && rest == "/stream":
	case ok && strings.HasPrefix(rest, "/stream/"):
		id = rest[len("/stream/"):]
		if id == "" || strings.Contains(id, "/") {
			ok = false
		}
	default:
		ok = false
	}
	if !ok {
		httpError(w, http.StatusNotFound, "no such stream")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if h.closed() {
		httpError(w, http.StatusServiceUnavailable, "the server is shutting down")
		return
	}
	p, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	if id == "" {
		if wantsEventStream(r) {
			h.serveRaw(w, r, p)
			return
		}
		h.list(w, r, p)
		return
	}
	h.serveStream(w, r, id, p)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	http.Error(w, msg, code)
}

// authenticate runs the Authenticator; it answers the request itself on failure.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*access.Principal, bool) {
	if h.auth == nil {
		return nil, true
	}
	p, err := h.auth.Authenticate(r)
	switch {
	case errors.Is(err, access.ErrInvalidCredentials):
		access.WriteChallenge(w)
		httpError(w, http.StatusUnauthorized, "invalid credentials")
		return nil, false
	case err != nil:
		h.log.Error("stream: authentication failed", "err", err)
		httpError(w, http.StatusServiceUnavailable, "authentication is unavailable; retry later")
		return nil, false
	}
	return p, true
}

// feedAccess is the access rule of def.
func (h *Handler) feedAccess(def Definition) access.FeedAccess {
	return access.FeedAccess{Public: def.Public, PublicPrincipal: h.public, AuthorizedMembers: def.AuthorizedMembers}
}

// listEntry is one stream in the listing.
type listEntry struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Live        bool   `json:"stream_live"`
	Public      bool   `json:"stream_public"`
}

// list answers GET {prefix}/stream with the streams p may use.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, p *access.Principal) {
	defs, err := h.streams.List(r.Context())
	if err != nil {
		h.log.Error("stream: listing streams failed", "err", err)
		httpError(w, http.StatusServiceUnavailable, "the stream list is unavailable; retry later")
		return
	}
	out := []listEntry{}
	for _, d := range defs {
		if _, dec := h.feedAccess(d).Authorize(p); dec == access.Allowed {
			out = append(out, listEntry{ID: d.ID, Name: d.Name, Description: d.Description, Live: d.Live, Public: d.Public})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// lookup reads the definition of id and decides whether p may use it, answering the
// request on failure. It returns the principal to run as.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request, id string, p *access.Principal) (Definition, *access.Principal, bool) {
	def, err := h.streams.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrUnknownStream):
		httpError(w, http.StatusNotFound, "no such stream")
		return Definition{}, nil, false
	case err != nil:
		h.log.Error("stream: reading a definition failed", "stream", id, "err", err)
		httpError(w, http.StatusServiceUnavailable, "the stream is unavailable; retry later")
		return Definition{}, nil, false
	}
	runAs, dec := h.feedAccess(def).Authorize(p)
	switch dec {
	case access.Allowed:
	case access.Unauthenticated:
		access.WriteChallenge(w)
		httpError(w, http.StatusUnauthorized, "authentication required")
		return Definition{}, nil, false
	case access.Hidden:
		httpError(w, http.StatusNotFound, "no such stream")
		return Definition{}, nil, false
	default:
		httpError(w, dec.Status(), "you may not use this stream")
		return Definition{}, nil, false
	}
	if !def.Live {
		httpError(w, http.StatusGone, "this stream is stopped")
		return Definition{}, nil, false
	}
	return def, runAs, true
}

func (h *Handler) serveStream(w http.ResponseWriter, r *http.Request, id string, p *access.Principal) {
	prm, err := parseParams(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	def, runAs, ok := h.lookup(w, r, id, p)
	if !ok {
		return
	}
	h.serveDefinition(w, r, prm, id, def, p, runAs)
}

// serveDefinition streams def (the stream id, or the raw stream when id is "") to p,
// running as runAs.
func (h *Handler) serveDefinition(w http.ResponseWriter, r *http.Request, prm params, id string, def Definition, p, runAs *access.Principal) {
	proc, err := h.newProcessor(h.src, def, SubscriberOptions{
		Principal: runAs, Visibility: h.vis, Switches: prm.sw, FilterOptions: h.filterOpt, Clock: h.clock, Share: h.share,
	})
	if err != nil {
		h.log.Error("stream: cannot subscribe", "stream", id, "err", err)
		httpError(w, http.StatusInternalServerError, "the stream is misconfigured")
		return
	}
	if s, ok := proc.(*Subscriber); ok {
		defer s.releaseShare() // the connection's subscriber leaves its class now, not when collected
	}
	if r.Method == http.MethodHead {
		sse.SetHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		return
	}

	h.mu.Lock()
	if h.closed() {
		h.mu.Unlock()
		httpError(w, http.StatusServiceUnavailable, "the server is shutting down")
		return
	}
	h.conns.Add(1) // never after Close has begun waiting
	h.mu.Unlock()
	defer h.conns.Done()
	h.active.Add(1)
	defer h.active.Add(-1)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	c := &conn{h: h, r: r, id: id, def: def, principal: p, runAs: runAs, proc: proc}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-h.done:
			cancel()
			c.stop(w) // a write blocked on a consumer that stopped reading fails now
		case <-ctx.Done():
		}
	}()
	defer func() { cancel(); <-watched }() // c.stop must not touch w after ServeHTTP returns
	c.observeStart(ctx)
	err = c.run(ctx, w, prm)
	c.observeEnd(err)
	if err != nil && ctx.Err() == nil {
		h.log.Info("stream: connection ended", "stream", id, "err", err)
	}
}
