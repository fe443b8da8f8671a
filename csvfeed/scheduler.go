package csvfeed

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/store"
)

// Ticker delivers the ticks that trigger regenerations; *time.Ticker behind the default.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// SchedulerOptions configure [NewScheduler]. Source and Visibility are required.
type SchedulerOptions struct {
	// Source is the store the feeds read.
	Source Source
	// Visibility decides what each principal sees.
	Visibility *access.Visibility
	// Feeds are the feeds to schedule; their ids must differ.
	Feeds []*Feed
	// Clock returns the current time (default time.Now). It labels windows (their Since
	// and Until, the files' Last-Modified) and places the first window's start and a
	// rolling window's; windows close at log positions, not at its readings, so it need
	// not be the store's clock.
	Clock func() time.Time
	// NewTicker returns a ticker firing every d (default: a time.Ticker).
	NewTicker func(d time.Duration) Ticker
	// MaxPrincipals bounds how many principals' files are kept per feed and generation
	// (default 64); the oldest is dropped first and regenerated when asked for again.
	MaxPrincipals int
	// Logger receives generation failures (default: none).
	Logger *slog.Logger
	// Observer, if set, is told of every generation (see [Observer]); nil costs nothing.
	Observer Observer
	// State keeps each feed's latest window (default: in memory, see
	// [NewMemoryWindowState]). With a shared state, since-previous windows continue from
	// the stored close after a restart, and the schedulers of several nodes publish the
	// same windows: at a tick, a scheduler adopts the stored window when it closed less
	// than nine tenths of the interval ago (another node's tick closed it) and closes the
	// next one otherwise. [Scheduler.Regenerate] always closes a new window.
	State WindowState
}

// Scheduler regenerates feeds at their intervals and hands out their latest files.
//
// Each regeneration closes a new window (see [WindowMode]) at the log's last position and
// publishes it with one atomic pointer swap; since-previous windows start where the
// previous one closed, so every change is in exactly one of them. Files are immutable: a reader holds the file it got, complete,
// whatever happens after. A public feed's file for unauthenticated callers (its public
// principal) is generated before the window is published, so those callers never wait.
// Any other principal's file for the current window is generated on its first request
// and kept for the next requests of principals with the same clearance, until the next
// regeneration; visibility depends only on clearance (markings, organizations, the
// bypass and organization-sharing capabilities), so equal clearances share one file and
// no principal ever receives a file generated for another clearance. Every file of a
// window is the store as it was when the window closed, whenever it is generated: an
// object changed again since is in it as it was then (see [Window]). That needs the log's
// events since the close; a file asked for after retention dropped them fails with an
// error wrapping store.ErrGap (the handler's 503) until the next regeneration, so keep
// the log's retention longer than the feeds' intervals.
//
// A Scheduler is safe for concurrent use.
type Scheduler struct {
	src           Source
	vis           *access.Visibility
	clock         func() time.Time
	newTicker     func(time.Duration) Ticker
	maxPrincipals int
	log           *slog.Logger
	obs           Observer
	feeds         map[string]*feedState
	order         []*feedState
	running       atomic.Bool
	state         WindowState
	shared        bool // State was given: ticks adopt a recent stored window
}

type feedState struct {
	feed *Feed
	mu   sync.Mutex // serialises regenerations, which chain their windows
	cur  atomic.Pointer[snapshot]
}

// snapshot is one generation of a feed: its window and the files made for it.
type snapshot struct {
	window Window
	mu     sync.Mutex
	files  map[[32]byte]*pending
	keys   [][32]byte // insertion order, for eviction
}

type pending struct {
	done chan struct{}
	file *File
	err  error
}

type timeTicker struct{ t *time.Ticker }

func (t timeTicker) C() <-chan time.Time { return t.t.C }
func (t timeTicker) Stop()               { t.t.Stop() }

