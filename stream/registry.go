package stream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ErrUnknownStream is returned (wrapped) by [Definitions.Get] for an id that names no stream.
var ErrUnknownStream = errors.New("stream: unknown stream")

// ErrInvalidStreamID is returned (wrapped) by [Registry.Put] for a definition without an id.
var ErrInvalidStreamID = errors.New("stream: invalid stream id")

// Definitions is where a [Handler] looks stream definitions up. The host implements it on
// its own configuration store, or uses the in-memory [Registry]. Implementations must be
// safe for concurrent use. The handler reads a definition when a consumer connects and
// again on every heartbeat, so a change reaches open connections within one heartbeat.
// Callers must not modify a returned Definition (its Filters and AuthorizedMembers may be
// shared).
type Definitions interface {
	// Get returns the definition of id, or an error wrapping ErrUnknownStream.
	Get(ctx context.Context, id string) (Definition, error)
	// List returns every definition, ordered by id.
	List(ctx context.Context) ([]Definition, error)
}

// Registry is an in-memory [Definitions]: stream definitions by id. The zero Registry is
// empty and ready to use; it is safe for concurrent use. Changes are seen by open
// connections at their next heartbeat: [Registry.Delete] or a Put with Live false ends
// them, a Put changing the access rules re-authorizes them, one changing the filters
// applies from the next event.
type Registry struct {
	mu   sync.RWMutex
	defs map[string]Definition
}

// NewRegistry returns a Registry holding defs (later ones replace earlier ones with the
// same id). It returns an error wrapping ErrInvalidStreamID for a definition without an id.
func NewRegistry(defs ...Definition) (*Registry, error) {
	r := &Registry{}
	for _, d := range defs {
		if err := r.Put(d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Put adds def or replaces the definition with its id. The registry keeps def as given:
// do not modify its Filters or AuthorizedMembers afterwards. It returns an error wrapping
// ErrInvalidStreamID when def.ID is empty or contains '/'.
func (r *Registry) Put(def Definition) error {
	if def.ID == "" || strings.ContainsRune(def.ID, '/') {
		return fmt.Errorf("%w: %q", ErrInvalidStreamID, def.ID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.defs == nil {
		r.defs = make(map[string]Definition)
	}
	r.defs[def.ID] = def
	return nil
}

// Delete removes the definition of id and reports whether there was one.
func (r *Registry) Delete(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.defs[id]
	delete(r.defs, id)
	return ok
}

// Get implements [Definitions].
func (r *Registry) Get(ctx context.Context, id string) (Definition, error) {
	if err := ctx.Err(); err != nil {
		return Definition{}, err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.defs[id]
	if !ok {
		return Definition{}, fmt.Errorf("%w: %q", ErrUnknownStream, id)
	}
	return d, nil
}

// List implements [Definitions].
func (r *Registry) List(ctx context.Context) ([]Definition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.RLock()
	out := make([]Definition, 0, len(r.defs))
	for _, d := range r.defs {
		out = append(out, d)
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b Definition) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
