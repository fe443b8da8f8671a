package stream

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/store"
)

// Defaults of [ShareOptions].
const (
	DefaultShareBytes   = 256 << 20
	DefaultShareEntries = 1 << 18
)

// ShareOptions bound a [Share]. Zero fields take the defaults.
type ShareOptions struct {
	// MaxBytes bounds the memory of the plans held: their messages' encoded frame data,
	// the redacted objects they hold and their bookkeeping (default 256 MiB). Objects the
	// store holds too are counted as if they were copies, so the bound is an upper one.
	MaxBytes int64
	// MaxEntries bounds how many (class, event) plans are held (default 262,144).
	MaxEntries int
}

// Share is a bounded memo of the work subscribers of the same class would each repeat for
// every event: the event's full plan (the messages of its group, numbered, with which
// ones are dependencies the sent cache may leave out) and each message's encoded frame
// data. Give the same Share to many subscribers ([SubscriberOptions.Share]); a [Handler]
// uses one for all its connections.
//
// # Classes
//
// A plan is shared only between subscribers for which it is provably the same: the same
// store (the same value, of pointer type; a store of another kind plans for itself), the
// same [access.Visibility] instance and redaction class of the principal
// ([access.Visibility.ClassKey]), the same definition (id and filters), the same filter
// compile options (the same pointer) and the same switches in effect (dependencies,
// deletions, inferences). A subscriber's sent cache is not part of it: planning never
// reads the cache, which only decides, per subscriber, which dependencies of the plan are
// left out. Recovery snapshots are not shared: what they repeat depends on the cache.
//
// # Bounds
//
// The first subscriber to need an event's plan computes it; the others of its class wait
// for it rather than repeat it. A plan every subscriber of its class has taken is dropped
// at once: nobody is expected to ask again (one that joins or reconnects behind plans it
// again: work, never a message), so the Share holds the span from the slowest subscriber
// of a class to the fastest, not a fixed stretch, and subscribers spread over the log (a
// hundred replaying it from the start) keep sharing while that span fits. Beyond it, plans
// are evicted oldest position first once MaxEntries or MaxBytes is passed. While the Share is full, only a plan newer than every one it holds
// is stored: a subscriber that asks for an older position it does not hold (a replay from
// the start, a consumer that fell behind the window) plans for itself and stores nothing,
// so that the Share holds the window of positions just behind the newest, which the
// subscribers near the log's head share, and is never churned by those behind. A
// subscriber alone in its class (no other subscriber of the class is registered) plans for
// itself too: a plan nobody else reads is not worth storing.
//
// The messages of a shared plan hold the same objects and slices for every subscriber of
// the class: a caller of [Subscriber.Process] must not modify them.
//
// A Share is safe for concurrent use.
type Share struct {
	maxBytes   int64
	maxEntries int

	mu      sync.Mutex
	classes map[shareClass]*classMemo
	entries int
	order   shareHeap // the entries by position, oldest first
	newest  store.Position
	bytes   int64

	hits             int64 // under mu, counted at the look-up
	planned, private atomic.Int64

	// leaky keys plans without the principal's class: only tests set it, to show that
	// the safety tests catch a plan crossing classes.
	leaky bool
}

// NewShare returns an empty Share; opts may be nil.
func NewShare(opts *ShareOptions) *Share {
	var o ShareOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultShareBytes
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultShareEntries
	}
	return &Share{maxBytes: o.MaxBytes, maxEntries: o.MaxEntries, classes: map[shareClass]*classMemo{}}
}

// ShareStats are a Share's counters since it was made.
type ShareStats struct {
	// Hits are plans a subscriber found (or waited for) rather than computed; one whose
	// planner failed counts here and, recomputed, in Private.
	Hits int64
	// Planned are plans computed and stored.
	Planned int64
	// Private are plans computed and not stored: older than everything a full Share held,
	// of a store that cannot be shared, or after the subscriber that was computing the
	// plan failed.
	Private int64
	// Entries and Bytes are what the Share holds now.
	Entries int
	Bytes   int64
}

