package stream

// This file is the contract between the engine (issue #6) and the HTTP layer (issue #7).
// Its exported names and signatures are fixed; the bodies live in the engine's files.

import (
	"context"
	"encoding/json"
	"iter"
	"time"

	"github.com/ctifeed/ctifeed/access"
	"github.com/ctifeed/ctifeed/filter"
	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// Definition describes one live stream as the host configures it. It round-trips as JSON.
type Definition struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Filters     *filter.Group `json:"filters,omitempty"` // nil: every object
	// Live is false for a stopped stream, which answers 410 Gone.
	Live bool `json:"stream_live"`
	// Public streams need no authentication (see access.FeedAccess).
	Public            bool            `json:"stream_public"`
	AuthorizedMembers []access.Member `json:"authorized_members,omitempty"`
	// Defaults are the options a subscriber gets when it does not set them.
	Defaults Options `json:"defaults"`
}

// Options are the per-subscriber tuning parameters (query parameters or headers on the wire).
type Options struct {
	// NoDependencies is "avoid dependencies resolution": only referenced objects are sent
	// as dependencies, never the relationships of an object.
	NoDependencies bool `json:"no_dependencies,omitempty"`
	// NoDeletions is listen-delete=false: no delete messages are published.
	NoDeletions bool `json:"no_deletions,omitempty"`
	// WithInferences includes objects the host marks as inferred.
	WithInferences bool `json:"with_inferences,omitempty"`
	// CacheTTL is how long a dependency sent stays known as sent (0: [DefaultCacheTTL],
	// 5 minutes). In JSON it is a duration string such as "5m0s".
	CacheTTL time.Duration `json:"cache_ttl,omitempty"`
	// CacheSize bounds how many sent objects are remembered (0: [DefaultCacheSize], 10,000).
	CacheSize int `json:"cache_size,omitempty"`
}

// Switches set [Options]' on/off switches explicitly; a nil field leaves that switch as
// Options and the definition's defaults make it.
type Switches struct {
	NoDependencies, NoDeletions, WithInferences *bool
}

// MessageType is the kind of an output message, and the SSE event name it is sent as.
type MessageType string

// The message types.
const (
	Create MessageType = "create"
	Update MessageType = "update"
	Merge  MessageType = "merge"
	Delete MessageType = "delete"
)

// Message is one output message for one subscriber.
type Message struct {
	Type MessageType
	// Object is the STIX object as the subscriber may see it (already redacted).
	Object *stix.Object
	// Dependency is true for an object sent because another needs it (OpenCTI's
	// origin {"referer":"init-dependencies"}), including relationships sent with an end and
	// relationships deleted because an end left.
	Dependency bool
	// Patch and ReversePatch are RFC 6902 JSON Patch documents (update messages only):
	// Patch turns the previous version into Object, ReversePatch turns Object back.
	Patch, ReversePatch json.RawMessage
	// Sources are the merged-away objects (merge messages only), as the subscriber may see them.
	Sources []*stix.Object
	// Pos and Time are the position and time of the log event that produced the message
	// (for recovery snapshots: the position the snapshot was taken at).
	Pos  store.Position
	Time time.Time
	// Seq is the message's index in the full plan of its group: the group the event would
	// produce for a subscriber that was sent nothing yet. It depends only on the log, the
	// definition and the principal (never on the sent cache or on when the event is
	// processed), and strictly increases along the slice Process returns, so that a
	// consumer that received the messages up to Seq k of an interrupted group can resume
	// with the messages whose Seq is greater than k.
	Seq int
}

