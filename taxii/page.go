package taxii

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// item is one version served: the object as the principal may see it, and its date_added
// (when that version was stored).
type item struct {
	obj   *stix.Object
	added time.Time
}

// source yields the current records of a request in key order, (Record.Updated, id).
type source interface {
	// records returns up to n records whose key lies after after (nil: from the start),
	// and whether more exist beyond them.
	records(ctx context.Context, after *key, n int) ([]store.Record, bool, error)
}

// pager builds pages of items for one request.
type pager struct {
	st     store.Reader
	vis    *access.Visibility
	p      *access.Principal
	q      *query
	single bool // one object's versions: a skip applies whatever its time
	// unscreened skips the relationship and container rules (see screen); only the
	// benchmark's baseline sets it.
	unscreened bool
	// listOnly: the endpoint lists ids, versions and dates (manifest, versions) and never
	// an object's content, so the boundary only decides what is listed and the items
	// hold the objects unredacted (see access.Visibility.Admit).
	listOnly bool
}

// page returns up to limit items from start on, and the position of the next page when
// more items exist (exactly: it has seen one). Records are read in batches of limit+1, so
// a page of current versions costs one store scan.
func (pg *pager) page(ctx context.Context, src source, start position, limit int) ([]item, *position, error) {
	items := make([]item, 0, min(limit, 1024))
	var prev key // the last record fully consumed, if hasPrev
	hasPrev := start.after != nil
	if hasPrev {
		prev = *start.after
	}
	after := func() *key {
		if !hasPrev {
			return nil
		}
		k := prev
		return &k
	}
	var b batch
	first := true
	for {
		recs, more, err := src.records(ctx, after(), min(limit+1, store.MaxLimit))
		if err != nil {
			return nil, nil, err
		}
		if err := pg.expandAll(ctx, recs, &b); err != nil {
			return nil, nil, err
		}
		for ri, r := range recs {
			its, offset := b.of(ri), 0
			if first && start.skip > 0 && r.Object.ID() == start.skipID &&
				(start.skipTime.IsZero() || r.Updated.Equal(start.skipTime)) {
				offset = min(start.skip, len(its))
				its = its[offset:]
			}
			first = false
			for i, it := range its {
				if len(items) == limit {
					next := &position{after: after()}
					if n := offset + i; n > 0 {
						next.skip, next.skipID = n, r.Object.ID()
						if !pg.single {
							next.skipTime = r.Updated
						}
					}
					return items, next, nil
				}
				items = append(items, it)
			}
			prev, hasPrev = key{t: r.Updated, id: r.Object.ID()}, true
		}
		if !more {
			return items, nil, nil
		}
	}
}

// batch is the items of one batch of records, screened together: the items of record i
// are items[ends[i-1]:ends[i]].
type batch struct {
	items []item
	ends  []int
	objs  []*stix.Object
}

func (b *batch) of(i int) []item {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.items[start:b.ends[i]]
}

// expandAll fills b with the versions of recs that the query selects and the principal
// may receive. The whole batch goes through the access boundary at once, so the ends and
// contents of a page cost one store look-up, not one per object.
func (pg *pager) expandAll(ctx context.Context, recs []store.Record, b *batch) error {
	b.items, b.ends, b.objs = b.items[:0], b.ends[:0], b.objs[:0]
	for _, r := range recs {
		var err error
		if b.items, err = pg.expand(ctx, r, b.items); err != nil {
			return err
		}
		b.ends = append(b.ends, len(b.items))
	}
	for _, it := range b.items {
		b.objs = append(b.objs, it.obj)
	}
	// When other versions than the current one are listed, the current version gates
	// them: an object the caller may not receive as it is now (a relationship whose end is
	// now hidden, say) shows none of its versions, or its id would leave.
	gated := !(pg.q.versions.onlyLast() && len(pg.q.specs) == 0)
	if gated {
		for _, r := range recs {
			b.objs = append(b.objs, r.Object)
		}
	}
	out, err := pg.screen(ctx, b.objs, !gated)
	if err != nil {
		return err
	}
	// Drop what may not leave, keeping each record's range.
	n, start := 0, 0
	for i, end := range b.ends {
		if gated && out[len(b.items)+i] == nil {
			start, b.ends[i] = end, n
			continue
		}
		for j := start; j < end; j++ {
			if out[j] != nil {
				b.items[n] = item{obj: out[j], added: b.items[j].added}
				n++
			}
		}
		start, b.ends[i] = end, n
	}
	b.items = b.items[:n]
	return nil
}

// screen applies the access boundary to objs for the principal (see
// access.Visibility.Screen); current says that objs are current records, each id once, so
// that what they name among themselves needs no look-up (ScreenCurrent).
func (pg *pager) screen(ctx context.Context, objs []*stix.Object, current bool) ([]*stix.Object, error) {
	if pg.unscreened { // the benchmark's in-run baseline: the per-object checks alone
		out := make([]*stix.Object, len(objs))
		for i, o := range objs {
			if pg.vis.CanSee(pg.p, o) {
				out[i] = pg.vis.Redact(pg.p, o)
			}
		}
		return out, nil
	}
	if pg.listOnly {
		admit := pg.vis.Admit
		if current {
			admit = pg.vis.AdmitCurrent
		}
		ok, err := admit(ctx, pg.p, objs, store.Lookup{From: pg.st})
		if err != nil {
			return nil, err
		}
		out := make([]*stix.Object, len(objs))
		for i, o := range objs {
			if ok[i] {
				out[i] = o
			}
		}
		return out, nil
	}
	if current {
		return pg.vis.ScreenCurrent(ctx, pg.p, objs, store.Lookup{From: pg.st})
	}
	return pg.vis.Screen(ctx, pg.p, objs, store.Lookup{From: pg.st})
}

