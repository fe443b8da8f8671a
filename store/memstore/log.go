package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ctifeed/ctifeed/store"
)

// eventLog is the retained tail of the change log. Guarded by Store.mu.
type eventLog struct {
	events  []store.Event
	origin  store.Position // just before the first event this store appended
	last    store.Position // the newest position ever appended
	dropped store.Position // the newest position retention dropped (zero if none)
	// wake is closed and replaced on each append, waking every Wait without polling.
	wake chan struct{}
}

func (l *eventLog) init() { l.wake = make(chan struct{}) }

func (s *Store) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// appendEvent gives ev the next position and appends it; the caller holds s.mu for writing.
func (s *Store) appendEvent(ev store.Event) store.Event {
	l := &s.log
	ms := s.clock().UnixMilli()
	if ms < 0 {
		ms = 0
	}
	pos := store.Position{Millis: uint64(ms)}
	if pos.Compare(l.last) <= 0 { // same millisecond, or the clock went backwards
		pos = store.Position{Millis: l.last.Millis, Seq: l.last.Seq + 1}
		if pos.Seq >= store.MaxSeq { // the millisecond is full: borrow the next one
			pos = store.Position{Millis: l.last.Millis + 1}
		}
	}
	if l.last.IsZero() {
		// The origin is fixed by the first event, not at New: the clock is read only when
		// something happens, and a store made earlier than its first write still begins
		// where its log does.
		l.origin = store.PositionAt(pos.Time())
	}
	ev.Pos, ev.Time = pos, pos.Time()
	l.events = append(l.events, ev)
	l.last = pos
	s.trim(ev.Time)
	close(l.wake)
	l.wake = make(chan struct{})
	return ev
}

// trim applies retention, always keeping the newest event.
func (s *Store) trim(now time.Time) {
	l := &s.log
	n := 0
	if s.maxEvents > 0 && len(l.events) > s.maxEvents {
		n = len(l.events) - s.maxEvents
	}
	if s.maxAge > 0 {
		cutoff := now.Add(-s.maxAge)
		for n < len(l.events)-1 && l.events[n].Time.Before(cutoff) {
			n++
		}
	}
	if n == 0 {
		return
	}
	l.dropped = l.events[n-1].Pos
	s.hist.prune(l.dropped, s.objects)
	clear(l.events[:n]) // let dropped objects be collected
	l.events = l.events[n:]
	if cap(l.events) > 2*len(l.events)+1024 { // reclaim the dropped head's array
		l.events = slices.Clone(l.events)
	}
}

// Read implements [store.Log]: [store.LogBounds.Check] decides a gap; after beyond the last
// position reads nothing, without error, as the contract says.
func (s *Store) Read(ctx context.Context, after store.Position, limit int) ([]store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("%w: limit %d < 1", store.ErrInvalid, limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := &s.log
	if err := s.boundsLocked().Check(after); err != nil {
		if errors.Is(err, store.ErrGap) {
			return nil, err
		}
		return nil, nil // beyond the end: nothing yet
	}
	i := sort.Search(len(l.events), func(i int) bool { return l.events[i].Pos.Compare(after) > 0 })
	j := min(len(l.events), i+min(limit, len(l.events)))
	return slices.Clone(l.events[i:j]), nil
}

// Wait implements [store.Log].
func (s *Store) Wait(ctx context.Context, after store.Position) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.RLock()
		ready := s.log.last.Compare(after) > 0
		wake := s.log.wake
		s.mu.RUnlock()
		if ready {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Bounds implements [store.Log].
func (s *Store) Bounds(ctx context.Context) (store.LogBounds, error) {
	if err := ctx.Err(); err != nil {
		return store.LogBounds{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.boundsLocked(), nil
}

// boundsLocked returns the log's bounds; s.mu is held. Retention always keeps the newest
// event, so a log that ever held one is never empty.
func (s *Store) boundsLocked() store.LogBounds {
	l := &s.log
	if len(l.events) == 0 {
		return store.LogBounds{}
	}
	first, last := l.events[0], l.events[len(l.events)-1]
	return store.LogBounds{First: first.Pos, Last: last.Pos, FirstTime: first.Time,
		LastTime: last.Time, Count: len(l.events), Origin: l.origin, Dropped: l.dropped}
}
