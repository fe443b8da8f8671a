package server

import (
	"context"
	"sync"

	"github.com/ctifeed/ctifeed/store"
)

// progress is how far a follower of the log has got, for callers that wait for it to
// reach a position. The zero value is ready: nothing done yet.
type progress struct {
	mu   sync.Mutex
	pos  store.Position
	done bool          // the follower has nothing to do (it reaches every position)
	ch   chan struct{} // closed at the next change; nil until someone waits
}

// advance records that everything up to pos is done.
func (p *progress) advance(pos store.Position) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pos.Compare(p.pos) > 0 {
		p.pos = pos
		p.wake()
	}
}

// finish records that the follower will never lag: it has nothing to follow.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
	p.wake()
}

func (p *progress) wake() {
	if p.ch != nil {
		close(p.ch)
		p.ch = nil
	}
}

// wait returns once everything up to pos is done, or with ctx's error.
func (p *progress) wait(ctx context.Context, pos store.Position) error {
	for {
		p.mu.Lock()
		if p.done || p.pos.Compare(pos) >= 0 {
			p.mu.Unlock()
			return nil
		}
		if p.ch == nil {
			p.ch = make(chan struct{})
		}
		ch := p.ch
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
