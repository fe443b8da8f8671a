package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sync"

	"github.com/ctifeed/ctifeed/stream"
)

// FileStreamDefinitions keeps live-stream definitions in a JSON file (an array of
// OpenCTI stream definitions, ordered by id), for an engine that keeps its data in a
// directory used by one process at a time: run-time streams survive a restart and go with
// a backup of the directory. Reads are answered from memory; each change rewrites the file
// atomically (a temporary file renamed over it) before it is seen. It is safe for
// concurrent use.
type FileStreamDefinitions struct {
	path string
	mu   sync.RWMutex
	defs map[string]stream.Definition // replaced, never modified, by a change
}

var _ StreamStore = (*FileStreamDefinitions)(nil)

// OpenFileStreamDefinitions reads the definitions in path (none when it does not exist
// yet). A stored definition that no longer validates is an error naming it, rather than a
// stream that silently disappears.
func OpenFileStreamDefinitions(path string) (*FileStreamDefinitions, error) {
	f := &FileStreamDefinitions{path: path, defs: map[string]stream.Definition{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("stream definitions %s: %w", path, err)
	}
	for i, r := range raw {
		def, err := stream.ParseDefinition(r, nil)
		if err == nil {
			err = validateStream(def)
		}
		if err != nil {
			return nil, fmt.Errorf("stream definitions %s: definition %d (%s): %w", path, i, def.ID, err)
		}
		f.defs[def.ID] = def
	}
	return f, nil
}

// Get implements [stream.Definitions].
func (f *FileStreamDefinitions) Get(ctx context.Context, id string) (stream.Definition, error) {
	if err := ctx.Err(); err != nil {
		return stream.Definition{}, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	def, ok := f.defs[id]
	if !ok {
		return stream.Definition{}, fmt.Errorf("%w: %q", stream.ErrUnknownStream, id)
	}
	return def, nil
}

// List implements [stream.Definitions].
func (f *FileStreamDefinitions) List(ctx context.Context) ([]stream.Definition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return sortedDefinitions(f.defs), nil
}

// Put implements [StreamStore]; it refuses a definition that does not validate.
func (f *FileStreamDefinitions) Put(ctx context.Context, def stream.Definition) error {
	if err := validateStream(def); err != nil {
		return err
	}
	return f.change(ctx, func(m map[string]stream.Definition) bool { m[def.ID] = def; return true })
}

// Delete implements [StreamStore].
func (f *FileStreamDefinitions) Delete(ctx context.Context, id string) (bool, error) {
	var found bool
	err := f.change(ctx, func(m map[string]stream.Definition) bool {
		_, found = m[id]
		delete(m, id)
		return found
	})
	return found, err
}

// change applies fn to a copy of the definitions and, when fn reports a change, writes
// the copy and makes it current.
func (f *FileStreamDefinitions) change(ctx context.Context, fn func(map[string]stream.Definition) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m := maps.Clone(f.defs)
	if !fn(m) {
		return nil
	}
	if err := writeFileAtomic(f.path, sortedDefinitions(m)); err != nil {
		return fmt.Errorf("stream definitions %s: %w", f.path, err)
	}
	f.defs = m
	return nil
}

func sortedDefinitions(m map[string]stream.Definition) []stream.Definition {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b stream.Definition) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