// SubscriberOptions configure [NewSubscriber].
type SubscriberOptions struct {
	// Principal is whom the subscriber sees as (already authorized for the stream). Required.
	Principal *access.Principal
	// Visibility decides which objects Principal may see and redacts them. Required.
	Visibility *access.Visibility
	// Options override Definition.Defaults field by field where non-zero: a switch set
	// here is on whatever the defaults say, a switch left off takes the default.
	Options Options
	// Switches set switches explicitly, on or off, over Options and the defaults: how a
	// consumer's no-dependencies=false or listen-delete=true turns off a default that is on.
	Switches Switches
	// FilterOptions compile the definition's filters (host-defined keys).
	FilterOptions *filter.CompileOptions
	// Clock drives the sent-objects cache; nil is time.Now.
	Clock func() time.Time
	// Share, if set, is shared with other subscribers: each event's plan and encoded
	// frames are computed once per class of subscribers (see [Share]). Nil: the subscriber
	// plans every event itself.
	Share *Share
}

// Subscriber computes one subscriber's messages. It is not safe for concurrent use: one
// connection owns one Subscriber.
type Subscriber struct {
	engineState
}

// NewSubscriber compiles def's filters for one subscriber reading src, which it reads as
// of each event's position (every [store.Store] is a store.History).
// It returns an error naming the problem for an invalid definition or missing options.
func NewSubscriber(src store.History, def Definition, opts SubscriberOptions) (*Subscriber, error) {
	return newSubscriber(src, def, opts)
}

// Process returns, in order, the messages event ev produces for this subscriber (often
// none) and records what they send. Every decision is made as of ev.Pos (the store as it
// was right after ev), so the result does not depend on when ev is processed. The slice
// is one message group: the messages of the group's full plan (see [Message.Seq]) that
// the subscriber does not hold yet, in the full plan's order; a consumer that received
// the group up to Seq k lacks exactly the messages with a greater Seq. With a
// [SubscriberOptions.Share], the messages' objects and slices may be shared with other
// subscribers: do not modify them.
func (s *Subscriber) Process(ctx context.Context, ev store.Event) ([]Message, error) {
	return s.process(ctx, ev)
}

// RecoverBatches returns the recovery snapshot in batches of about batch messages (a
// batch ends at the first object group that reaches batch; one object's group is never
// split; batch < 1 means [DefaultRecoverBatch]): as create messages, in dependency order,
// every object that was a member as of at and whose last change ([store.Record.Updated])
// as of at lies in [since, until), with its dependencies as of at. at is the log
// position the snapshot stands for (set on messages) and where the live events resume;
// an object changed again after at is left to those events, which send it whole.
//
// The snapshot starts the subscriber afresh: the sent cache is cleared first (events
// before at may have been lost, so what it held may be stale), then filled as live
// messages fill it, which is also how the snapshot avoids repeating an object (so a
// snapshot larger than [Options.CacheSize] may repeat a dependency). Memory is one batch,
// one scan page and the cache. Seq numbers the messages across the whole snapshot; two
// snapshots with the same arguments are the same, message for message and Seq for Seq,
// unless an object of the window was changed or deleted after at in between: the scan
// reads the current records (the storage contract has no scan as of a position), and
// such an object has left the snapshot, shifting the Seq of what follows it.
// Once the iterator yields an error it stops; batches already yielded stay valid.
func (s *Subscriber) RecoverBatches(ctx context.Context, scan store.Scanner, since, until time.Time, at store.Position, batch int) iter.Seq2[[]Message, error] {
	return s.recoverBatches(ctx, scan, since, until, at, batch)
}

// Recover returns the whole snapshot of [Subscriber.RecoverBatches] as one slice: for
// small windows and tests; a server streams the batches instead.
func (s *Subscriber) Recover(ctx context.Context, scan store.Scanner, since, until time.Time, at store.Position) ([]Message, error) {
	var out []Message
	for b, err := range s.RecoverBatches(ctx, scan, since, until, at, DefaultRecoverBatch) {
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// SetDefinition replaces the stream definition (a filter change applies from the next
// Process call); the sent-objects cache is kept.
func (s *Subscriber) SetDefinition(def Definition) error {
	return s.setDefinition(def)
}
