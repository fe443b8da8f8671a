package csvfeed

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// closedWindow is a closed [Window] during one generation: its bounds and what the log
// says about the ids whose state or window membership the current store cannot tell.
type closedWindow struct {
	w Window
	// changed holds the ids changed after Through (read from the log up to seen): their
	// current records are not what they were at Through.
	changed map[stix.ID]struct{}
	seen    store.Position
	// boundary holds the ids whose change in After's millisecond came after After (only
	// when After is an event's own position, which splits its millisecond).
	boundary map[stix.ID]struct{}
	// wholeFirst: the log no longer tells how After's millisecond splits, so all of it is
	// taken (its changes up to After were also in the previous window: repeated, not lost).
	wholeFirst bool
}

// changesPage is how many events one log read asks for.
const changesPage = 1000

// scanClosed renders a closed window as of its Through position.
//
// A record not changed since Through is now what it was then, so the current store's
// scan finds those cheaply, newest first, stopping at the cap; the ids changed since
// (from the log after Through) are read as of Through instead and merged in. The log is
// read again after the scan, so a change racing the scan cannot move a record out of
// sight unnoticed.
func (g *generation) scanClosed(w Window, file *File) error {
	if w.After == w.Through {
		return nil
	}
	g.rel = store.At(g.src, w.Through)
	cw := &closedWindow{w: w, changed: map[stix.ID]struct{}{}, seen: w.Through}
	if err := g.boundaryIDs(cw); err != nil {
		return err
	}
	if _, err := g.readChanges(cw); err != nil {
		return err
	}
	cands, err := g.currentCandidates(cw)
	if err != nil {
		return err
	}
	past, err := g.pastRecords(cw)
	if err != nil {
		return err
	}
	// Merge both newest first; the cap applies to the merged sequence.
	for len(cands) > 0 || len(past) > 0 {
		var c cand
		if len(past) == 0 || len(cands) > 0 && g.newer(cands[0].r, past[0].r) {
			c, cands = cands[0], cands[1:]
		} else {
			c, past = past[0], past[1:]
		}
		if done, err := g.put(c.o, file); done || err != nil {
			return err
		}
	}
	return nil
}

// cand is a record of a closed window and its row object: the record as p may receive it
// (access.Visibility.Screen, with look-ups as of the close).
type cand struct {
	r store.Record
	o *stix.Object
}

// screenRecords returns the records of recs that p may receive, each with the object
// its row shows, in order: one boundary look-up for all of them.
func (g *generation) screenRecords(recs []store.Record) ([]cand, error) {
	kept := make([]store.Record, 0, len(recs))
	objs := make([]*stix.Object, 0, len(recs))
	for _, r := range recs {
		if g.vis.CanSee(g.p, r.Object) { // most hidden records stop here, before the batch
			kept = append(kept, r)
			objs = append(objs, r.Object)
		}
	}
	out, err := g.vis.Screen(g.ctx, g.p, objs, store.Lookup{From: g.rel})
	if err != nil {
		return nil, err
	}
	cs := make([]cand, 0, len(out))
	for i, o := range out {
		if o != nil {
			cs = append(cs, cand{r: kept[i], o: o})
		}
	}
	return cs, nil
}

// newer reports whether a comes before b newest first: later time, or on a tie the
// greater id.
func (g *generation) newer(a, b store.Record) bool {
	if c := g.f.order.TimeOf(a).Compare(g.f.order.TimeOf(b)); c != 0 {
		return c > 0
	}
	return strings.Compare(string(a.Object.ID()), string(b.Object.ID())) > 0
}

// readChanges adds to cw.changed the ids of the events after cw.seen, and reports whether
// there were any. A log that no longer holds them gives an error wrapping store.ErrGap.
func (g *generation) readChanges(cw *closedWindow) (bool, error) {
	got := false
	for {
		evs, err := g.src.Read(g.ctx, cw.seen, changesPage)
		if err != nil {
			return false, fmt.Errorf("csvfeed: the window closed at %s cannot be generated as of then, "+
				"the log no longer holds the changes since: %w", cw.w.Through, err)
		}
		for _, ev := range evs {
			cw.changed[ev.ID] = struct{}{}
			for _, id := range ev.Sources {
				cw.changed[id] = struct{}{}
			}
			cw.seen = ev.Pos
			got = true
		}
		if len(evs) < changesPage {
			return got, nil
		}
	}
}

