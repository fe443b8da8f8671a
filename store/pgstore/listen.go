package pgstore

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// channel is the NOTIFY channel every writing transaction signals on commit.
const channel = "ctifeed_log"

// fallbackRecheck is how often waiters re-read the log head while the listening connection
// is down, the only time a notification can be lost.
const fallbackRecheck = 250 * time.Millisecond

// listener holds the store's one listening connection and wakes waiters: each notification
// (and each local commit) closes the current wake channel and installs a new one, so a
// waiter blocks without polling while the connection is up.
type listener struct {
	cfg    *pgx.ConnConfig
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	wake    chan struct{}
	healthy bool
	stopped bool
}

func startListener(cfg *pgx.ConnConfig) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{cfg: cfg, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{})}
	go l.run(ctx)
	return l
}

// waitChan returns the channel the next wake-up closes, and whether the listening
// connection is up (if not, the caller re-checks every fallbackRecheck).
func (l *listener) waitChan() (<-chan struct{}, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wake, l.healthy && !l.stopped
}

// broadcast wakes every waiter.
func (l *listener) broadcast() {
	l.mu.Lock()
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

func (l *listener) setHealthy(h bool) {
	l.mu.Lock()
	l.healthy = h
	l.mu.Unlock()
}

// run keeps one connection listening, reconnecting after fallbackRecheck when it is lost.
// A (re)connection wakes every waiter, since notifications sent while it was down are lost.
func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	for ctx.Err() == nil {
		l.listen(ctx)
		l.setHealthy(false)
		l.broadcast()
		select {
		case <-ctx.Done():
		case <-time.After(fallbackRecheck):
		}
	}
}

func (l *listener) listen(ctx context.Context) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return
	}
	l.setHealthy(true)
	l.broadcast()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return
		}
		l.broadcast()
	}
}

// stop ends the listening goroutine and wakes every waiter for good.
func (l *listener) stop() {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.stopped = true
	l.mu.Unlock()
	l.cancel()
	<-l.done
}
