package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// recoverPage is how many records a recovery scan fetches at a time.
const recoverPage = 1000

func (s *Subscriber) recover(ctx context.Context, scan store.Scanner, since, until time.Time, at store.Position) ([]Message, error) {
	if scan == nil {
		return nil, fieldErr("scan", "recovery needs a scanner")
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return nil, fieldErr("until", "%s is before since %s", stix.FormatTime(until), stix.FormatTime(since))
	}
	opts := store.ScanOptions{Order: store.ByUpdated, Since: since, Until: until, Limit: recoverPage}
	if s.match != nil {
		// Match reads only immutable state (the matcher, the visibility), as a store may call
		// it from its own goroutines.
		m, vis, p, inf := s.match, s.vis, s.principal, s.opts.WithInferences
		opts.Match = func(o *stix.Object) bool {
			return m.Match(o) && vis.CanSee(p, o) && (inf || !Inferred(o))
		}
		opts.Filter = s.filterJSON
	}
	ev := store.Event{Pos: at, Time: at.Time()}
	var out []Message
	seen := map[stix.ID]bool{} // sent in this snapshot, as a dependency or not
	for rec, err := range store.All(ctx, scan, opts) {
		if err != nil {
			return nil, fmt.Errorf("stream: recovery scan: %w", err)
		}
		o := rec.Object
		if seen[o.ID()] {
			continue
		}
		ok, err := s.member(ctx, o)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		msgs, err := s.send(ctx, ev, Create, o, nil, nil)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			seen[m.Object.ID()] = true
		}
		out = append(out, msgs...)
	}
	return out, nil
}
