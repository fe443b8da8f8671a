package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/iocstream"
	"github.com/ctifeed/ctifeed/store"
)

// followIoC turns stored indicators and observables into IoC stream notifications, from
// the start of the log, until ctx ends. The IoC stream has one audience (every caller
// sees the same notifications), so only objects that every configured user who may read
// it may receive under the whole access boundary, as of the object's event, become
// notifications (iocstream.Audience).
func (s *Server) followIoC(ctx context.Context) {
	readers := s.iocReaders()
	if len(readers) == 0 {
		s.iocDone.finish()
		return // nobody may read the IoC stream: nothing to notify
	}
	var pos store.Position
	tmpl := iocstream.Notification{Origin: iocstream.OriginSubscriptions,
		Sources: []iocstream.Source{{Type: iocstream.SourceCollection, ID: "hub", Label: "ctifeed hub"}}}
	for ctx.Err() == nil {
		evs, err := s.store.Read(ctx, pos, 256)
		if errors.Is(err, store.ErrGap) {
			b, berr := s.store.Bounds(ctx)
			if berr != nil {
				return
			}
			s.log.Warn("the IoC stream skipped events lost to the log's retention", "from", pos, "to", b.First)
			pos = store.Position{Millis: b.First.Millis, Seq: b.First.Seq}
			pos = before(pos)
			continue
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("the IoC stream stopped reading the log", "err", err)
			}
			return
		}
		for _, ev := range evs {
			pos = ev.Pos
			if ev.Cur == nil || ev.Kind == store.EventDelete {
				continue
			}
			t := tmpl
			t.Date, t.Tags = ev.Cur.Created(), ev.Cur.Labels()
			// What the object names first: most events (relationships, reports…) name no
			// IoC, and deciding the boundary reads the store.
			ns, err := iocstream.FromSTIX(ev.Cur, &t)
			if err != nil {
				continue // not an IoC (ErrUnsupported) or not usable as one
			}
			aud := iocstream.Audience{Visibility: s.plan.vis, Principals: readers,
				Lookup: store.Lookup{From: store.At(s.store, ev.Pos)}}
			ok, err := aud.Shareable(ctx, ev.Cur)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("deciding who may see an IoC failed", "id", ev.ID, "err", err)
			}
			if !ok {
				continue // hidden from a reader of the IoC stream
			}
			for _, n := range ns {
				if err := s.ioc.Add(ctx, n); err != nil && !errors.Is(err, iocstream.ErrExists) {
					s.log.Warn("adding an IoC notification failed", "id", ev.ID, "err", err)
				}
			}
		}
		s.iocDone.advance(pos)
		if len(evs) == 0 {
			if err := s.store.Wait(ctx, pos); err != nil && ctx.Err() == nil {
				return
			}
		}
	}
}

// WaitIoC returns once the IoC stream holds the notifications of every change the log
// held when it was called (the hub derives them from the log in the background while
// [Server.Serve] runs), or with ctx's error. A host that seeds a store before serving
// calls it to serve an IoC stream that is complete from the start. Without an IoC stream
// it returns at once.
func (s *Server) WaitIoC(ctx context.Context) error {
	if s.ioc == nil {
		return nil
	}
	b, err := s.store.Bounds(ctx)
	if err != nil {
		return fmt.Errorf("server: reading the log's bounds: %w", err)
	}
	return s.iocDone.wait(ctx, b.Last)
}

// before is the position just before p.
func before(p store.Position) store.Position {
	switch {
	case p.Seq > 0:
		return store.Position{Millis: p.Millis, Seq: p.Seq - 1}
	case p.Millis > 0:
		return store.Position{Millis: p.Millis - 1, Seq: store.MaxSeq}
	}
	return store.Position{}
}

// iocReaders returns the configured users who may read the IoC stream.
func (s *Server) iocReaders() []*access.Principal {
	var out []*access.Principal
	for _, u := range s.plan.users {
		if u.principal.Has(access.CapAccessDataSharing) {
			out = append(out, u.principal)
		}
	}
	return out
}
