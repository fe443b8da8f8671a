package pgstore

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctifeed/ctifeed/store"
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
	// last is the newest position a notification or a local commit announced: a woken
	// waiter that is behind it returns without reading the head.
	last store.Position
	// gen counts the connections made: notifications before the current one may be
	// lost, so a waiter reads the head again when it changes.
	gen int
}

func startListener(cfg *pgx.ConnConfig) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{cfg: cfg, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{})}
	go l.run(ctx)
	return l
}

// waitChan returns the channel the next wake-up closes, whether the listening connection
// is up (if not, the caller re-checks every fallbackRecheck), the newest position
// announced so far, and the connection's generation.
func (l *listener) waitChan() (wake <-chan struct{}, healthy bool, last store.Position, gen int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wake, l.healthy && !l.stopped, l.last, l.gen
}

// broadcast records an announced position (zero: none) and wakes every waiter.
func (l *listener) broadcast(p store.Position) {
	l.mu.Lock()
	if p.Compare(l.last) > 0 {
		l.last = p
	}
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

func (l *listener) setHealthy(h bool) {
	l.mu.Lock()
	l.healthy = h
	if h {
		l.gen++
	}
	l.mu.Unlock()
}

// run keeps one connection listening, reconnecting after fallbackRecheck when it is lost.
// A (re)connection wakes every waiter, since notifications sent while it was down are lost.
func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	for ctx.Err() == nil {
		l.listen(ctx)
		l.setHealthy(false)
		l.broadcast(store.Position{})
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
	l.broadcast(store.Position{})
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		p, _ := store.ParsePosition(n.Payload) // the writer's last position; a hint only
		l.broadcast(p)
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
