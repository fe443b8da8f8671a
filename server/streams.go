package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/ctifeed/ctifeed/stream"
)

// StreamStore keeps the hub's live-stream definitions. The stream handler reads them
// through [stream.Definitions] (when a consumer connects and at every heartbeat), so a
// change reaches open connections within one heartbeat. The engine decides where they
// live: in memory for the memory engine, beside the data for bolt
// ([FileStreamDefinitions]), in the database for PostgreSQL (pgstore.StreamDefinitions,
// shared by every node). Implementations must be safe for concurrent use.
type StreamStore interface {
	stream.Definitions
	// Put adds def or replaces the definition with its id. def has been validated.
	Put(ctx context.Context, def stream.Definition) error
	// Delete removes the definition of id and reports whether there was one.
	Delete(ctx context.Context, id string) (bool, error)
}

// ErrConfiguredStream is wrapped by the errors of [Streams.Put] and [Streams.Delete] for a
// stream the configuration defines: the configuration is where it is changed (a change
// made at run time would be undone by the next start).
var ErrConfiguredStream = errors.New("server: the stream is defined by the configuration")

// maxStreamID bounds a stream id: it is a path segment and a metrics label.
const maxStreamID = 200

// Streams are the hub's live-stream definitions, changed at run time: the Go side of the
// admin API (README "Run-time stream administration"). Streams the configuration defines
// are written into the engine's [StreamStore] at every start (the configuration is their
// source) and cannot be changed or deleted here; streams put here persist as long as the
// engine's data does (the memory engine forgets them on restart). A change reaches open
// connections at their next heartbeat: a stopped (stream_live false) or deleted stream ends
// them, a changed filter applies from the next event, changed access rules re-authorize
// them.
//
// Streams performs no access check: a host calling it acts as the platform. The admin HTTP
// API checks [CapManageStreams] and what the caller may see before calling it.
// Streams is safe for concurrent use.
type Streams struct {
	store      StreamStore
	configured map[string]bool
	// onChange counts a change made here ("create", "replace", "delete"); set before use.
	onChange func(op string)
	// mu serialises this node's changes, so that Put can tell a create from a replace
	// (another node's concurrent change may still make that answer stale).
	mu sync.Mutex
}

// Streams returns the hub's live-stream definitions.
func (s *Server) Streams() *Streams { return s.defs }

// Get returns the definition of id, or an error wrapping [stream.ErrUnknownStream].
func (st *Streams) Get(ctx context.Context, id string) (stream.Definition, error) {
	return st.store.Get(ctx, id)
}

// List returns every definition, ordered by id.
func (st *Streams) List(ctx context.Context) ([]stream.Definition, error) { return st.store.List(ctx) }

// Configured reports whether the configuration defines the stream id.
func (st *Streams) Configured(id string) bool { return st.configured[id] }

// Put adds def or replaces the definition with its id and reports whether it was new. It
// refuses with [stream.FieldError]s (wrapping stream.ErrInvalid, joined) a definition that
// does not validate ([stream.Definition.Validate]) or whose id contains '/', a control
// character or more than 200 bytes; and with [ErrConfiguredStream] one the configuration
// defines. Give it a definition it may keep: do not modify its Filters or
// AuthorizedMembers afterwards.
func (st *Streams) Put(ctx context.Context, def stream.Definition) (created bool, err error) {
	if err := validateStream(def); err != nil {
		return false, err
	}
	if st.configured[def.ID] {
		return false, fmt.Errorf("%w: %q", ErrConfiguredStream, def.ID)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	_, err = st.store.Get(ctx, def.ID)
	switch {
	case errors.Is(err, stream.ErrUnknownStream):
		created = true
	case err != nil:
		return false, err
	}
	if err := st.store.Put(ctx, def); err != nil {
		return false, err
	}
	st.changed(map[bool]string{true: "create", false: "replace"}[created])
	return created, nil
}

func (st *Streams) changed(op string) {
	if st.onChange != nil {
		st.onChange(op)
	}
}

// Delete removes the definition of id. It returns an error wrapping
// [stream.ErrUnknownStream] when there is none, and one wrapping [ErrConfiguredStream] for
// a stream the configuration defines.
func (st *Streams) Delete(ctx context.Context, id string) error {
	if st.configured[id] {
		return fmt.Errorf("%w: %q", ErrConfiguredStream, id)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	found, err := st.store.Delete(ctx, id)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: %q", stream.ErrUnknownStream, id)
	}
	st.changed("delete")
	return nil
}

// validateStream checks def as every StreamStore would, plus the id rules of an id that is
// a path segment and a metrics label.
func validateStream(def stream.Definition) error {
	err := def.Validate(nil)
	switch {
	case strings.ContainsRune(def.ID, '/'):
		err = errors.Join(err, &stream.FieldError{Field: "id", Err: fmt.Errorf("%q contains '/'", def.ID)})
	case strings.ContainsFunc(def.ID, unicode.IsControl):
		err = errors.Join(err, &stream.FieldError{Field: "id", Err: errors.New("contains a control character")})
	case len(def.ID) > maxStreamID:
		err = errors.Join(err, &stream.FieldError{Field: "id", Err: fmt.Errorf("longer than %d bytes", maxStreamID)})
	}
	return err
}

// seed writes the configuration's streams into store where the stored definition differs
// (or is missing), so that the configuration is the source of the streams it defines and
// an unchanged one bumps no version (on PostgreSQL, every node would re-read). It returns
// what is defined then, configured and run-time streams together.
func (st *Streams) seed(ctx context.Context, defs []stream.Definition, log func(msg string, args ...any)) ([]stream.Definition, error) {
	for _, def := range defs {
		stored, err := st.store.Get(ctx, def.ID)
		switch {
		case errors.Is(err, stream.ErrUnknownStream):
		case err != nil:
			return nil, fmt.Errorf("reading stream definition %q: %w", def.ID, err)
		case sameDefinition(stored, def):
			continue
		default:
			log("the configuration replaces the stored definition of a stream", "stream", def.ID)
		}
		if err := st.store.Put(ctx, def); err != nil {
			return nil, fmt.Errorf("storing stream definition %q from the configuration: %w", def.ID, err)
		}
	}
	return st.store.List(ctx)
}

// sameDefinition compares two definitions as they are stored (as JSON).
func sameDefinition(a, b stream.Definition) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// memStreams keeps definitions in memory (the memory engine: lost on restart, like its data).
type memStreams struct{ reg *stream.Registry }

func (m memStreams) Get(ctx context.Context, id string) (stream.Definition, error) {
	return m.reg.Get(ctx, id)
}

func (m memStreams) List(ctx context.Context) ([]stream.Definition, error) { return m.reg.List(ctx) }

func (m memStreams) Put(ctx context.Context, def stream.Definition) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.reg.Put(def)
}

func (m memStreams) Delete(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return m.reg.Delete(id), nil
}