// expand appends to buf the versions of r that the query selects, not yet screened.
func (pg *pager) expand(ctx context.Context, r store.Record, buf []item) ([]item, error) {
	q := pg.q
	if q.versions.onlyLast() && len(q.specs) == 0 {
		return append(buf, item{obj: r.Object, added: r.Updated}), nil
	}
	vs, err := pg.st.Versions(ctx, r.Object.ID())
	if errors.Is(err, store.ErrNotFound) {
		return buf, nil // deleted since it was scanned
	}
	if err != nil {
		return buf, err
	}
	for _, v := range selectVersions(vs, q) {
		if !q.addedAfter.IsZero() && !v.Updated.After(q.addedAfter) {
			continue
		}
		buf = append(buf, item{obj: v.Object, added: v.Updated})
	}
	return buf, nil
}

// selectVersions applies match[spec_version] (default: the latest spec version among the
// object's versions) and then match[version] to vs, ascending by version.
func selectVersions(vs []store.Record, q *query) []store.Record {
	if len(q.specs) > 0 {
		vs = slices.DeleteFunc(slices.Clone(vs), func(r store.Record) bool {
			_, ok := slices.BinarySearch(q.specs, specOf(r.Object))
			return !ok
		})
	} else {
		latest := ""
		for _, r := range vs {
			latest = max(latest, specOf(r.Object))
		}
		vs = slices.DeleteFunc(slices.Clone(vs), func(r store.Record) bool { return specOf(r.Object) != latest })
	}
	if len(vs) == 0 || q.versions.all {
		return vs
	}
	keep := make([]bool, len(vs))
	keep[0] = keep[0] || q.versions.first
	keep[len(vs)-1] = keep[len(vs)-1] || q.versions.last
	for _, t := range q.versions.at {
		for i, r := range vs {
			if versionTime(r).Equal(t) {
				keep[i] = true
			}
		}
	}
	out := vs[:0]
	for i, r := range vs {
		if keep[i] {
			out = append(out, r)
		}
	}
	return out
}

// specOf returns an object's spec_version; SCOs may omit it, and STIX 2.1 is the default.
func specOf(o *stix.Object) string {
	if s := o.SpecVersion(); s != "" {
		return s
	}
	return "2.1"
}

// versionTime is the version of a record as TAXII sees it: modified, else created, else
// (objects without either) when it was stored.
func versionTime(r store.Record) time.Time {
	if t := r.Object.Version(); !t.IsZero() {
		return t
	}
	return r.Updated
}

// versionString writes the version as the object spells it, or date_added.
func versionString(it item) string {
	if s := it.obj.ModifiedRaw(); s != "" {
		return s
	}
	if s := it.obj.CreatedRaw(); s != "" {
		return s
	}
	return FormatTime(it.added)
}

// scanSource reads a collection through the store's keyset scan ordered by Updated, with
// the collection's filter, the caller's visibility and match[type] applied by the scan,
// so that a page is exact however sparse the matches.
type scanSource struct {
	st   store.Scanner
	base store.ScanOptions
}

func (s *scanSource) records(ctx context.Context, after *key, n int) ([]store.Record, bool, error) {
	opts := s.base
	opts.Limit = n
	if after != nil {
		opts.After = store.Cursor{Order: store.ByUpdated, Time: after.t, ID: after.id}.String()
	}
	p, err := store.Scan(ctx, s.st, opts)
	return p.Records, p.Next != "", err
}

// listSource serves records fetched beforehand (match[id], a single object), sorted by key.
type listSource []store.Record

func (l listSource) records(_ context.Context, after *key, n int) ([]store.Record, bool, error) {
	i := 0
	if after != nil {
		i, _ = slices.BinarySearchFunc(l, after, func(r store.Record, k *key) int {
			if c := r.Updated.Compare(k.t); c != 0 {
				return c
			}
			if r.Object.ID() < k.id {
				return -1
			}
			if r.Object.ID() > k.id {
				return 1
			}
			return 0
		})
		if i < len(l) && l[i].Object.ID() == after.id && l[i].Updated.Equal(after.t) {
			i++
		}
	}
	end := min(i+n, len(l))
	return l[i:end], end < len(l), nil
}

func sortByKey(recs []store.Record) {
	slices.SortFunc(recs, func(a, b store.Record) int {
		if c := a.Updated.Compare(b.Updated); c != 0 {
			return c
		}
		if a.Object.ID() < b.Object.ID() {
			return -1
		}
		if a.Object.ID() > b.Object.ID() {
			return 1
		}
		return 0
	})
}
