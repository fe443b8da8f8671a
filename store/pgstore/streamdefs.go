package pgstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stream"
)

// StreamDefinitionsOptions configure [Store.StreamDefinitions]. A nil pointer means the
// defaults.
type StreamDefinitionsOptions struct {
	// FilterOptions validate the definitions' filters (host-defined keys); use the same as
	// stream.HandlerOptions.FilterOptions.
	FilterOptions *filter.CompileOptions
	// Refresh is how long a node answers from the definitions it read before it checks
	// the version again (default 1s): a change made on another node is seen within it.
	Refresh time.Duration
}

// StreamDefinitions is a [stream.Definitions] kept in the store's database, for live-stream
// definitions changed at run time and shared by every node: a Put or Delete on one node is
// seen by the others within [StreamDefinitionsOptions.Refresh] (and at once on the node
// that made it), and open connections follow it at their next heartbeat as with
// [stream.Registry]. Reads are answered from memory; a node re-reads the definitions only
// when their version, bumped in the same transaction as every change, moved. It is safe
// for concurrent use and needs no closing.
type StreamDefinitions struct {
	s    *Store
	opts StreamDefinitionsOptions

	mu      sync.Mutex
	version int64
	checked time.Time // when version was last compared with the database's; zero: never
	defs    map[string]stream.Definition
	broken  map[string]error // stored definitions that do not decode, by id
}

var _ stream.Definitions = (*StreamDefinitions)(nil)

// StreamDefinitions returns a view of the store's stream definitions.
func (s *Store) StreamDefinitions(opts *StreamDefinitionsOptions) *StreamDefinitions {
	d := &StreamDefinitions{s: s}
	if opts != nil {
		d.opts = *opts
	}
	if d.opts.Refresh <= 0 {
		d.opts.Refresh = time.Second
	}
	return d
}

// Put adds def or replaces the definition with its id, for every node. It refuses, with
// the errors of [stream.Definition.Validate] (wrapping stream.ErrInvalid), a definition
// that is invalid or whose id contains '/'.
func (d *StreamDefinitions) Put(ctx context.Context, def stream.Definition) error {
	err := def.Validate(d.opts.FilterOptions)
	if strings.ContainsRune(def.ID, '/') {
		err = errors.Join(err, &stream.FieldError{Field: "id", Err: fmt.Errorf("%q contains '/'", def.ID)})
	}
	if err != nil {
		return err
	}
	body, err := json.Marshal(def)
	if err != nil {
		return fmt.Errorf("pgstore: encoding stream definition %q: %w", def.ID, err)
	}
	return d.change(ctx, "storing stream definition "+def.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO ctifeed_stream_definitions (id, def) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET def = excluded.def`, def.ID, body)
		return err
	})
}

// Delete removes the definition of id, for every node, and reports whether there was one.
func (d *StreamDefinitions) Delete(ctx context.Context, id string) (bool, error) {
	var found bool
	err := d.change(ctx, "deleting stream definition "+id, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM ctifeed_stream_definitions WHERE id = $1", id)
		found = tag.RowsAffected() > 0
		return err
	})
	return found, err
}

// change runs fn and bumps the version in one transaction, then forgets the cached
// definitions so that this node's next read sees the change.
func (d *StreamDefinitions) change(ctx context.Context, what string, fn func(pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, d.s.pool, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE ctifeed_stream_definitions_version SET version = version + 1")
		return err
	})
	if err != nil {
		return d.s.wrap(ctx, what, err)
	}
	d.mu.Lock()
	d.checked = time.Time{}
	d.mu.Unlock()
	return nil
}

// Get implements [stream.Definitions].
func (d *StreamDefinitions) Get(ctx context.Context, id string) (stream.Definition, error) {
	defs, broken, err := d.current(ctx)
	if err != nil {
		return stream.Definition{}, err
	}
	if err := broken[id]; err != nil {
		return stream.Definition{}, err
	}
	def, ok := defs[id]
	if !ok {
		return stream.Definition{}, fmt.Errorf("%w: %q", stream.ErrUnknownStream, id)
	}
	return def, nil
}

// List implements [stream.Definitions]. A stored definition that does not decode makes it
// fail, naming the definition, rather than list the streams without it.
func (d *StreamDefinitions) List(ctx context.Context) ([]stream.Definition, error) {
	defs, broken, err := d.current(ctx)
	if err != nil {
		return nil, err
	}
	if len(broken) > 0 {
		errs := make([]error, 0, len(broken))
		for _, id := range slices.Sorted(maps.Keys(broken)) {
			errs = append(errs, broken[id])
		}
		return nil, errors.Join(errs...)
	}
	out := make([]stream.Definition, 0, len(defs))
	for _, def := range defs {
		out = append(out, def)
	}
	slices.SortFunc(out, func(a, b stream.Definition) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// current returns the definitions and the stored ones that do not decode, re-read when
// the version moved since the last check and that check is older than Refresh. The
// returned maps are never modified afterwards.
func (d *StreamDefinitions) current(ctx context.Context) (map[string]stream.Definition, map[string]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.checked.IsZero() && time.Since(d.checked) < d.opts.Refresh {
		return d.defs, d.broken, nil
	}
	var version int64
	if err := d.s.pool.QueryRow(ctx, "SELECT version FROM ctifeed_stream_definitions_version").Scan(&version); err != nil {
		return nil, nil, d.s.wrap(ctx, "reading the stream definitions' version", err)
	}
	if d.defs == nil || version != d.version {
		defs, broken, err := d.read(ctx)
		if err != nil {
			return nil, nil, err
		}
		d.defs, d.broken, d.version = defs, broken, version
	}
	d.checked = time.Now()
	return d.defs, d.broken, nil
}

// read reads every definition. A definition that no longer decodes or validates (say,
// stored by a node with other filter keys) is kept as an error naming it, which its own
// Get returns (and List), rather than a stream that silently disappears; the other
// streams are still served.
func (d *StreamDefinitions) read(ctx context.Context) (map[string]stream.Definition, map[string]error, error) {
	rows, err := d.s.pool.Query(ctx, "SELECT id, def FROM ctifeed_stream_definitions")
	if err != nil {
		return nil, nil, d.s.wrap(ctx, "reading the stream definitions", err)
	}
	defer rows.Close()
	defs := map[string]stream.Definition{}
	var broken map[string]error
	for rows.Next() {
		var id string
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			return nil, nil, d.s.wrap(ctx, "reading the stream definitions", err)
		}
		def, err := stream.ParseDefinition(body, d.opts.FilterOptions)
		if err != nil {
			if broken == nil {
				broken = map[string]error{}
			}
			broken[id] = fmt.Errorf("pgstore: stored stream definition %q does not decode: %w", id, err)
			continue
		}
		defs[id] = def
	}
	if err := rows.Err(); err != nil {
		return nil, nil, d.s.wrap(ctx, "reading the stream definitions", err)
	}
	return defs, broken, nil
}
