package taxii

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// getObjects serves objects, manifest, one object and its versions: all are pages of the
// selected versions of the collection's objects, differing in what they list.
func (h *Handler) getObjects(q *request, c *collection, ep endpoint, objectID string) {
	if !c.CanRead {
		h.fail(q.w, errForbidden("this collection cannot be read"))
		return
	}
	qu, e := parseQuery(q.r.URL.RawQuery, ep, h.defLimit, h.maxLimit)
	if e != nil {
		h.fail(q.w, e)
		return
	}
	if ep == kindVersions {
		qu.versions = versionMatch{all: true}
	}
	resource := q.root.path + "\x00" + c.ID + "\x00" + strconv.Itoa(int(ep)) + "\x00" + objectID
	fp := qu.fingerprint(resource)
	var start position
	if qu.next != "" {
		p, err := h.decodeToken(fp, qu.next)
		if err != nil {
			h.fail(q.w, errParam("next", err.Error()))
			return
		}
		start = p
	}
	ctx := q.r.Context()
	// The horizon: objects stored in the current millisecond (or within SettleDelay) are
	// held back, because an object stored later in that millisecond could sort before them
	// and would then fall behind a position already handed out.
	now := h.clock()
	horizon := now.Add(-h.settle).Truncate(time.Millisecond)
	bound, err := h.bind(ctx, c, now)
	if err != nil {
		h.storeFailed(q, err)
		return
	}
	pg := &pager{st: h.store, vis: h.vis, p: q.sees, q: qu, single: objectID != "", unscreened: h.unscreened,
		listOnly: ep == kindManifest || ep == kindVersions}
	var src source
	switch {
	case objectID != "":
		r, ok := h.findObject(q, bound, objectID)
		if !ok {
			return
		}
		src = listSource(nil)
		if listed(r, horizon, qu) { // as match[id] decides, so the two agree
			src = listSource{r}
		}
	case len(qu.ids) > 0:
		recs, err := h.store.GetMany(ctx, qu.ids)
		if err != nil {
			h.storeFailed(q, err)
			return
		}
		match := h.matcher(q, bound, qu)
		var list listSource
		for _, r := range recs {
			if match(r) && listed(r, horizon, qu) {
				list = append(list, r)
			}
		}
		sortByKey(list)
		src = list
	default:
		base := store.ScanOptions{Order: store.ByUpdated, Types: qu.types, MatchRecord: h.matcher(q, bound, qu), Until: horizon}
		if !qu.addedAfter.IsZero() {
			base.Since = qu.addedAfter.Add(time.Microsecond) // strictly after, at TAXII's precision
		}
		if base.Since.Before(base.Until) {
			src = &scanSource{st: h.store, base: base}
		} else {
			src = listSource(nil)
		}
	}
	items, next, err := pg.page(ctx, src, start, qu.limit)
	if err != nil {
		h.storeFailed(q, err)
		return
	}
	if len(items) > 0 {
		q.w.Header().Set("X-TAXII-Date-Added-First", FormatTime(items[0].added))
		q.w.Header().Set("X-TAXII-Date-Added-Last", FormatTime(items[len(items)-1].added))
	}
	token := ""
	if next != nil {
		token = h.encodeToken(fp, *next)
	}
	switch ep {
	case kindManifest:
		m := manifestResource{More: next != nil, Next: token}
		for _, it := range items {
			m.Objects = append(m.Objects, ManifestRecord{ID: string(it.obj.ID()), DateAdded: FormatTime(it.added),
				Version: versionString(it), MediaType: STIXMediaType})
		}
		h.writeJSON(q.w, http.StatusOK, m)
	case kindVersions:
		v := versionsResource{More: next != nil, Next: token}
		for _, it := range items {
			v.Versions = append(v.Versions, versionString(it))
		}
		h.writeJSON(q.w, http.StatusOK, v)
	default:
		h.writeEnvelope(q.w, items, next != nil, token)
	}
}

// listed reports whether a record read by id is listed: stored before the horizon and,
// with added_after, after it (the scan's Since and Until for the other requests).
func listed(r store.Record, horizon time.Time, qu *query) bool {
	return r.Updated.Before(horizon) && (qu.addedAfter.IsZero() || r.Updated.After(qu.addedAfter))
}

