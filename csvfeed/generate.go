package csvfeed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
	"github.com/ctifeed/ctifeed/store/storefilter"
)

// Source is what generation reads: scans, relationships for neighbour columns, and, for
// closed windows, the change log and reads as of a log position. Every store.Store is one.
type Source interface {
	store.Scanner
	store.Reader
	store.History
	store.Log
}

// Window is what one file covers.
//
// An open window (Closed false) is the half-open time range [Since, Until) of the
// platform time a feed selects by ([store.Record.Updated] or [store.Record.DateAdded],
// per the definition's date attribute), read from the store as it is when the file is
// generated: an object changed exactly at Until belongs to the next window, and one
// changed again after the window lies outside it. A zero bound leaves that side open.
//
// A closed window (Closed true, as the [Scheduler] makes them) is bounded in the store's
// own order: it holds the changes at log positions in (After, Through], and its file is
// the store as it was right after Through, whenever it is generated. Since and Until then
// only describe it (the scheduler's clock at the previous and at this generation; Until
// is the file's Last-Modified). Consecutive closed windows that share a bound (one's
// Through is the next one's After) give every change to exactly one of them, whatever
// the clocks' precision, because positions are unique.
type Window struct {
	Since, Until time.Time
	// Closed selects the log positions below as the window's bounds.
	Closed bool
	// After (exclusive) and Through (inclusive) bound a closed window. After == Through
	// is an empty window; a zero After is the start of the log.
	After, Through store.Position
}

// File is one generated CSV file. It is immutable: readers may share it freely.
type File struct {
	// Feed is the id of the feed the file belongs to.
	Feed string
	// Window is what the file covers.
	Window Window
	// Generated is when the generation the file belongs to ran (Window.Until when set); it
	// is the file's Last-Modified.
	Generated time.Time
	// Rows counts the entries, header excluded.
	Rows int
	// Truncated reports that more entries matched than the cap let in.
	Truncated bool
	// ETag is the strong HTTP entity tag of the content (a hash of it, quoted).
	ETag string
	// Header reports whether the first line holds the column names.
	Header bool

	content []byte
}

// Bytes returns a copy of the file's content.
func (f *File) Bytes() []byte { return bytes.Clone(f.content) }

// String returns the file's content.
func (f *File) String() string { return string(f.content) }

// Len returns the content's length in bytes.
func (f *File) Len() int { return len(f.content) }

// Reader returns a reader over the content.
func (f *File) Reader() *bytes.Reader { return bytes.NewReader(f.content) }