// NewScheduler returns a scheduler for opts.Feeds; nothing runs until [Scheduler.Run] or
// [Scheduler.Regenerate]. It returns an error wrapping [ErrInvalid] for a missing source,
// visibility or feed, or two feeds with one id.
func NewScheduler(opts *SchedulerOptions) (*Scheduler, error) {
	if opts == nil || opts.Source == nil || opts.Visibility == nil {
		return nil, fmt.Errorf("%w: a scheduler needs a Source and a Visibility", ErrInvalid)
	}
	s := &Scheduler{src: opts.Source, vis: opts.Visibility, clock: opts.Clock, newTicker: opts.NewTicker,
		maxPrincipals: opts.MaxPrincipals, log: opts.Logger, obs: opts.Observer, feeds: map[string]*feedState{},
		state: opts.State, shared: opts.State != nil}
	if s.state == nil {
		s.state = NewMemoryWindowState()
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.newTicker == nil {
		s.newTicker = func(d time.Duration) Ticker { return timeTicker{time.NewTicker(d)} }
	}
	if s.maxPrincipals <= 0 {
		s.maxPrincipals = 64
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i, f := range opts.Feeds {
		if f == nil {
			return nil, fmt.Errorf("%w: feed %d is nil", ErrInvalid, i)
		}
		if _, dup := s.feeds[f.ID()]; dup {
			return nil, fmt.Errorf("%w: two feeds have the id %q", ErrInvalid, f.ID())
		}
		fs := &feedState{feed: f}
		s.feeds[f.ID()] = fs
		s.order = append(s.order, fs)
	}
	return s, nil
}

// Feed returns the feed with the id.
func (s *Scheduler) Feed(id string) (*Feed, bool) {
	fs, ok := s.feeds[id]
	if !ok {
		return nil, false
	}
	return fs.feed, true
}

// Run regenerates every feed at once and then at each tick of its interval, until ctx
// ends; it then stops its goroutines and returns ctx's error. A failed regeneration is
// logged and keeps the previous window, so a since-previous window then spans the
// failure. Run may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Run called twice", ErrInvalid)
	}
	var wg sync.WaitGroup
	for _, fs := range s.order {
		wg.Go(func() { s.loop(ctx, fs) })
	}
	wg.Wait()
	<-ctx.Done() // also with no feeds, Run returns only when ctx ends
	return ctx.Err()
}