// Stats returns the Share's counters.
func (sh *Share) Stats() ShareStats {
	sh.mu.Lock()
	n, b, hits := sh.entries, sh.bytes, sh.hits
	sh.mu.Unlock()
	return ShareStats{Hits: hits, Planned: sh.planned.Load(), Private: sh.private.Load(), Entries: n, Bytes: b}
}

// shareClass is everything a plan depends on besides the event: see Share's "Classes".
// The definition's part is a digest of its text (see classDigest), so that looking a plan
// up hashes a few words rather than the filters.
type shareClass struct {
	src        store.History
	vis        *access.Visibility
	filterOpts *filter.CompileOptions
	digest     [32]byte // of the principal's class key, the definition and the switches
}

// classMemo holds the plans of one class, by position. A subscriber finds its class's
// memo once (join) and keeps it, so that looking a plan up hashes a position only. The
// Share keeps the memo of every class it has seen (an empty one is a map header and a
// few words), so that a subscriber's pointer stays valid.
type classMemo struct {
	plans map[store.Position]*shareEntry
	subs  atomic.Int64 // subscribers registered in the class (see shareSeat)
}

// shareSeat is one subscriber's registration in a class: released when the subscriber
// leaves the class (a new definition), when a Handler's connection ends, or when the
// Subscriber is garbage collected, whichever comes first.
type shareSeat struct {
	memo     *classMemo
	released atomic.Bool
}

func (s *shareSeat) release() {
	if s != nil && s.released.CompareAndSwap(false, true) {
		s.memo.subs.Add(-1)
	}
}

// join registers a subscriber in class and returns its seat.
func (sh *Share) join(class shareClass) *shareSeat {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	m := sh.classes[class]
	if m == nil {
		m = &classMemo{plans: map[store.Position]*shareEntry{}}
		sh.classes[class] = m
	}
	m.subs.Add(1)
	return &shareSeat{memo: m}
}

// shareEntry is one plan, being computed until done is closed.
type shareEntry struct {
	memo  *classMemo
	pos   store.Position
	done  chan struct{}
	steps []step // set before done is closed; nil with err
	err   error
	size  int64
	index int  // in order; -1 once evicted
	added bool // size counted in bytes
	// uses counts the subscribers that took the plan (its planner included): once every
	// subscriber of the class has, nobody is expected to ask again, and it is dropped
	// (the window then spans from the slowest subscriber of a class to the fastest, rather
	// than a fixed stretch behind the newest: subscribers spread over the log keep sharing
	// as long as that span fits). One that joins or reconnects behind plans what was
	// dropped again: it costs work, never a message.
	uses int
}

// stepSize is the bookkeeping a step costs besides its data and object.
const stepSize = int64(unsafe.Sizeof(step{}))

// plan returns the plan of key, computing it with compute when no subscriber of the class
// has (or is): the returned steps carry their messages' encoded data and must not be
// modified.
func (sh *Share) plan(ctx context.Context, memo *classMemo, pos store.Position, compute func() ([]step, error)) ([]step, error) {
	sh.mu.Lock()
	if e, ok := memo.plans[pos]; ok {
		sh.took(memo, e)
		sh.mu.Unlock()
		return sh.await(ctx, e, compute)
	}
	if sh.full() && pos.Compare(sh.newest) <= 0 {
		sh.mu.Unlock()
		sh.private.Add(1)
		return compute() // behind the window: see Share's "Bounds"
	}
	if pos.Compare(sh.newest) > 0 {
		sh.newest = pos
	}
	e := &shareEntry{memo: memo, pos: pos, done: make(chan struct{}), uses: 1}
	memo.plans[pos] = e
	sh.entries++
	heap.Push(&sh.order, e)
	sh.evict()
	sh.mu.Unlock()

	steps, err := compute()
	if err == nil {
		e.size = encodeSteps(steps)
	}
	e.steps, e.err = steps, err
	close(e.done)

	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e.index < 0 {
		return steps, err // evicted while computed: the waiters have it, nobody else will
	}
	if err != nil {
		sh.remove(e)
		return nil, err
	}
	sh.planned.Add(1)
	e.added = true
	sh.bytes += e.size
	if int64(e.uses) >= memo.subs.Load() && memo.subs.Load() > 1 {
		sh.remove(e) // every other subscriber of the class took it while it was computed
	}
	sh.evict()
	return steps, nil
}

