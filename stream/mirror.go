package stream

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/ctifeed/ctifeed/stix"
	"github.com/ctifeed/ctifeed/store"
)

// MirrorTarget is the local store a [Mirror] writes to.
type MirrorTarget interface {
	store.Reader
	store.Writer
}

// MirrorOptions configure [NewMirror]. A nil *MirrorOptions means the defaults.
type MirrorOptions struct {
	// OnGap, if set, is called for a gap frame (events lost to the server's retention): the
	// recovery snapshot that follows restores the objects changed in the window, but not
	// deletions made in it. Returning an error stops [Mirror.Run] with it. Nil ignores gaps.
	OnGap func(Gap) error
}

// Mirror applies a stream's messages to a local store, so that the store holds what the
// stream's subscriber may see: create and update put the object (a version the store
// already has, or an older one, changes nothing), delete removes it (already absent is no
// error; the store deletes the object's relationships with it), merge puts the target and
// removes the sources the store holds. Every message may be applied more than once, and
// out of date, which is what resuming after a cut needs: it never halts nor regresses.
//
//   - A merge whose target is older than the store's current version (a redelivered or
//     late merge) removes its sources into the current version, which stays current; a
//     merge whose sources are all gone changes nothing.
//   - The same id and version arriving with other bytes (the server's redaction changed,
//     for instance after the principal's rights changed) keeps the stored bytes: a
//     version is immutable in a store ([store.Writer.Put] refuses it with
//     [store.ErrConflict]), so the object's next version is what replaces it.
//
// A Mirror is safe for concurrent use if its target is, but messages must be applied in
// stream order.
type Mirror struct {
	dst   MirrorTarget
	onGap func(Gap) error
}

// NewMirror returns a Mirror writing to dst.
func NewMirror(dst MirrorTarget, opts *MirrorOptions) *Mirror {
	m := &Mirror{dst: dst}
	if opts != nil {
		m.onGap = opts.OnGap
	}
	return m
}

// Apply applies one message.
func (m *Mirror) Apply(ctx context.Context, msg Message) error {
	if msg.Object == nil {
		return fmt.Errorf("stream: mirror: %s message without an object", msg.Type)
	}
	switch msg.Type {
	case Create, Update:
		return m.put(ctx, msg.Object)
	case Delete:
		if _, err := m.dst.Delete(ctx, msg.Object.ID()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("stream: mirror: delete %s: %w", msg.Object.ID(), err)
		}
		return nil
	case Merge:
		return m.merge(ctx, msg)
	}
	return fmt.Errorf("stream: mirror: unknown message type %q", msg.Type)
}

func (m *Mirror) put(ctx context.Context, obj *stix.Object) error {
	if _, _, err := m.dst.Put(ctx, obj); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("stream: mirror: put %s: %w", obj.ID(), err)
	}
	// ErrConflict: the store holds this version with other bytes; it stays (see Mirror).
	return nil
}

// mergeAttempts bounds how often a merge is retried when the store changed between
// reading it and merging (another writer of the same store).
const mergeAttempts = 3

// merge puts the target, then uses the store's Merge for the sources it holds (sources
// the subscriber never saw are not there to remove) into the store's current version of
// the target: the message's target when it is current, a newer one when the message is
// late, never an older one.
func (m *Mirror) merge(ctx context.Context, msg Message) error {
	target := msg.Object
	if err := m.put(ctx, target); err != nil {
		return err
	}
	ids := make([]stix.ID, 0, len(msg.Sources)+1)
	for _, s := range msg.Sources {
		if s != nil && s.ID() != target.ID() && !slices.Contains(ids, s.ID()) {
			ids = append(ids, s.ID())
		}
	}
	var err error
	for range mergeAttempts {
		var held map[stix.ID]store.Record
		if held, err = m.dst.GetMany(ctx, append(ids, target.ID())); err != nil {
			break
		}
		var present []stix.ID
		for _, id := range ids {
			if _, ok := held[id]; ok {
				present = append(present, id)
			}
		}
		cur, ok := held[target.ID()]
		if len(present) == 0 || !ok {
			return nil // a redelivered merge; or the target was deleted since, sources and all
		}
		if _, err = m.dst.Merge(ctx, cur.Object, present); !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("stream: mirror: merge into %s: %w", target.ID(), err)
	}
	return nil
}

// Run applies the change messages of frames (such as [Client.Frames]) until the sequence
// ends, yields an error, or applying fails; it returns that error (nil when the sequence
// ended cleanly). Gap frames go to MirrorOptions.OnGap.
func (m *Mirror) Run(ctx context.Context, frames iter.Seq2[Frame, error]) error {
	for f, err := range frames {
		if err != nil {
			return err
		}
		switch {
		case f.Event == "gap" && m.onGap != nil:
			if err := m.onGap(f.Gap); err != nil {
				return err
			}
		case f.Message.Object != nil:
			if err := m.Apply(ctx, f.Message); err != nil {
				return err
			}
		}
	}
	return nil
}