// writeEnvelope writes the objects as stored, without re-encoding them.
func (h *Handler) writeEnvelope(w http.ResponseWriter, items []item, more bool, next string) {
	size := 64 + len(next)
	for _, it := range items {
		size += len(it.obj.Raw()) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"more":`...)
	b = strconv.AppendBool(b, more)
	if next != "" {
		b = append(b, `,"next":`...)
		b = strconv.AppendQuote(b, next) // base64url: nothing to escape
	}
	if len(items) > 0 {
		b = append(b, `,"objects":[`...)
		for i, it := range items {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, it.obj.Raw()...)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// matcher is what a scan keeps: the collection's objects (by their current version and its
// record's times, through the request's bound filter) of match[type] that the caller may see.
func (h *Handler) matcher(q *request, bound *filter.Bound, qu *query) func(store.Record) bool {
	p := q.sees
	return func(r store.Record) bool {
		if len(qu.types) > 0 {
			if _, ok := slices.BinarySearch(qu.types, r.Object.Type()); !ok {
				return false
			}
		}
		return selects(bound, r) && h.vis.CanSee(p, r.Object)
	}
}

// findObject returns the current record of objectID if it is in the collection and the
// caller may see it, answering 404 (or 400 for a malformed id) itself otherwise. bound is
// the request's bound collection filter (see bind).
func (h *Handler) findObject(q *request, bound *filter.Bound, objectID string) (store.Record, bool) {
	id := stix.ID(objectID)
	if id.Validate() != nil {
		h.fail(q.w, &Error{Status: http.StatusBadRequest, Title: "Bad request", Description: "object-id: not a STIX identifier"})
		return store.Record{}, false
	}
	r, err := h.store.Get(q.r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(q.w, errNotFound("no such object in this collection"))
		return store.Record{}, false
	}
	if err != nil {
		h.storeFailed(q, err)
		return store.Record{}, false
	}
	if !selects(bound, r) || !h.vis.CanSee(q.sees, r.Object) {
		h.fail(q.w, errNotFound("no such object in this collection"))
		return store.Record{}, false
	}
	// What the boundary withholds (a relationship or sighting with a stored end hidden
	// from the caller, an object naming a hidden one where it cannot be removed) is
	// answered exactly as an object that does not exist.
	o, err := h.vis.ScreenOne(q.r.Context(), q.sees, r.Object, store.Lookup{From: h.store})
	if err != nil {
		h.storeFailed(q, err)
		return store.Record{}, false
	}
	if o == nil {
		h.fail(q.w, errNotFound("no such object in this collection"))
		return store.Record{}, false
	}
	return r, true
}

// deleteObject removes an object with all its versions. The store keeps no way to delete
// single versions, so a match[version] that selects only some of them is refused.
func (h *Handler) deleteObject(q *request, c *collection, objectID string) {
	if !c.CanWrite {
		h.fail(q.w, errForbidden("this collection cannot be written"))
		return
	}
	qu, e := parseQuery(q.r.URL.RawQuery, kindDelete, h.defLimit, h.maxLimit)
	if e != nil {
		h.fail(q.w, e)
		return
	}
	if _, given := q.r.URL.Query()["match[version]"]; !given {
		qu.versions = versionMatch{all: true}
	}
	ctx := q.r.Context()
	bound, err := h.bind(ctx, c, h.clock())
	if err != nil {
		h.storeFailed(q, err)
		return
	}
	r, ok := h.findObject(q, bound, objectID)
	if !ok {
		return
	}
	vs, err := h.store.Versions(ctx, r.Object.ID())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.storeFailed(q, err)
		return
	}
	sel := selectVersions(vs, qu)
	switch {
	case len(sel) == 0:
		h.fail(q.w, errNotFound("no version of the object matches"))
		return
	case len(sel) != len(vs):
		h.fail(q.w, errParam("match[version]", "this server deletes an object with all its versions; select them all"))
		return
	}
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	if err := h.mayDelete(ctx, q.sees, r.Object.ID()); err != nil {
		var we *access.WriteError
		if errors.As(err, &we) {
			h.fail(q.w, errForbidden(we.Error()))
		} else if errors.Is(err, store.ErrNotFound) {
			h.fail(q.w, errNotFound("no such object in this collection"))
		} else {
			h.storeFailed(q, err)
		}
		return
	}
	if _, err := h.store.Delete(ctx, r.Object.ID()); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.storeFailed(q, err)
		return
	}
	q.w.WriteHeader(http.StatusOK)
}

// mayDelete applies the write rule to deleting id as p: p must see the object (its
// current version, read again under the write lock) and everything the store's cascade
// deletes with it (its relationships and sightings, theirs in turn), or the delete would
// remove objects p may not see. The refusal reads as every refused write; it names only
// id.
func (h *Handler) mayDelete(ctx context.Context, p *access.Principal, id stix.ID) error {
	cur, err := h.store.Get(ctx, id)
	if err != nil {
		return err
	}
	var removed []*stix.Object
	seen := map[stix.ID]bool{id: true}
	for next := []stix.ID{id}; len(next) > 0; {
		var more []stix.ID
		for _, x := range next {
			rels, err := h.store.RelationsOf(ctx, x)
			if err != nil {
				return err
			}
			for _, r := range rels {
				if !seen[r.Object.ID()] {
					seen[r.Object.ID()] = true
					removed = append(removed, r.Object)
					more = append(more, r.Object.ID())
				}
			}
		}
		next = more
	}
	return h.vis.CheckWrite(ctx, p, access.Write{Current: cur.Object, Removed: removed}, store.Lookup{From: h.store})
}