// Generate renders the file of f for window w as principal p sees it: the objects that
// match the filters and feed types, whose date attribute lies in w, and that p may see
// (vis.CanSee, then vis.Redact), newest first (ties by id, descending), at most the
// feed's cap. It scans the store in that order and stops at the cap, so its cost grows
// with the cap, not with the window. Rows and columns pass the whole access boundary
// (access.Visibility.Screen, one look-up per scanned page): a relationship row with a
// stored end p may not see is left out, a container's object_refs lose hidden ids, and a
// neighbour reached through a relationship counts only if the relationship leaves (the
// neighbour and every other stored end visible to p).
//
// A closed window is generated as of its Through position (see [Window]): the objects
// whose last change (or, for created_at, creation) lies in (After, Through], as they were
// then. That needs the log after Through: when the store no longer retains it (the file
// is asked for later than the log's retention), Generate returns an error wrapping
// [store.ErrGap] rather than a file that silently differs from the window's. It also
// reads the log after After, to split After's millisecond between this window and the
// previous one; when that part is no longer retained, the whole millisecond is taken, so
// its changes up to After appear in both windows rather than in none.
//
// A nil p sees nothing; a nil vis or src, a window whose Until is before its Since, or a
// closed window whose Through is before its After, gives an error wrapping [ErrInvalid].
// Store errors are returned as they are.
func (f *Feed) Generate(ctx context.Context, src Source, vis *access.Visibility, p *access.Principal, w Window) (*File, error) {
	switch {
	case src == nil || vis == nil:
		return nil, fmt.Errorf("%w: Generate needs a source and a visibility", ErrInvalid)
	case !w.Since.IsZero() && !w.Until.IsZero() && w.Until.Before(w.Since):
		return nil, fmt.Errorf("%w: window ends before it starts", ErrInvalid)
	case w.Closed && w.Through.Compare(w.After) < 0:
		return nil, fmt.Errorf("%w: window closes at %s, before its start %s", ErrInvalid, w.Through, w.After)
	}
	g := generation{f: f, ctx: ctx, src: src, rel: src, vis: vis, p: p}
	if f.def.IncludeHeader {
		g.buf = f.format.appendRow(g.buf, f.header)
	}
	file := &File{Feed: f.def.ID, Window: w, Generated: w.Until, Header: f.def.IncludeHeader}
	if file.Generated.IsZero() {
		file.Generated = time.Now().UTC()
	}
	if !f.none && p != nil {
		if err := g.bind(w, file.Generated); err != nil {
			return nil, err
		}
		scan := g.scan
		if w.Closed {
			scan = g.scanClosed
		}
		if err := scan(w, file); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(g.buf)
	file.ETag = `"` + hex.EncodeToString(sum[:16]) + `"`
	file.content = g.buf
	return file, nil
}

// minPage is the smallest scan page Generate asks for.
const minPage = 256

// generation is the state of one Generate call.
type generation struct {
	f     *Feed
	ctx   context.Context
	src   Source
	rel   relReader // where neighbours are read: src, or src as of a closed window's end
	vis   *access.Visibility
	p     *access.Principal
	buf   []byte
	cells []string
	vals  []string
	rels  []store.Record // the current row's relationships, read once per row
	bound *filter.Bound  // the feed's filter bound for this generation (see bind)
}

// bind fixes the feed's filter for the whole generation: relative dates resolve against
// now (the file's Generated time), and the relationship keys read the store as of the
// closed window's Through, or for an open window as of the log's last position when the
// generation starts, so every row is decided at one moment.
func (g *generation) bind(w Window, now time.Time) error {
	opts := filter.BindOptions{Now: now}
	if g.f.match.NeedsResolver() {
		at := w.Through
		if !w.Closed {
			b, err := g.src.Bounds(g.ctx)
			if err != nil {
				return err
			}
			at = b.Last
		}
		opts.Resolver = storefilter.At(g.src, at)
	}
	b, err := g.f.match.Bind(g.ctx, opts)
	if err != nil {
		return fmt.Errorf("csvfeed: resolving the feed's filter: %w", err)
	}
	g.bound = b
	return nil
}

// matches reports whether the bound filter selects r, with r's own times for created_at
// and updated_at.
func (g *generation) matches(r store.Record) bool {
	return g.bound.Match(r.Object, storefilter.Times(r))
}

func (g *generation) scan(w Window, file *File) error {
	opts := store.ScanOptions{Order: g.f.order, Descending: true, Since: w.Since, Until: w.Until,
		Types: g.f.types, MatchRecord: g.matches, Filter: g.f.filter}
	for {
		// One more than the rows still wanted, so a full page also says whether the cap cut;
		// at least minPage, so records hidden from p cost few store calls.
		opts.Limit = min(max(g.f.maxRows-file.Rows+1, minPage), store.MaxLimit)
		page, err := store.Scan(g.ctx, g.src, opts)
		if err != nil {
			return err
		}
		rows, err := g.screen(page.Records)
		if err != nil {
			return err
		}
		for _, o := range rows {
			if done, err := g.put(o, file); done || err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		opts.After = page.Next
	}
}

// relReader is what neighbour columns read; both a Source and a store.Snapshot are one.
type relReader interface {
	GetMany(ctx context.Context, ids []stix.ID) (map[stix.ID]store.Record, error)
	RelationsOf(ctx context.Context, id stix.ID) ([]store.Record, error)
}

// put renders o's row (o as p may receive it); done reports that the cap is reached (and
// marks the file truncated, o being one more entry).
func (g *generation) put(o *stix.Object, file *File) (done bool, err error) {
	if file.Rows == g.f.maxRows {
		file.Truncated = true
		return true, nil
	}
	if err := g.row(o); err != nil {
		return true, err
	}
	file.Rows++
	return false, nil
}

// row renders o's cells. A column without a mapping for o's type is empty.
func (g *generation) row(o *stix.Object) error {
	g.cells = g.cells[:0]
	g.rels = nil
	for i := range g.f.columns {
		c := &g.f.columns[i]
		g.vals = g.vals[:0]
		for j := range c.mappings {
			m := &c.mappings[j]
			if !m.typ.Match(o) {
				continue
			}
			if m.relType == "" {
				g.vals = appendValues(g.vals, gjsonOf(o), m.path)
			} else if err := g.neighbourValues(o, m); err != nil {
				return err
			}
			break // the first mapping whose type matches
		}
		switch {
		case len(g.vals) == 0:
			g.cells = append(g.cells, "")
		case c.first || len(g.vals) == 1:
			g.cells = append(g.cells, g.vals[0])
		default:
			g.cells = append(g.cells, strings.Join(g.vals, c.sep))
		}
	}
	g.buf = g.f.format.appendRow(g.buf, g.cells)
	return nil
}

// neighbourValues appends m's values read from the visible objects of m's target type at
// the other end of o's visible relationships of m's type, oldest relationship first, each
// neighbour once.
func (g *generation) neighbourValues(o *stix.Object, m *mapping) error {
	if g.rels == nil {
		rels, err := g.rel.RelationsOf(g.ctx, o.ID())
		if err != nil {
			return err
		}
		slices.SortStableFunc(rels, func(a, b store.Record) int {
			if c := a.Object.Created().Compare(b.Object.Created()); c != 0 {
				return c
			}
			return strings.Compare(string(a.Object.ID()), string(b.Object.ID()))
		})
		g.rels = rels
	}
	var rels []*stix.Object
	for _, r := range g.rels {
		rel := r.Object
		if rel.Type() == "relationship" && strings.EqualFold(rel.Get("relationship_type").Str, m.relType) {
			rels = append(rels, rel)
		}
	}
	if len(rels) == 0 {
		return nil
	}
	// The relationships pass the whole boundary (every stored end visible, the neighbour
	// among them); the look-up that decides it also fetches the neighbours, kept in found.
	found := map[stix.ID]*stix.Object{}
	look := access.LookupFunc(func(ctx context.Context, ids []stix.ID, f func(*stix.Object)) error {
		return store.Lookup{From: g.rel}.Lookup(ctx, ids, func(x *stix.Object) { found[x.ID()] = x; f(x) })
	})
	rels, err := g.vis.Screen(g.ctx, g.p, rels, look)
	if err != nil {
		return err
	}
	var ids []stix.ID
	for _, rel := range rels {
		if rel == nil {
			continue
		}
		src, dst := stix.ID(rel.Get("source_ref").Str), stix.ID(rel.Get("target_ref").Str)
		other := dst
		if dst == o.ID() {
			other = src
		}
		if other != "" && !slices.Contains(ids, other) {
			ids = append(ids, other)
		}
	}
	var missing []stix.ID // not fetched by Screen (a principal with bypass needs no look-up)
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		if err := look.Lookup(g.ctx, missing, func(*stix.Object) {}); err != nil {
			return err
		}
	}
	var neighbours []*stix.Object
	for _, id := range ids {
		if n, ok := found[id]; ok && m.target.Match(n) {
			neighbours = append(neighbours, n)
		}
	}
	// The neighbours themselves: a neighbour that is a container loses its hidden contents.
	neighbours, err = g.vis.Screen(g.ctx, g.p, neighbours, look)
	if err != nil {
		return err
	}
	for _, n := range neighbours {
		if n != nil {
			g.vals = appendValues(g.vals, gjsonOf(n), m.path)
		}
	}
	return nil
}

// screen returns, in order, the records of a scanned page that p may receive, as p may
// receive them (access.Visibility.Screen): one look-up for the whole page.
func (g *generation) screen(recs []store.Record) ([]*stix.Object, error) {
	objs := make([]*stix.Object, 0, len(recs))
	for _, r := range recs {
		if g.vis.CanSee(g.p, r.Object) { // most hidden records stop here, before the batch
			objs = append(objs, r.Object)
		}
	}
	out, err := g.vis.Screen(g.ctx, g.p, objs, store.Lookup{From: g.rel})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(o *stix.Object) bool { return o == nil }), nil
}