// took counts e as taken by one more subscriber of memo; the caller holds sh.mu (a shared
// atomic counter would bounce between the cores at every look-up).
func (sh *Share) took(memo *classMemo, e *shareEntry) {
	e.uses++
	sh.hits++
	if e.added && int64(e.uses) >= memo.subs.Load() {
		sh.remove(e) // every subscriber of the class has it: see shareEntry.uses
	}
}

// await returns e's plan once computed, or computes it with compute if its planner
// failed (its context ended, a store error): a subscriber does not report another's
// failure.
func (sh *Share) await(ctx context.Context, e *shareEntry, compute func() ([]step, error)) ([]step, error) {
	select {
	case <-e.done: // usually computed already: a receive without select's machinery
	default:
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if e.err == nil {
		return e.steps, nil
	}
	sh.private.Add(1)
	return compute()
}

// takeMany looks up, under one lock, the plans of memo the Share holds (or is computing)
// for the positions of evs, counts each found as taken, and returns them in found (reused;
// nil where not held). A connection reading a batch of events takes their plans at once:
// a hundred subscribers replaying one log would otherwise contend for the lock at every
// event.
func (sh *Share) takeMany(memo *classMemo, evs []store.Event, found []*shareEntry) []*shareEntry {
	found = found[:0]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, ev := range evs {
		e := memo.plans[ev.Pos]
		if e != nil {
			sh.took(memo, e)
		}
		found = append(found, e)
	}
	return found
}

// full reports whether the Share holds about as much as it may: three quarters of either
// bound. Eviction brings it back under the bounds, not under three quarters, so that a
// Share that has filled stays full: otherwise every eviction would let one older position
// in, which would evict the oldest, and subscribers behind the window would churn it.
func (sh *Share) full() bool {
	return sh.entries >= sh.maxEntries-sh.maxEntries/4 || sh.bytes >= sh.maxBytes-sh.maxBytes/4
}

// evict drops the oldest positions until the bounds hold again (the newest entry stays).
func (sh *Share) evict() {
	for len(sh.order) > 1 && (sh.entries > sh.maxEntries || sh.bytes > sh.maxBytes) {
		sh.remove(sh.order[0])
	}
}

func (sh *Share) remove(e *shareEntry) {
	heap.Remove(&sh.order, e.index)
	e.index = -1
	delete(e.memo.plans, e.pos)
	sh.entries--
	if e.added {
		sh.bytes -= e.size
	}
}

// encodeSteps sets the data of every message step (one allocation for the whole plan) and
// returns what the plan costs, counted as ShareOptions.MaxBytes says.
func encodeSteps(steps []step) int64 {
	var buf []byte
	ends := make([]int, 0, len(steps))
	for i := range steps {
		if !steps[i].isMessage() {
			continue
		}
		// appendData fails only for a message without an object, which planning never
		// makes; such a step keeps nil data and is encoded (and refused) when written.
		b, err := appendData(buf, steps[i].msg, false)
		if err == nil {
			buf = b
		}
		ends = append(ends, len(buf))
	}
	size := int64(cap(buf)) + int64(len(steps))*stepSize
	start, k := 0, 0
	for i := range steps {
		if !steps[i].isMessage() {
			continue
		}
		if end := ends[k]; end > start {
			steps[i].data = buf[start:end:end]
			start = end
		}
		k++
		if o := steps[i].msg.Object; o != nil {
			size += int64(len(o.Raw()))
		}
	}
	return size
}

// shareHeap orders entries by position.
type shareHeap []*shareEntry

func (h shareHeap) Len() int           { return len(h) }
func (h shareHeap) Less(i, j int) bool { return h[i].pos.Compare(h[j].pos) < 0 }
func (h shareHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *shareHeap) Push(x any) {
	e := x.(*shareEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *shareHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