func (s *Scheduler) loop(ctx context.Context, fs *feedState) {
	t := s.newTicker(fs.feed.interval)
	defer t.Stop()
	for {
		adopt := time.Duration(0)
		if s.shared {
			adopt = fs.feed.interval * 9 / 10
		}
		if err := s.regenerate(ctx, fs, adopt); err != nil && ctx.Err() == nil {
			s.log.Error("csvfeed: regeneration failed", "feed", fs.feed.ID(), "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// Regenerate starts a new generation of the feed now: it fixes the next window and, for
// a public feed, generates the public principal's file, then publishes both. On error
// (ErrNotFound for an unknown id, or the store's) the previous generation stays current.
func (s *Scheduler) Regenerate(ctx context.Context, id string) error {
	fs, ok := s.feeds[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return s.regenerate(ctx, fs, 0)
}

// regenerate publishes the feed's next window through the window state: the stored one
// when it closed less than adopt ago (another node's tick closed it; 0 never adopts),
// else a new one. Whatever generation fails stores nothing, so the next window spans
// the failure.
func (s *Scheduler) regenerate(ctx context.Context, fs *feedState, adopt time.Duration) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	_, err := s.state.Advance(ctx, fs.feed.ID(), func(prev *Window) (Window, error) {
		if prev != nil && adopt > 0 && s.clock().Sub(prev.Until) < adopt {
			if cur := fs.cur.Load(); cur != nil && sameWindow(cur.window, *prev) {
				return *prev, nil // published already
			}
			return *prev, s.publish(ctx, fs, *prev)
		}
		w, err := s.nextWindow(ctx, fs, prev)
		if err != nil {
			return Window{}, err
		}
		return w, s.publish(ctx, fs, w)
	})
	return err
}

// sameWindow compares windows by instant (a stored window's times come back in another
// location).
func sameWindow(a, b Window) bool {
	return a.Since.Equal(b.Since) && a.Until.Equal(b.Until) && a.Closed == b.Closed && a.After == b.After && a.Through == b.Through
}

// publish makes w the feed's current generation, generating the public file first.
func (s *Scheduler) publish(ctx context.Context, fs *feedState, w Window) error {
	snap := &snapshot{window: w, files: map[[32]byte]*pending{}}
	if fs.feed.access.Public {
		p, _ := fs.feed.access.Authorize(nil)
		file, err := s.generate(ctx, fs.feed, p, w)
		if err != nil {
			return err
		}
		done := make(chan struct{})
		close(done)
		k := clearanceKey(p)
		snap.files[k] = &pending{done: done, file: file}
		snap.keys = append(snap.keys, k)
	}
	fs.cur.Store(snap)
	return nil
}

// nextWindow closes the next window at the log's last position: every change stored
// before this call is in it or an earlier one, every later change in a later one. The
// clock only labels the window and places the first one (and a rolling one's start).
func (s *Scheduler) nextWindow(ctx context.Context, fs *feedState, prev *Window) (Window, error) {
	now := s.clock().UTC().Truncate(time.Millisecond)
	b, err := s.src.Bounds(ctx)
	if err != nil {
		return Window{}, err
	}
	w := Window{Since: now.Add(-fs.feed.interval), Until: now, Closed: true, Through: b.Last}
	switch {
	case fs.feed.rolling > 0:
		w.Since = now.Add(-fs.feed.rolling)
		w.After = store.PositionAt(w.Since)
	case prev != nil:
		w.Since, w.After = prev.Until, prev.Through
	default:
		w.After = store.PositionAt(w.Since)
	}
	if w.Until.Before(w.Since) { // the clock went back: the label stays ordered
		w.Until = w.Since
	}
	if w.Through.Compare(w.After) < 0 { // nothing was stored since the start
		w.After = w.Through
	}
	return w, nil
}

// File returns the latest file of the feed as p sees it (p as returned by the feed's
// access.FeedAccess.Authorize; File does not check access). It returns an error wrapping
// [ErrNotFound] for an unknown id and [ErrNotGenerated] before the first generation.
func (s *Scheduler) File(ctx context.Context, id string, p *access.Principal) (*File, error) {
	fs, ok := s.feeds[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	snap := fs.cur.Load()
	if snap == nil {
		return nil, fmt.Errorf("%w: %q", ErrNotGenerated, id)
	}
	k := clearanceKey(p)
	snap.mu.Lock()
	pd, ok := snap.files[k]
	if !ok {
		pd = &pending{done: make(chan struct{})}
		snap.files[k] = pd
		snap.keys = append(snap.keys, k)
		if len(snap.keys) > s.maxPrincipals {
			delete(snap.files, snap.keys[0])
			snap.keys = slices.Delete(snap.keys, 0, 1)
		}
	}
	snap.mu.Unlock()
	if !ok {
		s.fill(ctx, fs.feed, snap, k, pd, p)
	}
	select {
	case <-pd.done:
		return pd.file, pd.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fill generates pd's file; the work is shared by every waiter, so one caller going away
// does not fail the others. A failed generation is forgotten, so a later request retries.
func (s *Scheduler) fill(ctx context.Context, f *Feed, snap *snapshot, k [32]byte, pd *pending, p *access.Principal) {
	defer close(pd.done)
	pd.file, pd.err = s.generate(context.WithoutCancel(ctx), f, p, snap.window)
	if pd.err != nil {
		snap.mu.Lock()
		defer snap.mu.Unlock()
		if snap.files[k] == pd {
			delete(snap.files, k)
			snap.keys = slices.DeleteFunc(snap.keys, func(x [32]byte) bool { return x == k })
		}
	}
}

// clearanceKey identifies what p may see: principals with equal keys see the same
// objects the same way (see access.Visibility.CanSee and Redact).
func clearanceKey(p *access.Principal) [32]byte {
	if p == nil {
		return sha256.Sum256([]byte("nil"))
	}
	if p.Has(access.CapBypass) {
		return sha256.Sum256([]byte("bypass"))
	}
	sorted := func(ss []string) []string { ss = slices.Clone(ss); slices.Sort(ss); return slices.Compact(ss) }
	var ms, mx []string
	for _, m := range p.Markings.Markings {
		ms = append(ms, string(m))
	}
	for _, m := range p.Markings.Max {
		mx = append(mx, string(m))
	}
	b, _ := json.Marshal([]any{sorted(ms), sorted(mx), sorted(p.Organizations), p.Has(access.CapManageOrganizationSharing)})
	return sha256.Sum256(b)
}
