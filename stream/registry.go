package stream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ctifeed/ctifeed/filter"
)

// ErrUnknownStream is returned (wrapped) by [Definitions.Get] for an id that names no stream.
var ErrUnknownStream = errors.New("stream: unknown stream")

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
	filterOpts *filter.CompileOptions

	mu   sync.RWMutex
	defs map[string]Definition
}

// RegistryOptions configure [NewRegistry]. A nil *RegistryOptions means an empty registry.
type RegistryOptions struct {
	// Definitions are put first, in order.
	Definitions []Definition
	// FilterOptions validate the definitions' filters (host-defined keys); use the same as
	// HandlerOptions.FilterOptions.
	FilterOptions *filter.CompileOptions
}

// NewRegistry returns a Registry holding opts.Definitions. It returns the error of the
// first definition [Registry.Put] refuses.
func NewRegistry(opts *RegistryOptions) (*Registry, error) {
	r := &Registry{}
	if opts == nil {
		return r, nil
	}
	r.filterOpts = opts.FilterOptions
	for _, d := range opts.Definitions {
		if err := r.Put(d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Put adds def or replaces the definition with its id. The registry keeps def as given:
// do not modify its Filters or AuthorizedMembers afterwards. It refuses, with the
// [FieldError]s of [Definition.Validate] (wrapping [ErrInvalid]), a definition that is
// invalid or whose id contains '/' (it could not be addressed as /stream/{id}).
func (r *Registry) Put(def Definition) error {
	err := def.Validate(r.filterOpts)
	if strings.ContainsRune(def.ID, '/') {
		err = errors.Join(err, &FieldError{Field: "id", Err: fmt.Errorf("%q contains '/'", def.ID)})
	}
	if err != nil {
		return err
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