// boundaryIDs reads which ids changed in After's millisecond after After (and by
// Through): those, among the records of that millisecond, are in the window.
func (g *generation) boundaryIDs(cw *closedWindow) error {
	a := cw.w.After
	if a.IsZero() || a.Seq >= store.MaxSeq { // no event shares a millisecond with such a bound
		return nil
	}
	cw.boundary = map[stix.ID]struct{}{}
	for at := a; ; {
		evs, err := g.src.Read(g.ctx, at, changesPage)
		if errors.Is(err, store.ErrGap) {
			cw.wholeFirst = true
			return nil
		}
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if ev.Pos.Millis != a.Millis || ev.Pos.Compare(cw.w.Through) > 0 {
				return nil
			}
			if ev.Kind == store.EventCreate || g.f.order == store.ByUpdated && ev.Kind != store.EventDelete {
				cw.boundary[ev.ID] = struct{}{}
			}
			at = ev.Pos
		}
		if len(evs) < changesPage {
			return nil
		}
	}
}

// in reports whether a record of id whose ordering time is t, as of Through, is in the
// window.
func (cw *closedWindow) in(id stix.ID, t time.Time) bool {
	ms := t.UnixMilli()
	switch a := cw.w.After; {
	case ms < 0 || uint64(ms) > cw.w.Through.Millis:
		return false
	case a.IsZero() || uint64(ms) > a.Millis:
		return true
	case uint64(ms) < a.Millis || a.Seq >= store.MaxSeq:
		return false
	}
	_, ok := cw.boundary[id]
	return ok || cw.wholeFirst
}

// scanRange is the ordering-time range holding every millisecond the window touches.
func (cw *closedWindow) scanRange() (since, until time.Time) {
	if a := cw.w.After; !a.IsZero() {
		since = time.UnixMilli(int64(a.Millis)).UTC()
	}
	return since, time.UnixMilli(int64(cw.w.Through.Millis) + 1).UTC()
}

// currentCandidates scans the current store for the window's records that did not change
// since Through, newest first, until they hold one more row p may receive than the cap (or
// the scan ends). After the scan it reads the log again: records changed meanwhile leave
// the candidates (they are read as of Through instead), and the scan goes on if that
// left too few.
func (g *generation) currentCandidates(cw *closedWindow) ([]cand, error) {
	since, until := cw.scanRange()
	opts := store.ScanOptions{Order: g.f.order, Descending: true, Since: since, Until: until,
		Types: g.f.types, MatchRecord: g.matches, Filter: g.f.filter}
	var cands []cand
	ended := false
	for {
		for !ended && len(cands) <= g.f.maxRows {
			opts.Limit = min(max(g.f.maxRows-len(cands)+1, minPage), store.MaxLimit)
			page, err := store.Scan(g.ctx, g.src, opts)
			if err != nil {
				return nil, err
			}
			recs := slices.DeleteFunc(page.Records, func(r store.Record) bool {
				_, ch := cw.changed[r.Object.ID()]
				return ch || !cw.in(r.Object.ID(), g.f.order.TimeOf(r))
			})
			cs, err := g.screenRecords(recs)
			if err != nil {
				return nil, err
			}
			cands = append(cands, cs...)
			ended = page.Next == ""
			opts.After = page.Next
		}
		more, err := g.readChanges(cw)
		if err != nil || !more {
			return cands, err
		}
		n := len(cands)
		cands = slices.DeleteFunc(cands, func(c cand) bool {
			_, ch := cw.changed[c.r.Object.ID()]
			return ch
		})
		if len(cands) == n || ended {
			return cands, nil
		}
	}
}

// pastRecords reads the changed ids as of Through and keeps those in the window that
// match the feed and that p may receive, newest first.
func (g *generation) pastRecords(cw *closedWindow) ([]cand, error) {
	ids := slices.Sorted(maps.Keys(cw.changed))
	var recs []store.Record
	for chunk := range slices.Chunk(ids, changesPage) {
		got, err := g.src.GetManyAt(g.ctx, cw.w.Through, chunk)
		if err != nil {
			return nil, fmt.Errorf("csvfeed: reading the window closed at %s as of then: %w", cw.w.Through, err)
		}
		for _, r := range got {
			if r.Object != nil && cw.in(r.Object.ID(), g.f.order.TimeOf(r)) && g.matches(r) {
				recs = append(recs, r)
			}
		}
	}
	slices.SortFunc(recs, func(a, b store.Record) int {
		if g.newer(a, b) {
			return -1
		}
		return 1
	})
	return g.screenRecords(recs)
}
